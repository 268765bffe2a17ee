import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint } from '../framework/endpoint.ts';
import { answeringCandidates } from './candidates.ts';
import { abandoned, answered, dispatched } from './inference-watch.ts';

const STALL = 1000;
const make = () => [0, 1].map((i) => new Endpoint(`10.0.1.${i + 1}`, 8000, `p${i}`, 'ns', 0, 'vllm'));

test('inference watch: an endpoint with requests awaiting headers and none answered for the stall timeout leaves the candidates', () => {
  const [hung, ok] = make() as [Endpoint, Endpoint];
  dispatched(hung, 0, STALL);
  dispatched(hung, 500, STALL); // a second request does not push the deadline back
  dispatched(ok, 0, STALL);
  answered(ok, 10, STALL);
  assert.deepEqual(answeringCandidates([hung, ok], STALL, []), [hung, ok], 'at the deadline it still counts');
  assert.deepEqual(answeringCandidates([hung, ok], STALL + 1, []), [ok], 'past it: out, though its /metrics answers');
  answered(hung, 2000, STALL); // it answers again: back, with a fresh deadline for the request still waiting
  assert.equal(hung.awaitingHeaders, 1);
  assert.deepEqual(answeringCandidates([hung, ok], 2500, []), [hung, ok]);
  assert.deepEqual(answeringCandidates([hung, ok], 3001, []), [ok]);
  abandoned(hung, 3500, STALL); // the last waiting request cancelled unanswered while stalled: out one more timeout
  assert.equal(hung.inferenceStallAt, Infinity);
  assert.deepEqual(answeringCandidates([hung, ok], 4499, []), [ok]);
  assert.deepEqual(answeringCandidates([hung, ok], 4500, []), [hung, ok], 'then half-open: traffic again');
  dispatched(hung, 4600, STALL);
  abandoned(hung, 4700, STALL); // cancelled before its deadline: no evidence, nothing changes
  assert.deepEqual(answeringCandidates([hung, ok], 1e9, []), [hung, ok]);
});

test('inference watch: a busy endpoint that keeps answering is never out; when all stall it fails open', () => {
  const [a, b] = make() as [Endpoint, Endpoint];
  for (let t = 0; t < 10 * STALL; t += 100) {
    dispatched(a, t, STALL);
    dispatched(a, t, STALL);
    answered(a, t + 50, STALL); // one in two answered: a queue that grows, but it answers
    assert.ok(a.isAnswering(t + 99));
  }
  dispatched(b, 0, STALL);
  a.inflightRequests = 300;
  b.inflightRequests = 1;
  const all = [a, b];
  for (let i = 0; i < 200; i++) dispatched(a, 20 * STALL, STALL);
  assert.deepEqual(answeringCandidates(all, 100 * STALL, []), [b], 'both stalled: the one with fewest in flight');
  assert.equal(a.awaitingHeaders, 300);
});
