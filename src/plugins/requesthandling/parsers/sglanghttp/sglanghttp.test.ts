import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError } from '../../../../framework/parser.ts';
import { SglangHttpParser } from './sglanghttp.ts';

const parser = new SglangHttpParser('sglanghttp-parser');
const parse = (path: string, body: unknown) => {
  const req = new LLMRequest();
  const payload = parser.parseRequest(JSON.stringify(body), path, req);
  return { req, payload };
};

test('generate: input_ids, extra_key as cache salt, stream; no model, body forwarded as is', () => {
  const { req, payload } = parse('/generate', { input_ids: [5, 6], extra_key: 'k', stream: true, sampling_params: { max_new_tokens: 8 }, model: 'ignored' });
  assert.equal(payload, null);
  assert.equal(req.model, '');
  assert.equal(req.cacheSalt, 'k');
  assert.equal(req.stream, true);
  assert.equal(req.promptText, '[5,6]');
  assert.equal(parse('generate/', { input_ids: [1] }).req.promptText, '[1]');
});

test('only the exact /generate path; bad bodies are 400', () => {
  assert.throws(() => parse('/v1/generate', { input_ids: [1] }), /unsupported path: \/v1\/generate/);
  const bad: [unknown, RegExp][] = [
    [{}, /input_ids must be provided/],
    [{ input_ids: null }, /input_ids must be provided/],
    [{ input_ids: [] }, /cannot be empty/],
    [{ input_ids: [[1, 2]] }, /array of uint32/],
    [{ input_ids: [1], extra_key: 3 }, /extra_key must be a string/],
    [{ input_ids: [1], stream: 'yes' }, /stream/],
  ];
  for (const [body, re] of bad) {
    assert.throws(() => parse('/generate', body), (e: unknown) => e instanceof RequestParseError && re.test(e.message), JSON.stringify(body));
  }
});
