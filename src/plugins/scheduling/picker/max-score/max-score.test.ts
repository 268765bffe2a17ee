import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { pickerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { pickerRandom } from '../picker-random.ts';
import { createMaxScorePicker } from './max-score.ts';

pickerContract('max-score-picker', (h) => createMaxScorePicker('max-score-picker', undefined, h));
pickerContract('max-score-picker (k=3)', (h) => createMaxScorePicker('max-score-picker', { maxNumOfEndpoints: 3 }, h));

const eps = [0, 1, 2, 3, 4].map((i) => makeEndpoint(i));

function pickIdx(k: number, scores: number[], picker = createMaxScorePicker('p', { maxNumOfEndpoints: k }, testHandle())): number[] {
  const out: Endpoint[] = new Array<Endpoint>(k).fill(eps[4]!);
  const count = picker.pick(makeRequest(), eps, scores.length, Float64Array.from(scores), out);
  return out.slice(0, count).map((e) => eps.indexOf(e));
}

const cases: { name: string; k: number; scores: number[]; want: number[] }[] = [
  { name: 'argmax', k: 1, scores: [0.1, 0.9, 0.5], want: [1] },
  { name: 'argmax first and last', k: 1, scores: [3, 1, 2], want: [0] },
  { name: 'ordered fallback list', k: 3, scores: [0.2, 0.9, 0.5, 0.7], want: [1, 3, 2] },
  { name: 'k larger than n', k: 3, scores: [0.5, 0.1], want: [0, 1] },
];
for (const c of cases) {
  test(`max-score-picker: ${c.name}`, () => assert.deepEqual(pickIdx(c.k, c.scores), c.want));
}

function firstPickShares(k: number, scores: number[], rounds: number): number[] {
  pickerRandom.seed(42);
  const picker = createMaxScorePicker('p', { maxNumOfEndpoints: k }, testHandle());
  const counts = scores.map(() => 0);
  for (let r = 0; r < rounds; r++) counts[pickIdx(k, scores, picker)[0]!]!++;
  return counts.map((c) => c / rounds);
}

test('max-score-picker: ties are broken uniformly (k=1 reservoir)', () => {
  const shares = firstPickShares(1, [1, 1, 1, 0], 30_000);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(shares[i]! - 1 / 3) < 0.02, `share ${i} = ${shares[i]}`);
  assert.equal(shares[3], 0);
});

test('max-score-picker: ties are broken uniformly (k>1 partial selection)', () => {
  const shares = firstPickShares(2, [1, 1, 1, 0], 30_000);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(shares[i]! - 1 / 3) < 0.02, `share ${i} = ${shares[i]}`);
});

test('max-score-picker: rejects maxNumOfEndpoints 0', () => {
  assert.throws(() => createMaxScorePicker('p', { maxNumOfEndpoints: 0 }, testHandle()), /parameters\.maxNumOfEndpoints/);
});
