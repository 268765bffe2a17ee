import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivalOffsets, stageCount } from './arrivals.ts';
import { Rng } from '../../sim/rng.ts';
import { percentileSorted, summarize, LogHistogram } from './stats.ts';

function gaps(offsets: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < offsets.length; i++) out.push((offsets[i] as number) - (i === 0 ? 0 : (offsets[i - 1] as number)));
  return out;
}

function cv(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) / m;
}

test('Poisson arrivals: the last send lands exactly at count / qps, gaps have CV 1 (±3%)', () => {
  const o = arrivalOffsets(new Rng(11), 20_000, 50, 1);
  assert.ok(Math.abs((o[o.length - 1] as number) - 400_000) < 1e-6);
  const g = gaps(o);
  assert.ok(Math.abs(cv(g) - 1) < 0.03, `cv ${cv(g)}`);
  // Exponential gaps: the median is ln 2 times the mean (±3%).
  const sorted = Float64Array.from(g).sort();
  assert.ok(Math.abs(percentileSorted(sorted, 50) / 20 - Math.LN2) < 0.03 * Math.LN2);
  for (let i = 1; i < o.length; i++) assert.ok((o[i] as number) >= (o[i - 1] as number));
});

test('gamma burstiness: shape 0.25 gives CV 2, shape 4 gives CV 0.5 (±5%); Infinity is a constant gap', () => {
  assert.ok(Math.abs(cv(gaps(arrivalOffsets(new Rng(1), 20_000, 10, 0.25))) - 2) < 0.1);
  assert.ok(Math.abs(cv(gaps(arrivalOffsets(new Rng(1), 20_000, 10, 4))) - 0.5) < 0.025);
  const c = arrivalOffsets(new Rng(1), 5, 10, Infinity);
  assert.deepEqual(Array.from(c).map((x) => Math.round(x * 1e6) / 1e6), [100, 200, 300, 400, 500]);
});

test('the same seed gives the same schedule', () => {
  assert.deepEqual(arrivalOffsets(new Rng(5), 100, 7), arrivalOffsets(new Rng(5), 100, 7));
  assert.notDeepEqual(arrivalOffsets(new Rng(5), 100, 7), arrivalOffsets(new Rng(6), 100, 7));
});

test('stage size is qps x duration, capped', () => {
  assert.equal(stageCount(20, 30), 600);
  assert.equal(stageCount(20, 30, 100), 100);
  assert.equal(stageCount(0.01, 1), 1);
});

test('percentiles interpolate linearly as numpy does', () => {
  const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(s.p50, 5.5);
  assert.equal(s.p90, 9.1);
  assert.equal(s.p99, 9.91);
  assert.equal(s.mean, 5.5);
  assert.ok(Number.isNaN(summarize([]).p50));
});

test('the log histogram reads percentiles back within 1%', () => {
  const h = new LogHistogram(0.01, 0.01, 2500);
  const rng = new Rng(3);
  const xs: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    const x = rng.exponential(25);
    xs.push(x);
    h.add(x);
  }
  const sorted = Float64Array.from(xs).sort();
  for (const q of [50, 90, 99]) {
    const exact = percentileSorted(sorted, q);
    assert.ok(Math.abs(h.percentile(q) - exact) / exact < 0.01, `p${q}: ${h.percentile(q)} vs ${exact}`);
  }
});
