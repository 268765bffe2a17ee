import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError } from '../../../../framework/parser.ts';
import { OpenAIParser } from './openai.ts';

const parser = new OpenAIParser('openai-parser');

function parse(path: string, body: unknown) {
  const req = new LLMRequest();
  const payload = parser.parseRequest(typeof body === 'string' ? body : JSON.stringify(body), path, req);
  return { req, payload };
}

test('completions: model, prompt, stream, cache_salt', () => {
  const { req: r } = parse('/v1/completions', { model: 'm', prompt: 'hello world', stream: true, cache_salt: 's' });
  assert.equal(r.model, 'm');
  assert.equal(r.promptText, 'hello world');
  assert.equal(r.stream, true);
  assert.equal(r.cacheSalt, 's');
});

test('chat: the prompt text is the JSON of the messages', () => {
  const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }];
  const { req: r } = parse('/v1/chat/completions', { model: 'm', messages });
  assert.equal(r.promptText, JSON.stringify(messages));
  assert.equal(r.stream, false);
});

test("chat: the prompt text is the client's own text of the messages array, as sent", () => {
  const body = '{"model":"m", "messages" : [ {"role": "user", "content": "a \\"q\\" ]"} ],"stream":false}';
  assert.equal(parse('/v1/chat/completions', body).req.promptText, '[ {"role": "user", "content": "a \\"q\\" ]"} ]');
});

test('the API follows the path suffix; other paths are read as completions, as upstream', () => {
  assert.equal(parse('/v1/embeddings', { model: 'e', input: 'text' }).req.promptText, 'text');
  assert.equal(parse('/v1/images/generations', { model: 'i', prompt: 'a cat' }).req.promptText, 'a cat');
  assert.equal(parse('/v1/chat/completions/render', { model: 'm', messages: [{ role: 'user', content: 'q' }] }).req.model, 'm');
  assert.equal(parse('/v1/projects/p/chat/completions/', { model: 'm', messages: [{ role: 'user', content: 'q' }] }).req.model, 'm');
  assert.equal(parse('/whatever', { model: 'm', prompt: 'p' }).req.promptText, 'p');
  assert.throws(() => parse('/whatever', { model: 'm', messages: [{ role: 'user', content: 'q' }] }), /must have prompt field/);
  assert.ok(parse('/v1/responses', { model: 'r', input: 'x', instructions: 'be brief' }).req.promptText.includes('be brief'));
  assert.equal(parse('/v1/conversations', { model: 'c', items: [{ type: 'message', role: 'user', content: 'hi' }] }).req.model, 'c');
});

test('a model that is absent or not a string reads as "" (the director answers 400)', () => {
  assert.equal(parse('/v1/completions', { prompt: 'x' }).req.model, '');
  assert.equal(parse('/v1/completions', { model: 7, prompt: 'x' }).req.model, '');
});

test('bad bodies are RequestParseError (400) with the field named', () => {
  const cases: [string, unknown, RegExp, string][] = [
    ['/v1/completions', '{"model": "m", ', /request body is not valid JSON/, ''],
    ['/v1/completions', '[1,2]', /JSON object/, ''],
    ['/v1/completions', { model: 'm' }, /must have prompt field/, 'prompt'],
    ['/v1/completions', { model: 'm', prompt: '' }, /must have prompt field/, 'prompt'],
    ['/v1/completions', { model: 'm', prompt: [1, 'a'] }, /mixed types/, 'prompt'],
    ['/v1/completions', { model: 'm', prompt: [1.5] }, /not a valid token ID/, 'prompt'],
    ['/v1/completions', { model: 'm', prompt: 'p', cache_salt: 3 }, /cache_salt/, 'cache_salt'],
    ['/v1/chat/completions', { model: 'm', messages: [] }, /valid messages/, 'messages'],
    ['/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 5 }] }, /valid messages/, 'messages'],
    ['/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'q' }], chat_template: 1 }, /chat_template/, 'chat_template'],
    ['/v1/responses', { model: 'm' }, /must have input field/, 'input'],
    ['/v1/conversations', { model: 'm', items: [] }, /must have items field/, 'items'],
    ['/v1/embeddings', { model: 'm', input: [] }, /must have input field/, 'input'],
    ['/v1/images/generations', { model: 'm', prompt: 'p', n: 1.5 }, /field n/, 'n'],
    ['/v1/images/generations', { model: 'm' }, /must have prompt field/, 'prompt'],
  ];
  for (const [path, body, re, field] of cases) {
    assert.throws(
      () => parse(path, body),
      (e: unknown) => e instanceof RequestParseError && re.test(e.message) && e.field === field,
      `${path} ${JSON.stringify(body)}`,
    );
  }
});

test('the parsed object is returned for the model rewrite', () => {
  const { payload } = parse('/v1/completions', { model: 'a', prompt: 'p', max_tokens: 3 });
  assert.deepEqual(payload, { model: 'a', prompt: 'p', max_tokens: 3 });
});
