import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { testRandom } from '../../test/support/scheduling/testing.ts';
import { LeanHistogram } from './lean-histogram.ts';

const BUCKETS = [0.005, 0.025, 0.1, 1, 2.5, 10, 60];

function pair(labelNames: string[]) {
  const promReg = new client.Registry();
  const leanReg = new client.Registry();
  const cfg = { name: 'epp_test_seconds', help: 'A "test" histogram\\ with\nnewlines.', labelNames, buckets: BUCKETS };
  const prom = new client.Histogram({ ...cfg, registers: [promReg] });
  const lean = new LeanHistogram({ ...cfg, registers: [leanReg] });
  return { prom, lean, promReg, leanReg };
}

test('lean-histogram: exposition is byte-identical to prom-client Histogram, labelled series', async () => {
  const { prom, lean, promReg, leanReg } = pair(['model_name', 'target_model_name']);
  const rnd = testRandom(9);
  const labelSets = [['m', 'm'], ['m', 'lora-a'], ['quote"back\\slash', 'new\nline']];
  for (let i = 0; i < 5000; i++) {
    const [a, b] = labelSets[i % labelSets.length]!;
    // Values on the bounds, between them, past the last, zero and negative.
    const v = i % 7 === 0 ? BUCKETS[i % BUCKETS.length]! : i % 11 === 0 ? -rnd() : i % 13 === 0 ? 0 : rnd() ** 3 * 100;
    prom.labels(a!, b!).observe(v);
    lean.labels(a!, b!).observe(v);
  }
  assert.equal(await leanReg.metrics(), await promReg.metrics());
  assert.deepEqual(await leanReg.getMetricsAsJSON(), await promReg.getMetricsAsJSON());
});

test('lean-histogram: a histogram without labels shows zeros before any observe, as prom-client does', async () => {
  const { prom, lean, promReg, leanReg } = pair([]);
  assert.equal(await leanReg.metrics(), await promReg.metrics());
  for (const v of [0.001, 0.005, 0.3, 1000]) {
    prom.observe(v);
    lean.observe(v);
  }
  assert.equal(await leanReg.metrics(), await promReg.metrics());
});

test('lean-histogram: non-finite values are dropped, wrong label counts are refused', () => {
  const { lean } = pair(['model_name']);
  const child = lean.labels('m');
  child.observe(Number.NaN);
  child.observe(Number.POSITIVE_INFINITY);
  child.observe(2);
  assert.equal(child.count, 1);
  assert.equal(child.sum, 2);
  assert.equal(lean.labels('m'), child, 'one child per label set');
  assert.throws(() => lean.labels('a', 'b'), /2 label values for 1 labels/);
  assert.throws(() => lean.observe(1), /needs labels/);
});
