import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, TEST_NOW, testHandle, type EndpointMetrics } from '../../../../../test/support/scheduling/testing.ts';
import { createKvCacheUtilizationScorer } from './kv-cache-utilization.ts';

scorerContract('kv-cache-utilization-scorer', (h) => createKvCacheUtilizationScorer('kv-cache-utilization-scorer', undefined, h));

const cases: { name: string; eps: EndpointMetrics[]; want: number[] }[] = [
  { name: '1 - usage, absolute', eps: [{ kvCacheUsage: 0 }, { kvCacheUsage: 0.25 }, { kvCacheUsage: 1 }], want: [1, 0.75, 0] },
  { name: 'not relative: all busy stay low', eps: [{ kvCacheUsage: 0.9 }, { kvCacheUsage: 0.9 }], want: [1 - 0.9, 1 - 0.9] },
  { name: 'stale counts as full', eps: [{ kvCacheUsage: 0.1, metricsUpdatedAt: TEST_NOW - 5000 }], want: [0] },
  { name: 'never scraped counts as full', eps: [{ metricsUpdatedAt: -1 }], want: [0] },
  { name: 'exactly at the staleness threshold is fresh', eps: [{ kvCacheUsage: 0.5, metricsUpdatedAt: TEST_NOW - 2000 }], want: [0.5] },
];

for (const c of cases) {
  test(`kv-cache-utilization-scorer: ${c.name}`, () => {
    const eps = c.eps.map((m, i) => makeEndpoint(i, m));
    const out = new Float64Array(eps.length);
    createKvCacheUtilizationScorer('kv', undefined, testHandle()).score(makeRequest(), eps, eps.length, out);
    assert.deepEqual([...out], c.want);
  });
}
