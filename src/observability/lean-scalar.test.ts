import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { LeanScalar } from './lean-scalar.ts';

function pair(type: 'counter' | 'gauge', labelNames: string[]) {
  const promReg = new client.Registry();
  const leanReg = new client.Registry();
  const cfg = { name: 'epp_test_total', help: 'A "test" metric\\ with\nnewlines.', labelNames };
  const prom = type === 'counter' ? new client.Counter({ ...cfg, registers: [promReg] }) : new client.Gauge({ ...cfg, registers: [promReg] });
  const lean = new LeanScalar(type, { ...cfg, registers: [leanReg] });
  return { prom, lean, promReg, leanReg };
}

test('lean-scalar: counter exposition and JSON identical to prom-client Counter', async () => {
  const { prom, lean, promReg, leanReg } = pair('counter', ['model_name', 'priority']);
  const sets = [['m', '0'], ['quote"back\\slash', '-1'], ['new\nline', '10']];
  for (let i = 0; i < 100; i++) {
    const [a, b] = sets[i % sets.length]!;
    (prom as client.Counter).labels(a!, b!).inc();
    lean.labels(a!, b!).inc();
  }
  assert.equal(await leanReg.metrics(), await promReg.metrics());
  assert.deepEqual(await leanReg.getMetricsAsJSON(), await promReg.getMetricsAsJSON());
});

test('lean-scalar: gauge inc/dec/set and the unlabelled series match prom-client Gauge', async () => {
  const labelled = pair('gauge', ['model_name']);
  const g = labelled.prom as client.Gauge;
  g.labels('a').inc();
  g.labels('a').inc();
  g.labels('a').dec();
  g.labels('b').set(0.25);
  labelled.lean.labels('a').inc();
  labelled.lean.labels('a').inc();
  labelled.lean.labels('a').dec();
  labelled.lean.labels('b').set(0.25);
  assert.equal(await labelled.leanReg.metrics(), await labelled.promReg.metrics());

  const plain = pair('gauge', []);
  assert.equal(await plain.leanReg.metrics(), await plain.promReg.metrics(), 'zero before any write');
  (plain.prom as client.Gauge).set(7);
  plain.lean.plain.set(7);
  assert.equal(await plain.leanReg.metrics(), await plain.promReg.metrics());
});

test('lean-scalar: collect runs before each read; wrong label counts are refused', async () => {
  const reg = new client.Registry();
  let n = 0;
  const g = new LeanScalar('gauge', { name: 'g', help: 'h', labelNames: ['x'], registers: [reg], collect() { this.reset(); this.labels(String(++n)).set(n); } });
  assert.match(await reg.metrics(), /g\{x="1"\} 1/);
  assert.match(await reg.metrics(), /g\{x="2"\} 2\n?$/);
  assert.throws(() => g.labels('a', 'b'), /2 label values for 1 labels/);
  assert.throws(() => g.plain, /needs labels/);
});
