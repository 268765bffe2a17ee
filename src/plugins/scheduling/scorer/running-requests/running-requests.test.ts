import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, TEST_NOW, testHandle, type EndpointMetrics } from '../../../../../test/support/scheduling/testing.ts';
import { createRunningRequestsScorer } from './running-requests.ts';

scorerContract('running-requests-size-scorer', (h) => createRunningRequestsScorer('running-requests-size-scorer', undefined, h));

const cases: { name: string; eps: EndpointMetrics[]; want: number[] }[] = [
  { name: 'min-max', eps: [{ runningRequests: 10 }, { runningRequests: 30 }, { runningRequests: 20 }], want: [1, 0, 0.5] },
  { name: 'all equal -> 1', eps: [{ runningRequests: 3 }, { runningRequests: 3 }], want: [1, 1] },
  {
    name: 'stale -> 0',
    eps: [{ runningRequests: 50 }, { runningRequests: 0, metricsUpdatedAt: TEST_NOW - 10_000 }],
    want: [1, 0],
  },
];

for (const c of cases) {
  test(`running-requests-size-scorer: ${c.name}`, () => {
    const eps = c.eps.map((m, i) => makeEndpoint(i, m));
    const out = new Float64Array(eps.length);
    createRunningRequestsScorer('r', undefined, testHandle()).score(makeRequest(), eps, eps.length, out);
    assert.deepEqual([...out], c.want);
  });
}
