// Cases from upstream usagelimits/softreflectiveceiling/policy_test.go (commit ebab687).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { createSoftReflectiveCeilingPolicy, SoftReflectiveCeilingPolicy } from './soft-reflective-ceiling.ts';

function limits(p: SoftReflectiveCeilingPolicy, saturation: number, priorities: number[]): number[] {
  const c = priorities.map(() => 1);
  p.computeLimit(saturation, priorities, c);
  return c;
}

test('soft-reflective-ceiling: factory takes no parameters', () => {
  assert.equal(createSoftReflectiveCeilingPolicy('soft-reflective', undefined).name, 'soft-reflective');
  assert.equal(createSoftReflectiveCeilingPolicy('s', {}).type, 'soft-reflective-ceiling-policy');
  assert.throws(() => createSoftReflectiveCeilingPolicy('s', { threshold: 0.5 }), PluginConfigError);
});

test('soft-reflective-ceiling: no bands, one band, critical band never gated', () => {
  const p = new SoftReflectiveCeilingPolicy('s');
  assert.deepEqual(limits(p, 0.9, []), []);
  for (const sat of [0, 0.5, 0.99, 1]) assert.deepEqual(limits(p, sat, [100]), [1]);
  for (const sat of [0, 0.3, 0.5, 0.7, 0.99, 1, 1.5]) assert.equal(limits(p, sat, [100, 0, -50])[0], 1);
});

test('soft-reflective-ceiling: below the ceiling all open; fully saturated all closed but the first', () => {
  const p = new SoftReflectiveCeilingPolicy('s');
  assert.deepEqual(limits(p, 0.3, [100, 0, -50]), [1, 1, 1]);
  assert.deepEqual(limits(p, 1, [100, 0, -50]), [1, 0, 0]);
});

test('soft-reflective-ceiling: reflective formula (4 bands at 0.7: band 1 below 0.7667 stays open)', () => {
  const got = limits(new SoftReflectiveCeilingPolicy('s'), 0.7, [100, 50, 0, -50]);
  assert.equal(got.length, 4);
  assert.equal(got[0], 1);
  assert.equal(got[1], 1);
  for (const c of got.slice(2)) assert.ok(c === 0 || c === 1);
});

test('soft-reflective-ceiling: alternation, period round(s/(1-s)) = 2 at 0.7, 3 at 0.75', () => {
  const p = new SoftReflectiveCeilingPolicy('s');
  assert.deepEqual(Array.from({ length: 6 }, () => limits(p, 0.7, [100, -50])[1]), [0, 1, 0, 1, 0, 1]);
  const q = new SoftReflectiveCeilingPolicy('s');
  assert.deepEqual(Array.from({ length: 6 }, () => limits(q, 0.75, [100, -50])[1]), [0, 0, 1, 0, 0, 1]);
});

test('soft-reflective-ceiling: gated bands open on the same calls (no starvation under rising saturation)', () => {
  const p = new SoftReflectiveCeilingPolicy('s');
  for (let i = 0; i < 5; i++) limits(p, 0.6, [100, 0, -50]);
  let open1 = 0;
  let open2 = 0;
  for (let i = 0; i < 100; i++) {
    const got = limits(p, 0.7, [100, 0, -50]);
    assert.ok(!(got[2] === 1 && got[1] === 0), `call ${i}: band 2 open while band 1 closed`);
    if (got[1] === 1) open1++;
    if (got[2] === 1) open2++;
  }
  assert.ok(open2 > 0);
  assert.ok(open1 >= open2);
});
