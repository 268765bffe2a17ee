import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { pickerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { pickerRandom } from '../picker-random.ts';
import { createWeightedRandomPicker } from './weighted-random.ts';

pickerContract('weighted-random-picker', (h) => createWeightedRandomPicker('weighted-random-picker', undefined, h));
pickerContract('weighted-random-picker (k=2)', (h) => createWeightedRandomPicker('weighted-random-picker', { maxNumOfEndpoints: 2 }, h));

const eps = [0, 1, 2, 3].map((i) => makeEndpoint(i));

function shares(scores: number[], k = 1, rounds = 40_000): number[] {
  pickerRandom.seed(5);
  const picker = createWeightedRandomPicker('w', { maxNumOfEndpoints: k }, testHandle());
  const out: Endpoint[] = new Array<Endpoint>(k).fill(eps[0]!);
  const s = Float64Array.from(scores);
  const counts = scores.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    picker.pick(makeRequest(), eps, scores.length, s, out);
    counts[eps.indexOf(out[0]!)]!++;
  }
  return counts.map((c) => c / rounds);
}

test('weighted-random-picker: picks in proportion to score', () => {
  const got = shares([1, 3, 0, 4]);
  const want = [1 / 8, 3 / 8, 0, 4 / 8];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 0.02, `got ${got}`);
});

test('weighted-random-picker: all scores <= 0 -> uniform', () => {
  for (const v of shares([0, 0, -1, 0])) assert.ok(Math.abs(v - 0.25) < 0.02, `${v}`);
});

test('weighted-random-picker: zero-score endpoints only fill the tail of a fallback list', () => {
  pickerRandom.seed(9);
  const picker = createWeightedRandomPicker('w', { maxNumOfEndpoints: 3 }, testHandle());
  const out: Endpoint[] = new Array<Endpoint>(3).fill(eps[0]!);
  for (let r = 0; r < 200; r++) {
    assert.equal(picker.pick(makeRequest(), eps, 4, Float64Array.from([0, 2, 0, 1]), out), 3);
    assert.ok(out[0] === eps[1] || out[0] === eps[3]);
    assert.ok(out[1] === eps[1] || out[1] === eps[3]);
    assert.ok(out[2] === eps[0] || out[2] === eps[2]);
  }
});
