import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachEntry, loadShareGpt, toItem, VLLM_FILTER } from './sharegpt.ts';

const words = (tokens: number): string => 'abcd'.repeat(tokens);

const DATA = [
  { id: 'ok', conversations: [{ from: 'human', value: words(10) }, { from: 'gpt', value: words(20) }, { from: 'human', value: 'ignored third turn' }] },
  { id: 'one-turn', conversations: [{ from: 'human', value: words(10) }] },
  { id: 'short-prompt', conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt', value: words(20) }] },
  { id: 'short-answer', conversations: [{ from: 'human', value: words(10) }, { from: 'gpt', value: 'ok' }] },
  { id: 'long-prompt', conversations: [{ from: 'human', value: words(1025) }, { from: 'gpt', value: words(20) }] },
  { id: 'long-total', conversations: [{ from: 'human', value: words(1000) }, { from: 'gpt', value: words(1049) }] },
  { id: 'edge-total', conversations: [{ from: 'human', value: words(1000) }, { from: 'gpt', value: words(1048) }] },
  { id: 'string-json', conversations: JSON.stringify([{ from: 'human', value: words(5) }, { from: 'gpt', value: words(6) }]) },
  { id: 'roles-not-checked', conversations: [{ from: 'gpt', value: words(8) }, { from: 'human', value: words(9) }] },
  { id: 'escapes "}{][', conversations: [{ from: 'human', value: 'quote " brace } bracket ] ' + words(4) }, { from: 'gpt', value: words(4) }] },
];

test('the vLLM filter: first two turns, 4 <= prompt <= 1024, output >= 4, total <= 2048', () => {
  const kept = DATA.map((e) => [e.id, toItem(e, 'completion', VLLM_FILTER)?.outputTokens] as const).filter(([, o]) => o !== undefined);
  assert.deepEqual(kept, [
    ['ok', 20],
    ['edge-total', 1048],
    ['string-json', 6],
    ['roles-not-checked', 9],
    ['escapes "}{][', 4],
  ]);
});

test('a fixed output length replaces the completion length and skips the output filter', () => {
  const it = toItem(DATA[3], 'chat', { ...VLLM_FILTER, fixedOutputLen: 128 });
  assert.equal(it?.outputTokens, 128);
  assert.equal(it?.api, 'chat');
});

test('the byte scanner parses every top-level element, whatever strings contain', () => {
  const ids: string[] = [];
  forEachEntry(Buffer.from(JSON.stringify(DATA, null, 1)), (e) => ids.push((e as { id: string }).id));
  assert.deepEqual(ids, DATA.map((d) => d.id));
});

test('loading a file keeps the filtered entries in a seeded shuffle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sharegpt-'));
  try {
    const path = join(dir, 'sg.json');
    writeFileSync(path, JSON.stringify(DATA));
    const a = loadShareGpt(path, 1);
    const b = loadShareGpt(path, 1);
    assert.equal(a.size, 5);
    assert.deepEqual(Array.from({ length: 5 }, (_, i) => a.item(i)), Array.from({ length: 5 }, (_, i) => b.item(i)));
    assert.deepEqual(a.item(5), a.item(0), 'cycles');
    assert.equal(a.describe.entries, DATA.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
