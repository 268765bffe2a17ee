import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, TEST_NOW, testHandle, type EndpointMetrics } from '../../../../../test/support/scheduling/testing.ts';
import { createQueueScorer } from './queue.ts';

scorerContract('queue-scorer', (h) => createQueueScorer('queue-scorer', undefined, h));

const STALE = TEST_NOW - 10_000;
const cases: { name: string; eps: EndpointMetrics[]; want: number[] }[] = [
  { name: 'min-max', eps: [{ waitingQueue: 0 }, { waitingQueue: 5 }, { waitingQueue: 10 }], want: [1, 0.5, 0] },
  { name: 'all equal -> 1', eps: [{ waitingQueue: 4 }, { waitingQueue: 4 }], want: [1, 1] },
  { name: 'single -> 1', eps: [{ waitingQueue: 9 }], want: [1] },
  {
    name: 'stale scores 0 and is left out of min/max',
    eps: [{ waitingQueue: 2 }, { waitingQueue: 0, metricsUpdatedAt: STALE }, { waitingQueue: 6 }],
    want: [1, 0, 0],
  },
  { name: 'never scraped -> 0', eps: [{ waitingQueue: 1 }, { metricsUpdatedAt: -1 }], want: [1, 0] },
  { name: 'all stale -> 0', eps: [{ metricsUpdatedAt: STALE }, { metricsUpdatedAt: STALE }], want: [0, 0] },
];

for (const c of cases) {
  test(`queue-scorer: ${c.name}`, () => {
    const eps = c.eps.map((m, i) => makeEndpoint(i, m));
    const out = new Float64Array(eps.length);
    createQueueScorer('q', undefined, testHandle()).score(makeRequest(), eps, eps.length, out);
    assert.deepEqual([...out], c.want);
  });
}

test('queue-scorer: rejects parameters', () => {
  assert.throws(() => createQueueScorer('q', { threshold: 1 }, testHandle()), /plugin "q": parameters.threshold: unknown parameter/);
});
