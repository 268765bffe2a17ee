import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { pickerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { pickerRandom } from '../picker-random.ts';
import { createRandomPicker } from './random.ts';

pickerContract('random-picker', (h) => createRandomPicker('random-picker', undefined, h));
pickerContract('random-picker (k=4)', (h) => createRandomPicker('random-picker', { maxNumOfEndpoints: 4 }, h));

test('random-picker: ignores scores and spreads uniformly', () => {
  pickerRandom.seed(7);
  const eps = [0, 1, 2, 3].map((i) => makeEndpoint(i));
  const picker = createRandomPicker('r', undefined, testHandle());
  const out: Endpoint[] = [eps[0]!];
  const counts = [0, 0, 0, 0];
  const scores = Float64Array.from([100, 0, 0, 0]);
  for (let r = 0; r < 40_000; r++) {
    picker.pick(makeRequest(), eps, 4, scores, out);
    counts[eps.indexOf(out[0]!)]!++;
  }
  for (const c of counts) assert.ok(Math.abs(c / 40_000 - 0.25) < 0.02, `${counts}`);
});

test('random-picker: k picks are distinct', () => {
  const eps = [0, 1, 2, 3, 4, 5].map((i) => makeEndpoint(i));
  const picker = createRandomPicker('r', { maxNumOfEndpoints: 6 }, testHandle());
  const out: Endpoint[] = new Array<Endpoint>(6).fill(eps[0]!);
  assert.equal(picker.pick(makeRequest(), eps, 6, new Float64Array(6), out), 6);
  assert.equal(new Set(out).size, 6);
});
