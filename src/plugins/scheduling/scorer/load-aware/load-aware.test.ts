/**
 * load-aware-scorer. Cases follow upstream llm-d-router pkg/epp/framework/plugins/scheduling/scorer/loadaware/
 * load_aware_test.go at ebab68792 (threshold 10: queues 2, 0, 15 score 0.4, 0.5, 0) and its factory
 * (threshold <= 0 = the default 128).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, TEST_NOW, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createLoadAwareScorer } from './load-aware.ts';

scorerContract('load-aware-scorer', (h) => createLoadAwareScorer('load-aware-scorer', undefined, h));

const cases: { name: string; threshold?: number; queues: number[]; stale?: number; want: number[] }[] = [
  { name: 'load based scorer (upstream table)', threshold: 10, queues: [2, 0, 15], want: [0.4, 0.5, 0] },
  { name: 'default threshold 128', queues: [0, 64, 128, 500], want: [0.5, 0.25, 0, 0] },
  { name: 'stale metrics count as a full queue', threshold: 10, queues: [0, 0], stale: 1, want: [0.5, 0] },
];
for (const c of cases) {
  test(`load-aware-scorer: ${c.name}`, () => {
    const h = testHandle();
    const s = createLoadAwareScorer('l', c.threshold === undefined ? undefined : { threshold: c.threshold }, h);
    const eps = c.queues.map((waitingQueue, i) =>
      makeEndpoint(i, { waitingQueue, ...(i === c.stale ? { metricsUpdatedAt: TEST_NOW - 2 * h.metricsStalenessMs } : {}) }),
    );
    const out = new Float64Array(eps.length);
    s.score(makeRequest(), eps, eps.length, out);
    assert.deepEqual([...out], c.want);
  });
}

test('load-aware-scorer: threshold <= 0 means the default', () => {
  assert.equal(createLoadAwareScorer('l', { threshold: 0 }, testHandle()).threshold, 128);
  assert.equal(createLoadAwareScorer('l', { threshold: -1 }, testHandle()).threshold, 128);
  assert.throws(() => createLoadAwareScorer('l', { queueThreshold: 5 }, testHandle()), /unknown parameter/);
});
