import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUsage, TailBuffer } from './usage.ts';

test('usage from a non-streamed chat completion', () => {
  const body = JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46, prompt_tokens_details: { cached_tokens: 8 } } });
  assert.deepEqual(parseUsage(body), { promptTokens: 12, completionTokens: 34, cachedTokens: 8 });
});

test('usage from the last SSE chunk; earlier usage:null chunks ignored', () => {
  const sse = [
    'data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"a"}}],"usage":null}\n\n',
    'data: {"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}\n\n',
    'data: [DONE]\n\n',
  ].join('');
  assert.deepEqual(parseUsage(sse), { promptTokens: 5, completionTokens: 7, cachedTokens: 0 });
});

test('responses API names (input/output tokens)', () => {
  assert.deepEqual(parseUsage('{"usage":{"input_tokens":3,"output_tokens":4}}'), { promptTokens: 3, completionTokens: 4, cachedTokens: 0 });
});

test('no usage -> undefined', () => {
  assert.equal(parseUsage('{"choices":[]}'), undefined);
  assert.equal(parseUsage('data: {"usage":null}\n\n'), undefined);
});

test('tail buffer keeps only the last bytes, across chunks', () => {
  const t = new TailBuffer(10);
  t.push(Buffer.from('abcdefgh'));
  t.push(Buffer.from('ijklmnop'));
  assert.equal(t.text(), 'ghijklmnop');
  t.push(Buffer.from('0123456789ABCDEF'));
  assert.equal(t.text(), '6789ABCDEF');
});
