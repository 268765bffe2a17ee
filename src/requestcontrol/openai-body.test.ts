import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLMRequest } from '../framework/request.ts';
import { EppError } from './errors.ts';
import { parseOpenAIBody, rewriteModel } from './openai-body.ts';

function parse(path: string, body: unknown) {
  const req = new LLMRequest();
  req.path = path;
  parseOpenAIBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), req);
  return req;
}

test('completions: model, prompt, stream, cache_salt', () => {
  const r = parse('/v1/completions', { model: 'm', prompt: 'hello world', stream: true, cache_salt: 's' });
  assert.equal(r.model, 'm');
  assert.equal(r.promptText, 'hello world');
  assert.equal(r.stream, true);
  assert.equal(r.cacheSalt, 's');
});

test('chat: the prompt text is the JSON of the messages', () => {
  const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }];
  const r = parse('/v1/chat/completions', { model: 'm', messages });
  assert.equal(r.promptText, JSON.stringify(messages));
  assert.equal(r.stream, false);
});

test('chat: the prompt text is the client\'s own text of the messages array, as sent', () => {
  const req = new LLMRequest();
  req.path = '/v1/chat/completions';
  const body = '{"model":"m", "messages" : [ {"role": "user", "content": "a \\"q\\" ]"} ],"stream":false}';
  parseOpenAIBody(Buffer.from(body), req);
  assert.equal(req.promptText, '[ {"role": "user", "content": "a \\"q\\" ]"} ]');
});

test('query strings and other paths with a model field', () => {
  assert.equal(parse('/v1/chat/completions?x=1', { model: 'm', messages: [{ role: 'user', content: 'q' }] }).model, 'm');
  assert.equal(parse('/generate', { model: 'm', prompt: 'p' }).promptText, 'p');
  assert.equal(parse('/v1/embeddings', { model: 'e', input: 'text' }).promptText, 'text');
});

test('bad bodies are 400 with the field named', () => {
  const cases: [string, unknown, RegExp, string | null][] = [
    ['/v1/completions', '{"model": "m", ', /not valid JSON/, null],
    ['/v1/completions', '[1,2]', /must be a JSON object/, null],
    ['/v1/completions', { prompt: 'x' }, /model not found/, 'model'],
    ['/v1/completions', { model: 7, prompt: 'x' }, /model must be a string/, 'model'],
    ['/v1/completions', { model: 'm' }, /prompt must be/, 'prompt'],
    ['/v1/completions', { model: 'm', prompt: '' }, /prompt must not be empty/, 'prompt'],
    ['/v1/chat/completions', { model: 'm', messages: [] }, /messages must be a non-empty array/, 'messages'],
  ];
  for (const [path, body, re, param] of cases) {
    assert.throws(
      () => parse(path, body),
      (e: unknown) => e instanceof EppError && e.code === 'BAD_REQUEST' && e.status === 400 && re.test(e.message) && e.param === param,
      JSON.stringify(body),
    );
  }
});

test('model rewrite re-serialises the body', () => {
  const obj = { model: 'a', prompt: 'p', max_tokens: 3 };
  const out = JSON.parse(rewriteModel(obj, 'b').toString());
  assert.deepEqual(out, { model: 'b', prompt: 'p', max_tokens: 3 });
});
