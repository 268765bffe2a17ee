/**
 * multicluster-queue-scorer and multicluster-kv-cache-utilization-scorer. Cases from upstream llm-d-router
 * `scheduling/scorer/queuedepth/multicluster_test.go` and `kvcacheutilization/multicluster_test.go` (mirror commit
 * ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { MULTICLUSTER_KV_CACHE_UTILIZATION_KEY, MULTICLUSTER_QUEUE_SIZE_KEY } from '../../../datalayer/extractor/multicluster-metrics/multicluster-metrics.ts';
import { createMulticlusterKvCacheUtilizationScorer } from '../multicluster-kv-cache-utilization/multicluster-kv-cache-utilization.ts';
import { createMulticlusterQueueScorer } from './multicluster-queue.ts';

scorerContract('multicluster-queue-scorer', (h) => createMulticlusterQueueScorer('q', undefined, h));

const peers = (key: string, values: (number | undefined)[]): Endpoint[] =>
  values.map((v, i) => {
    const e = makeEndpoint(i);
    if (v !== undefined) e.attributes.set(key, v);
    return e;
  });
const score = (s: { score(r: ReturnType<typeof makeRequest>, c: readonly Endpoint[], n: number, o: Float64Array): void }, eps: Endpoint[]) => {
  const out = new Float64Array(eps.length);
  s.score(makeRequest(), eps, eps.length, out);
  return [...out].map((x) => Math.round(x * 100) / 100);
};

test('multicluster-queue-scorer: (max - q) / (max - min); equal 1; no report 0; needs the extractor', () => {
  const q = createMulticlusterQueueScorer('q', undefined, testHandle());
  assert.deepEqual(score(q, peers(MULTICLUSTER_QUEUE_SIZE_KEY, [0, 5, 10, undefined])), [1, 0.5, 0, 0]);
  assert.deepEqual(score(q, peers(MULTICLUSTER_QUEUE_SIZE_KEY, [4, 4])), [1, 1]);
  assert.equal(q.type, 'multicluster-queue-scorer');
  assert.deepEqual(q.consumes.required, [MULTICLUSTER_QUEUE_SIZE_KEY]);
});

test('multicluster-kv-cache-utilization-scorer: 1 - utilization; no report 0', () => {
  const k = createMulticlusterKvCacheUtilizationScorer('k', undefined, testHandle());
  assert.deepEqual(score(k, peers(MULTICLUSTER_KV_CACHE_UTILIZATION_KEY, [0.25, 1, 0, undefined])), [0.75, 0, 1, 0]);
  assert.throws(() => createMulticlusterKvCacheUtilizationScorer('k', { a: 1 }, testHandle()), /parameters\.a: unknown parameter/);
});
