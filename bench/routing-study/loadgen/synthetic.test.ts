import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenCount } from '../../sim/tokens.ts';
import { Rng } from '../../sim/rng.ts';
import { percentileSorted } from './stats.ts';
import { randomWorkload, sharedPrefix, shareGptInputLen, shareGptOutputLen, syntheticShareGpt, withLoraMix } from './synthetic.ts';
import { gieLoraMix } from './workload.ts';

function stats(xs: number[]): { mean: number; p50: number; p90: number; p99: number; sd: number } {
  const s = Float64Array.from(xs).sort();
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, p50: percentileSorted(s, 50), p90: percentileSorted(s, 90), p99: percentileSorted(s, 99), sd };
}

function within(actual: number, target: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - target) <= tol * target, `${what}: ${actual.toFixed(1)} not within ${tol * 100}% of ${target}`);
}

// Targets: the GIE/LPG ShareGPT run (benchmarking.md §1.8). Tolerances hold for seed 42 and 100k samples.
test('synthetic ShareGPT input lengths match the published statistics', () => {
  const rng = new Rng(42);
  const xs = Array.from({ length: 100_000 }, () => shareGptInputLen(rng.next()));
  const s = stats(xs);
  within(s.mean, 251.5, 0.03, 'input mean');
  within(s.p50, 109, 0.05, 'input median');
  within(s.p90, 714, 0.03, 'input p90');
  within(s.p99, 987, 0.02, 'input p99');
  within(s.sd, 281.6, 0.05, 'input sd');
  assert.ok(Math.min(...xs) >= 4 && Math.max(...xs) <= 1024);
});

test('synthetic ShareGPT output lengths match the published statistics', () => {
  const rng = new Rng(42);
  const xs = Array.from({ length: 100_000 }, () => shareGptOutputLen(rng));
  const s = stats(xs);
  within(s.mean, 225.3, 0.03, 'output mean');
  within(s.p50, 144, 0.05, 'output median');
  within(s.p90, 564, 0.03, 'output p90');
  within(s.p99, 948, 0.02, 'output p99');
  assert.ok(Math.min(...xs) >= 4 && Math.max(...xs) <= 1024);
});

test('synthetic items are deterministic per index and their prompts have the drawn token length', () => {
  const a = syntheticShareGpt(7);
  const b = syntheticShareGpt(7);
  for (const i of [0, 1, 99, 12345]) {
    assert.deepEqual(a.item(i), b.item(i));
    const it = a.item(i);
    assert.ok(tokenCount(it.prompt) >= 4 && tokenCount(it.prompt) <= 1024);
    assert.equal(it.prompt.length % 4, 0);
  }
  assert.notEqual(a.item(1).prompt, a.item(2).prompt);
  assert.notDeepEqual(syntheticShareGpt(8).item(0), a.item(0));
});

test('random workload stays within the range ratio', () => {
  const w = randomWorkload(3, 200, 50, 0.5);
  for (let i = 0; i < 500; i++) {
    const it = w.item(i);
    const inLen = tokenCount(it.prompt);
    assert.ok(inLen >= 100 && inLen <= 300, `input ${inLen}`);
    assert.ok(it.outputTokens >= 25 && it.outputTokens <= 75);
  }
});

test('shared-prefix: groups x prompts, one system prompt per group, shuffled and cycled', () => {
  const w = sharedPrefix({ groups: 4, promptsPerGroup: 3, systemPromptLen: 100, questionLen: 20, outputLen: 8, seed: 1 });
  assert.equal(w.size, 12);
  const byGroup = new Map<number, string[]>();
  for (let i = 0; i < 12; i++) {
    const it = w.item(i);
    assert.equal(it.outputTokens, 8);
    assert.equal(tokenCount(it.prompt), Math.ceil((400 + 1 + 80) / 4));
    byGroup.set(it.group, [...(byGroup.get(it.group) ?? []), it.prompt]);
  }
  assert.equal(byGroup.size, 4);
  for (const prompts of byGroup.values()) {
    assert.equal(prompts.length, 3);
    const prefix = (prompts[0] as string).slice(0, 400);
    for (const p of prompts) assert.equal(p.slice(0, 400), prefix);
    assert.equal(new Set(prompts).size, 3);
  }
  assert.equal(w.item(12), w.item(0));
  const groupsInOrder = Array.from({ length: 12 }, (_, i) => w.item(i).group);
  assert.notDeepEqual(groupsInOrder, [...groupsInOrder].sort(), 'order is shuffled');
});

test('LoRA mix follows the 60/30/10 split within 2 points', () => {
  const mix = gieLoraMix();
  const w = withLoraMix(randomWorkload(1, 8, 4), mix, 5);
  const counts = [0, 0, 0];
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const idx = mix.names.indexOf(w.item(i).model);
    counts[Math.floor(idx / 5)]!++;
  }
  within(counts[0]! / n, 0.6, 0.033, 'group 1 share');
  within(counts[1]! / n, 0.3, 0.066, 'group 2 share');
  within(counts[2]! / n, 0.1, 0.2, 'group 3 share');
});
