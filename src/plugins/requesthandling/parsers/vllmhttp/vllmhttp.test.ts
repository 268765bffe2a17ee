import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError } from '../../../../framework/parser.ts';
import { VllmHttpParser } from './vllmhttp.ts';

const parser = new VllmHttpParser('vllmhttp-parser');
const parse = (path: string, body: unknown) => {
  const req = new LLMRequest();
  const payload = parser.parseRequest(JSON.stringify(body), path, req);
  return { req, payload };
};

test('generate: token ids, model, cache_salt, stream; the prompt text is the token_ids array as sent', () => {
  const { req, payload } = parse('/inference/v1/generate', {
    model: 'm',
    token_ids: [1, 2, 3],
    cache_salt: 's',
    stream: true,
    features: { mm_hashes: { image: ['h'] }, mm_placeholders: { image: [{ offset: 0, length: 2 }] } },
  });
  assert.equal(req.model, 'm');
  assert.equal(req.cacheSalt, 's');
  assert.equal(req.stream, true);
  assert.equal(req.promptText, '[1,2,3]');
  assert.ok(payload !== null);
});

test('bad generate requests are 400', () => {
  const bad: [unknown, RegExp][] = [
    [{ model: 'm' }, /non-empty token_ids/],
    [{ model: 'm', token_ids: [] }, /non-empty token_ids/],
    [{ model: 'm', token_ids: [1, -1] }, /token_ids\[1\]: invalid value -1/],
    [{ model: 'm', token_ids: [1.5] }, /invalid value 1.5/],
    [{ model: 'm', token_ids: [2 ** 32] }, /invalid value/],
    [{ model: 'm', token_ids: 'x' }, /must be an array/],
    [{ model: 'm', token_ids: [1], cache_salt: 1 }, /cache_salt/],
    [{ model: 'm', token_ids: [1], features: { mm_hashes: { image: [1] } } }, /features/],
  ];
  for (const [body, re] of bad) {
    assert.throws(() => parse('/inference/v1/generate', body), (e: unknown) => e instanceof RequestParseError && re.test(e.message), JSON.stringify(body));
  }
  assert.throws(() => parse('/v1/completions', { model: 'm', token_ids: [1] }), /unsupported path/);
});

test('generate: features become the request\'s multimodal items (upstream convertMMFeaturesToUpstream)', () => {
  const { req } = parse('/inference/v1/generate', {
    model: 'm',
    token_ids: [1, 2, 3, 4],
    features: {
      mm_hashes: { image: ['i1', 'i2', 'i3'], audio: ['a1'] },
      mm_placeholders: { image: [{ offset: 0, length: 1 }, { offset: 1, length: 1 }] },
    },
  });
  const f = req.data.get('multimodal-features') as { request: LLMRequest; items: unknown[] };
  assert.equal(f.request, req);
  // Image: two placeholders, so two hashes; audio has no placeholders.
  assert.deepEqual(f.items, [{ modality: 'image', hash: 'i1' }, { modality: 'image', hash: 'i2' }]);
  assert.equal(parse('/inference/v1/generate', { model: 'm', token_ids: [1] }).req.data.size, 0);
});
