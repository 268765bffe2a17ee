import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightedChoice } from './weighted-choice.ts';

function seq(values: number[]) {
  let i = 0;
  return () => values[i++ % values.length]!;
}

test('picks proportionally to weight', () => {
  const items = [{ n: 'a', weight: 1 }, { n: 'b', weight: 3 }];
  assert.equal(weightedChoice(items, seq([0.1]))?.n, 'a'); // 0.1*4 = 0.4 < 1
  assert.equal(weightedChoice(items, seq([0.3]))?.n, 'b'); // 1.2 >= 1
  assert.equal(weightedChoice(items, seq([0.999]))?.n, 'b');
});

test('all-zero weights -> uniform; empty -> undefined; one -> it', () => {
  const items = [{ n: 'a', weight: 0 }, { n: 'b', weight: 0 }];
  assert.equal(weightedChoice(items, seq([0.6]))?.n, 'b');
  assert.equal(weightedChoice([], Math.random), undefined);
  assert.equal(weightedChoice([{ n: 'x', weight: 5 }], Math.random)?.n, 'x');
});

test('long-run frequencies follow the weights', () => {
  const items = [{ n: 'a', weight: 10 }, { n: 'b', weight: 30 }, { n: 'c', weight: 60 }];
  let s = 42;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 20_000; i++) counts[weightedChoice(items, rnd)!.n]!++;
  assert.ok(Math.abs(counts.a! / 20_000 - 0.1) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.c! / 20_000 - 0.6) < 0.02, JSON.stringify(counts));
});
