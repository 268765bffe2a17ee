/**
 * active-request-scorer. Cases follow upstream llm-d-router pkg/epp/framework/plugins/scheduling/scorer/
 * activerequest/active_request_test.go at ebab68792 (TestActiveRequestScorer_Score,
 * TestActiveRequest_IdleThresholdAndMaxBusyScore, TestActiveRequest_DefaultParamsProduceContinuousScores).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createActiveRequestScorer } from './active-request.ts';

scorerContract('active-request-scorer', (h) => createActiveRequestScorer('active-request-scorer', undefined, h));

const cases: { name: string; params?: unknown; requests: (number | null)[]; want: number[] }[] = [
  { name: 'no load attribute set', requests: [null, null, null], want: [1, 1, 1] },
  { name: 'all endpoints have different request counts', requests: [3, 0, 6], want: [0.5, 1, 0] },
  { name: 'some endpoints have load data', requests: [4, null, 1], want: [0, 1, 0.75] },
  { name: 'binary mode: idleThreshold 0, maxBusyScore 0', params: { idleThreshold: 0, maxBusyScore: 0 }, requests: [1, 0], want: [0, 1] },
  { name: 'idleThreshold 1, maxBusyScore 0.5', params: { idleThreshold: 1, maxBusyScore: 0.5 }, requests: [1, 2, null], want: [1, 0, 1] },
  { name: 'default parameters give continuous scores', params: {}, requests: [3, 11], want: [8 / 11, 0] },
  { name: 'out-of-range maxBusyScore is ignored (1.0)', params: { maxBusyScore: 2 }, requests: [3, 6], want: [0.5, 0] },
  { name: 'negative idleThreshold means 0', params: { idleThreshold: -3 }, requests: [0, 2], want: [1, 0] },
];
for (const c of cases) {
  test(`active-request-scorer: ${c.name}`, () => {
    const s = createActiveRequestScorer('a', c.params, testHandle());
    const eps = c.requests.map((requests, i) => {
      const ep = makeEndpoint(i);
      if (requests !== null) ep.attributes.set('inflight-load/inflight-load-producer', { requests, tokens: 0 });
      return ep;
    });
    const out = new Float64Array(eps.length);
    s.score(makeRequest(), eps, eps.length, out);
    assert.deepEqual([...out], c.want);
  });
}

test('active-request-scorer: deprecated requestTimeout is accepted; unknown parameters are not', () => {
  assert.equal(createActiveRequestScorer('a', { requestTimeout: '2m' }, testHandle()).idleThreshold, 0);
  assert.throws(() => createActiveRequestScorer('a', { timeout: 1 }, testHandle()), /parameters\.timeout: unknown parameter/);
});
