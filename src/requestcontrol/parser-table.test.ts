import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Parser } from '../framework/parser.ts';
import { ParserTable, requestPath } from './parser-table.ts';

const parser = (type: string, paths: string[], name = type): Parser => ({ type, name, paths, parseRequest: () => null });
const openai = parser('openai-parser', ['chat/completions', 'completions', 'embeddings', 'responses', 'conversations', 'images/generations']);
const anthropic = parser('anthropic-parser', ['messages', 'messages/count_tokens']);
const vllm = parser('vllmhttp-parser', ['inference/v1/generate']);
const sglang = parser('sglanghttp-parser', ['generate']);
const passthrough = parser('passthrough-parser', []);

test('the longest claimed suffix wins, whatever the order (upstream ParserRegistry.Resolve)', () => {
  const t = new ParserTable([sglang, openai, vllm, anthropic]);
  assert.equal(t.resolve('/v1/chat/completions')?.type, 'openai-parser');
  assert.equal(t.resolve('/v1/completions/')?.type, 'openai-parser');
  assert.equal(t.resolve('/inference/v1/generate')?.type, 'vllmhttp-parser');
  assert.equal(t.resolve('/generate')?.type, 'sglanghttp-parser');
  assert.equal(t.resolve('/v1/messages/count_tokens')?.type, 'anthropic-parser');
  assert.equal(t.resolve('/v1/models'), null, 'no fallback: refused');
});

test('the first parser that claims no path is the fallback; parsers after it and duplicate types are skipped', () => {
  const t = new ParserTable([openai, passthrough, anthropic, parser('openai-parser', ['x'], 'second')]);
  assert.equal(t.resolve('/v1/messages')?.type, 'passthrough-parser');
  assert.equal(t.resolve('/v1/completions')?.type, 'openai-parser');
  assert.deepEqual(t.parsers.map((p) => p.type), ['openai-parser', 'passthrough-parser']);
  assert.equal(t.warnings.length, 2);
  const dup = new ParserTable([openai, parser('openai-parser', ['images/edits'], 'again')]);
  assert.equal(dup.resolve('/v1/images/edits'), null);
  assert.match(dup.warnings[0]!, /"again" skipped/);
});

test('request path: :path, else x-original-path, else x-forwarded-path, else /v1/completions; query stripped', () => {
  assert.equal(requestPath(new Map([[':path', '/v1/chat/completions?x=1']])), '/v1/chat/completions');
  assert.equal(requestPath(new Map([['x-original-path', '/v1/embeddings']])), '/v1/embeddings');
  assert.equal(requestPath(new Map([['x-forwarded-path', '/v1/responses']])), '/v1/responses');
  assert.equal(requestPath(new Map()), '/v1/completions');
});
