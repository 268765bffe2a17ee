import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { pickerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
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

/**
 * Upstream llm-d-router #2515 (fixed in #2709): equal top scores rotate round-robin instead of a random
 * tie-break, because with random tie-break a burst of identical requests (same prefix, same load snapshot)
 * converged on one pod. Table: the first pick of consecutive calls with the same scores.
 */
const rotation: { name: string; k: number; scores: number[]; calls: number; want: number[] }[] = [
  { name: 'three tied top scores take turns', k: 1, scores: [1, 1, 1, 0], calls: 7, want: [0, 1, 2, 0, 1, 2, 0] },
  { name: 'tied set not adjacent', k: 1, scores: [0.2, 0.9, 0.1, 0.9], calls: 4, want: [1, 3, 1, 3] },
  { name: 'a unique best is always picked', k: 1, scores: [0.2, 0.9, 0.1, 0.5], calls: 3, want: [1, 1, 1] },
  { name: 'k>1: the tied top rotate at the head of the list', k: 2, scores: [1, 1, 1, 0], calls: 4, want: [0, 1, 2, 0] },
];
for (const c of rotation) {
  test(`max-score-picker: round-robin among equal top scores: ${c.name}`, () => {
    const picker = createMaxScorePicker('p', { maxNumOfEndpoints: c.k }, testHandle());
    const got = [];
    for (let i = 0; i < c.calls; i++) got.push(pickIdx(c.k, c.scores, picker)[0]!);
    assert.deepEqual(got, c.want);
  });
}

test('max-score-picker: k>1 list holds the rotated tied top, then the rest by score', () => {
  const picker = createMaxScorePicker('p', { maxNumOfEndpoints: 4 }, testHandle());
  assert.deepEqual(pickIdx(4, [1, 0.5, 1, 1, 0.2], picker), [0, 2, 3, 1]);
  assert.deepEqual(pickIdx(4, [1, 0.5, 1, 1, 0.2], picker), [2, 3, 0, 1]);
  assert.deepEqual(pickIdx(4, [1, 0.5, 1, 1, 0.2], picker), [3, 0, 2, 1]);
});

test('max-score-picker: a burst of equal-score picks spreads evenly over the tied endpoints', () => {
  const picker = createMaxScorePicker('p', undefined, testHandle());
  const counts = [0, 0, 0, 0, 0];
  for (let r = 0; r < 300; r++) counts[pickIdx(1, [1, 1, 1, 1, 1], picker)[0]!]!++;
  assert.deepEqual(counts, [60, 60, 60, 60, 60]);
});

test('max-score-picker: rejects maxNumOfEndpoints 0', () => {
  assert.throws(() => createMaxScorePicker('p', { maxNumOfEndpoints: 0 }, testHandle()), /parameters\.maxNumOfEndpoints/);
});
