import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, TEST_NOW, testHandle, type EndpointMetrics } from '../../../../../test/support/scheduling/testing.ts';
import { createUtilizationDetector } from './utilization-detector.ts';

filterContract('utilization-detector', (h) => createUtilizationDetector('utilization-detector', undefined, h));

const STALE = TEST_NOW - 5000;
const saturationCases: { name: string; eps: EndpointMetrics[]; want: number }[] = [
  { name: 'no endpoints -> saturated', eps: [], want: 1 },
  { name: 'idle', eps: [{}, {}], want: 0 },
  { name: 'queue term: 5 waiting = 1.0', eps: [{ waitingQueue: 5 }], want: 1 },
  { name: 'kv term: 0.4 / 0.8 = 0.5', eps: [{ kvCacheUsage: 0.4, waitingQueue: 1 }], want: 0.5 },
  { name: 'max of the two terms', eps: [{ kvCacheUsage: 0.4, waitingQueue: 4 }], want: 0.8 },
  { name: 'unweighted average', eps: [{ waitingQueue: 10 }, {}], want: 1 },
  { name: 'stale counts as 1.0', eps: [{ metricsUpdatedAt: STALE }, {}], want: 0.5 },
  { name: 'never scraped counts as 1.0', eps: [{ metricsUpdatedAt: -1 }], want: 1 },
];
for (const c of saturationCases) {
  test(`utilization-detector saturation: ${c.name}`, () => {
    const d = createUtilizationDetector('u', undefined, testHandle());
    const eps = c.eps.map((m, i) => makeEndpoint(i, m));
    assert.ok(Math.abs(d.saturation(eps) - c.want) < 1e-12, `${d.saturation(eps)} != ${c.want}`);
  });
}

test('utilization-detector: thresholds and staleness from parameters', () => {
  const h = testHandle();
  const d = createUtilizationDetector('u', { queueDepthThreshold: 10, kvCacheUtilThreshold: 0.5, metricsStalenessThreshold: '10s' }, h);
  assert.equal(d.saturation([makeEndpoint(0, { waitingQueue: 5 })]), 0.5);
  assert.equal(d.saturation([makeEndpoint(0, { kvCacheUsage: 0.5 })]), 1);
  assert.equal(d.saturation([makeEndpoint(0, { metricsUpdatedAt: STALE })]), 0); // 5 s old < 10 s
  assert.equal(d.config.metricsStalenessMs, 10_000);
  assert.equal(createUtilizationDetector('u', undefined, h).config.metricsStalenessMs, h.metricsStalenessMs);
});

const filterCases: { name: string; headroom?: number; eps: EndpointMetrics[]; kept: number[] }[] = [
  { name: 'drops saturated and stale', eps: [{}, { waitingQueue: 5 }, { kvCacheUsage: 0.8 }, { metricsUpdatedAt: STALE }, { waitingQueue: 4 }], kept: [0, 4] },
  { name: 'fail-open when every endpoint is dropped', eps: [{ waitingQueue: 9 }, { metricsUpdatedAt: -1 }], kept: [0, 1] },
  { name: 'headroom widens the limits', headroom: 0.2, eps: [{ waitingQueue: 5 }, { kvCacheUsage: 0.9 }, { waitingQueue: 6 }], kept: [0, 1] },
];
for (const c of filterCases) {
  test(`utilization-detector filter: ${c.name}`, () => {
    const d = createUtilizationDetector('u', { headroom: c.headroom ?? 0 }, testHandle());
    const eps = c.eps.map((m, i) => makeEndpoint(i, m));
    const work = [...eps];
    const n = d.filter(makeRequest(), work, work.length);
    assert.deepEqual(work.slice(0, n).map((e) => eps.indexOf(e)), c.kept);
  });
}

const paramErrors: { params: unknown; match: RegExp }[] = [
  { params: { queueDepthThreshold: 0 }, match: /parameters\.queueDepthThreshold/ },
  { params: { kvCacheUtilThreshold: 1.5 }, match: /parameters\.kvCacheUtilThreshold/ },
  { params: { metricsStalenessThreshold: 'soon' }, match: /parameters\.metricsStalenessThreshold: must be a duration/ },
  { params: { headroom: -1 }, match: /parameters\.headroom/ },
  { params: [1], match: /parameters must be a mapping/ },
];
for (const c of paramErrors) {
  test(`utilization-detector: rejects ${JSON.stringify(c.params)}`, () => {
    assert.throws(() => createUtilizationDetector('u', c.params, testHandle()), c.match);
  });
}

test('stage-aware saturation (issue 16): prefill and decode servers judged separately, the pool on the max', () => {
  const d = createUtilizationDetector('u', { queueDepthThreshold: 10, kvCacheUtilThreshold: 1 }, testHandle());
  const ep = (i: number, queue: number, role?: string) => {
    const e = makeEndpoint(i, { waitingQueue: queue });
    if (role !== undefined) e.labels = { 'llm-d.ai/role': role };
    return e;
  };
  const cases: { name: string; eps: ReturnType<typeof ep>[]; want: number }[] = [
    { name: 'no roles: one average, as upstream', eps: [ep(1, 20), ep(2, 0)], want: 1 },
    { name: 'prefill saturated, decode idle: saturated', eps: [ep(1, 12, 'prefill'), ep(2, 0, 'decode'), ep(3, 0, 'decode')], want: 1.2 },
    { name: 'decode saturated, prefill idle: saturated', eps: [ep(1, 0, 'prefill'), ep(2, 10, 'decode'), ep(3, 12, 'decode')], want: 1.1 },
    { name: 'both half busy: not saturated (one average would say the same)', eps: [ep(1, 5, 'prefill'), ep(2, 5, 'decode')], want: 0.5 },
    { name: 'prefill-decode pods count as decode; encode pods in neither', eps: [ep(1, 2, 'prefill'), ep(2, 6, 'prefill-decode'), ep(3, 50, 'encode')], want: 0.6 },
    { name: 'prefill pods only: decode stage has nothing, saturated', eps: [ep(1, 0, 'prefill')], want: 1 },
  ];
  for (const c of cases) assert.ok(Math.abs(d.saturation(c.eps) - c.want) < 1e-9, `${c.name}: ${d.saturation(c.eps)}`);
});
