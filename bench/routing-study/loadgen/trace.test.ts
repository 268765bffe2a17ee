import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTrace, parseTrace, traceWorkload } from './trace.ts';

const AZURE = new URL('./testdata/azure-conv-300.csv', import.meta.url).pathname;

test('trace: the Azure format reads with ms times from the first row and exact token counts', () => {
  const w = loadTrace(AZURE);
  assert.equal(w.size, 300);
  const first = w.item(0);
  assert.equal(first.prompt.length, 374 * 4);
  assert.equal(first.outputTokens, 44);
  const a = w.arrivals(0, 0);
  assert.equal(a.length, 300);
  assert.equal(a[0], 0);
  assert.ok(Math.abs((a[1] as number) - 4314.4) < 0.5, String(a[1]));
});

test('trace: --qps rescales every gap by one factor (burstiness kept) and the duration cuts', () => {
  const w = loadTrace(AZURE);
  const own = w.arrivals(0, 0);
  const fast = w.arrivals(w.traceQps * 10, 0);
  for (let i = 0; i < own.length; i++) assert.ok(Math.abs((fast[i] as number) * 10 - (own[i] as number)) < 1e-6);
  const cut = w.arrivals(w.traceQps * 10, 5);
  assert.ok(cut.length < own.length && (cut[cut.length - 1] as number) <= 5000);
});

test('trace: BurstGPT columns, and shared prefixes at the stated rate', () => {
  const rows = parseTrace('Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,100,20,120,Conversation log\n1,GPT-4,40,10,50,API log\n');
  assert.deepEqual(rows, [
    { atMs: 0, promptTokens: 40, outputTokens: 10 },
    { atMs: 4000, promptTokens: 100, outputTokens: 20 },
  ]);
  const many = Array.from({ length: 2000 }, (_, i) => ({ atMs: i, promptTokens: 256, outputTokens: 8 }));
  const w = traceWorkload('t', many, { sharePrefix: 0.5, prefixGroups: 4 });
  let shared = 0;
  const byGroup = new Map<number, string>();
  for (let i = 0; i < w.size; i++) {
    const it = w.item(i);
    assert.equal(it.prompt.length, 256 * 4);
    if (it.group < 0) continue;
    shared++;
    const head = it.prompt.slice(0, 512);
    assert.equal(byGroup.get(it.group) ?? head, head);
    byGroup.set(it.group, head);
  }
  assert.ok(Math.abs(shared / w.size - 0.5) < 0.05, String(shared));
});
