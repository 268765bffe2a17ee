import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint } from '../framework/endpoint.ts';
import { abandoned, answered, dispatched, isHung, MIN_SILENCE_MS } from './answer-watch.ts';
import { answeringCandidates } from './candidates.ts';

const ep = () => new Endpoint('10.0.0.1', 8000, 'p', 'ns', 0, 'vllm');

test('answer watch: off until the endpoint has answered once (response phases may not be sent)', () => {
  const e = ep();
  for (let i = 0; i < 10; i++) dispatched(e, 0);
  assert.equal(isHung(e, 1_000_000), false);
  for (let i = 0; i < 10; i++) abandoned(e);
  assert.equal(e.unanswered, 0);
});

test('answer watch: a request unanswered past the deadline marks the endpoint hung; an answer clears it', () => {
  const e = ep();
  dispatched(e, 0);
  answered(e, 20, 20); // recent answer time 20 ms: deadline max(150, 80)
  dispatched(e, 100);
  assert.equal(isHung(e, 100 + MIN_SILENCE_MS), false, 'at the deadline: not yet');
  assert.equal(isHung(e, 101 + MIN_SILENCE_MS), true);
  assert.equal(answeringCandidates([e, ep()], 102 + MIN_SILENCE_MS, []).length, 1, 'left out of the candidates');
  answered(e, 300, 200);
  assert.equal(isHung(e, 301), false, 'answered again: back');
  assert.equal(e.answerLatencyMs, 200, 'a slow answer raises the deadline at once');
});

test('answer watch: any answer from the endpoint restarts the silence (a busy live server is not hung)', () => {
  const e = ep();
  dispatched(e, 0);
  answered(e, 10, 10);
  dispatched(e, 0);
  dispatched(e, 0);
  answered(e, 140, 140); // one of two answered at 140
  assert.equal(isHung(e, 250), false, 'the other waits 110 ms since the last answer');
});

test('answer watch: in flight growing with no answer shortens the deadline to a third', () => {
  const e = ep();
  dispatched(e, 0);
  answered(e, 10, 10);
  for (let i = 0; i < 3; i++) dispatched(e, 100);
  assert.equal(isHung(e, 100 + MIN_SILENCE_MS / 3 + 1), true);
});

test('answer watch: after the backoff one probe goes through; unanswered, the backoff doubles', () => {
  const e = ep();
  dispatched(e, 0);
  answered(e, 10, 10);
  dispatched(e, 0);
  assert.equal(isHung(e, 200), true);
  const until = e.hungUntil;
  assert.equal(until, 200 + 250);
  assert.equal(isHung(e, until - 1), true);
  assert.equal(isHung(e, until), false, 'probe allowed');
  dispatched(e, until + 5); // the probe
  assert.equal(isHung(e, until + 6), true, 'one probe at a time');
  assert.equal(isHung(e, until + 5 + 151), true);
  assert.equal(e.hungUntil, until + 5 + 151 + 500, 'backoff doubled');
  answered(e, e.hungUntil + 1, 5);
  assert.equal(isHung(e, e.hungUntil + 2), false);
  assert.equal(e.hungBackoffMs, 0);
});

test('answer watch: when every candidate is hung, routing fails open to the fewest in flight', () => {
  const a = ep();
  const b = new Endpoint('10.0.0.2', 8000, 'q', 'ns', 0, 'vllm');
  for (const e of [a, b]) {
    dispatched(e, 0);
    answered(e, 10, 10);
    dispatched(e, 0);
  }
  a.inflightRequests = 3;
  b.inflightRequests = 1;
  assert.deepEqual(answeringCandidates([a, b], 1000, []), [b]);
});
