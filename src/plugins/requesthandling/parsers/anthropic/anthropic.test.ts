import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError } from '../../../../framework/parser.ts';
import { AnthropicParser } from './anthropic.ts';

const parser = new AnthropicParser('anthropic-parser');
const parse = (path: string, body: unknown) => {
  const req = new LLMRequest();
  const payload = parser.parseRequest(typeof body === 'string' ? body : JSON.stringify(body), path, req);
  return { req, payload };
};

test('messages: model, stream, cache_salt; prompt text = system + messages as sent', () => {
  const { req, payload } = parse('/v1/messages', {
    model: 'claude',
    system: 'be brief',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    cache_salt: 's',
    max_tokens: 10,
  });
  assert.equal(req.model, 'claude');
  assert.equal(req.stream, true);
  assert.equal(req.cacheSalt, 's');
  assert.equal(req.promptText, '"be brief"[{"role":"user","content":[{"type":"text","text":"hi"}]}]');
  assert.ok(payload !== null, 'the model may be rewritten');
});

test('count_tokens is forwarded as is: no parse, no model, as upstream', () => {
  const { req, payload } = parse('/v1/messages/count_tokens', 'not even json');
  assert.equal(payload, null);
  assert.equal(req.model, '');
});

test('bad messages requests are 400', () => {
  const bad: [string, unknown, RegExp][] = [
    ['/v1/messages', '{', /not valid JSON/],
    ['/v1/messages', { model: 'm', messages: [] }, /at least one message/],
    ['/v1/messages', { model: 'm' }, /at least one message/],
    ['/v1/messages', { model: 'm', messages: 'x' }, /messages/],
    ['/v1/messages', { model: 'm', messages: [{ role: 'user', content: 5 }] }, /messages/],
    ['/v1/messages', { model: 'm', messages: [{ role: 'user', content: 'q' }], system: 5 }, /system/],
    ['/v1/messages', { model: 'm', messages: [{ role: 'user', content: 'q' }], tools: [{ name: 3 }] }, /tools/],
    ['/v1/other', { model: 'm', messages: [{ role: 'user', content: 'q' }] }, /unsupported API endpoint/],
  ];
  for (const [path, body, re] of bad) {
    assert.throws(() => parse(path, body), (e: unknown) => e instanceof RequestParseError && re.test(e.message), JSON.stringify(body));
  }
});

test('tool_result blocks nest content', () => {
  const messages = [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }] }] }];
  assert.equal(parse('/v1/messages', { model: 'm', messages }).req.model, 'm');
  const bad = [{ role: 'user', content: [{ type: 'tool_result', content: [{ type: 'text', text: 1 }] }] }];
  assert.throws(() => parse('/v1/messages', { model: 'm', messages: bad }), RequestParseError);
});
