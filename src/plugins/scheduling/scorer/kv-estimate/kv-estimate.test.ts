import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../datastore/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { scorerContract } from '../../../../scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, retainedHeapGrowth, TEST_NOW, testHandle, variedEndpoints, type EndpointMetrics } from '../../../../scheduling/testing.ts';
import { createKvEstimateScorer, type KvEstimateScorer } from './kv-estimate.ts';

/** 16-token blocks x 1000 = 16,000 tokens of KV. */
const CACHE: EndpointMetrics = { cacheBlockSize: 16, cacheNumBlocks: 1000 };
const CAPACITY = 16_000;

function make(params?: unknown): KvEstimateScorer {
  return createKvEstimateScorer('kv-estimate', params, testHandle());
}

function scores(s: KvEstimateScorer, eps: readonly Endpoint[], req: LLMRequest = makeRequest()): number[] {
  const out = new Float64Array(eps.length);
  s.score(req, eps, eps.length, out);
  return [...out];
}

/** A request of `tokens` prompt tokens (4 characters each). */
function prompt(tokens: number): LLMRequest {
  return makeRequest({ promptText: 'x'.repeat(tokens * 4) });
}

/** Score then record the pick, as the scheduler does. */
function route(s: KvEstimateScorer, req: LLMRequest, eps: readonly Endpoint[], to: Endpoint): void {
  scores(s, eps, req);
  s.preRequest(req, [to], 1);
}

scorerContract('kv-estimate-scorer', (h) => {
  const s = createKvEstimateScorer('kv-estimate-scorer', undefined, h);
  // Dispatch to endpoints outside the suite's sets, so the suite runs the lookup and settle paths too.
  s.preRequest(prompt(100), [makeEndpoint(900, CACHE)], 1);
  return s;
});

const cases: { name: string; eps: EndpointMetrics[]; want: number[] }[] = [
  { name: 'no dispatches: 1 - scraped usage', eps: [{ kvCacheUsage: 0 }, { kvCacheUsage: 0.25 }, { kvCacheUsage: 1 }], want: [1, 0.75, 0] },
  { name: 'stale counts as full', eps: [{ kvCacheUsage: 0.1, metricsUpdatedAt: TEST_NOW - 5000 }], want: [0] },
  { name: 'never scraped counts as full', eps: [{ metricsUpdatedAt: -1 }], want: [0] },
];
for (const c of cases) {
  test(`kv-estimate-scorer: ${c.name}`, () => {
    assert.deepEqual(scores(make(), c.eps.map((m, i) => makeEndpoint(i, { ...CACHE, ...m }))), c.want);
  });
}

test('kv-estimate-scorer: a dispatch raises the estimate by weight x prompt tokens / capacity', () => {
  const s = make({ pendingTokenWeight: 2 });
  const eps = [makeEndpoint(0, { ...CACHE, kvCacheUsage: 0.1 }), makeEndpoint(1, { ...CACHE, kvCacheUsage: 0.2 })];
  route(s, prompt(800), eps, eps[0]!);
  // 0.1 + 2 x 800 / 16,000 = 0.2: now level with endpoint 1.
  const [a, b] = scores(s, eps);
  assert.ok(Math.abs(a! - 0.8) < 1e-12 && Math.abs(b! - 0.8) < 1e-12, `${a} ${b}`);
  assert.equal(s.pendingTokens(eps[0]!), 800);
  assert.equal(s.pendingTokens(eps[1]!), 0);
});

test('kv-estimate-scorer: back-to-back requests spread instead of herding on the emptiest endpoint', () => {
  const s = make();
  const eps = [0.3, 0.32, 0.34, 0.36].map((kv, i) => makeEndpoint(i, { ...CACHE, kvCacheUsage: kv }));
  const picked: number[] = [];
  for (let r = 0; r < 4; r++) {
    const out = scores(s, eps, prompt(100));
    const best = out.indexOf(Math.max(...out));
    s.preRequest(prompt(100), [eps[best]!], 1);
    picked.push(best);
  }
  assert.deepEqual([...picked].sort(), [0, 1, 2, 3]);
});

test('kv-estimate-scorer: a new scrape resets the count', () => {
  const s = make({ pendingTokenWeight: 1 });
  const ep = makeEndpoint(0, CACHE);
  route(s, prompt(1600), [ep], ep);
  assert.ok(Math.abs(scores(s, [ep])[0]! - 0.9) < 1e-12);
  ep.metricsUpdatedAt = TEST_NOW + 50;
  ep.kvCacheUsage = 0.05;
  assert.deepEqual(scores(s, [ep]), [0.95]);
  assert.equal(s.pendingTokens(ep), 0);
});

test('kv-estimate-scorer: the expected prefix-cache hit is not counted, whichever PreRequest runs first', () => {
  for (const prefixFirst of [true, false]) {
    const s = make({ pendingTokenWeight: 1 });
    const ep = makeEndpoint(0, CACHE);
    const req = prompt(1000);
    scores(s, [ep], req);
    if (prefixFirst) req.cachedPromptTokens = 600;
    s.preRequest(req, [ep], 1);
    if (!prefixFirst) req.cachedPromptTokens = 600; // prefix-cache-scorer listed after this plugin
    assert.equal(s.pendingTokens(ep), 400, `prefix PreRequest first: ${prefixFirst}`);
  }
});

test('kv-estimate-scorer: a discount that arrives after a scrape does not leak into the new count', () => {
  const s = make({ pendingTokenWeight: 1 });
  const ep = makeEndpoint(0, CACHE);
  const req = prompt(1000);
  s.preRequest(req, [ep], 1);
  req.cachedPromptTokens = 600;
  ep.metricsUpdatedAt = TEST_NOW + 50;
  s.preRequest(prompt(700), [ep], 1);
  assert.equal(s.pendingTokens(ep), 700);
});

test('kv-estimate-scorer: without a cache size the scraped usage alone counts, unless capacityTokens is set', () => {
  const bare = makeEndpoint(0, { kvCacheUsage: 0.5 });
  const s = make();
  route(s, prompt(1000), [bare], bare);
  assert.deepEqual(scores(s, [bare]), [0.5]);
  const withFallback = make({ pendingTokenWeight: 1, capacityTokens: 10_000 });
  route(withFallback, prompt(1000), [bare], bare);
  assert.ok(Math.abs(scores(withFallback, [bare])[0]! - 0.4) < 1e-12);
});

test('kv-estimate-scorer: an estimate past capacity scores 0', () => {
  const s = make({ pendingTokenWeight: 20 });
  const ep = makeEndpoint(0, { ...CACHE, kvCacheUsage: 0.5 });
  route(s, prompt(CAPACITY / 20), [ep], ep);
  assert.deepEqual(scores(s, [ep]), [0]);
});

test('kv-estimate-scorer: candidates reordered or replaced between calls keep their own counts', () => {
  const s = make({ pendingTokenWeight: 1 });
  const eps = [0, 1, 2].map((i) => makeEndpoint(i, CACHE));
  route(s, prompt(1600), eps, eps[1]!);
  assert.deepEqual(scores(s, [eps[2]!, eps[1]!, eps[0]!]), [1, 0.9, 1]);
  // A new Endpoint object under the same key (the datastore recreated it) starts from zero.
  const again = makeEndpoint(1, CACHE);
  assert.deepEqual(scores(s, [eps[0]!, again]), [1, 1]);
  assert.deepEqual(scores(s, eps), [1, 1, 1]);
});

test('kv-estimate-scorer: removeEndpoint drops the state; state stays bounded by the pool', () => {
  const s = make();
  const eps = variedEndpoints(20);
  for (let round = 0; round < 5; round++) {
    for (const ep of eps) route(s, prompt(10), eps, ep);
  }
  assert.equal(s.endpointCount, 20);
  for (const ep of eps.slice(0, 15)) s.removeEndpoint(ep.key);
  assert.equal(s.endpointCount, 5);
  s.removeEndpoint('10.9.9.9:8000');
  assert.equal(s.endpointCount, 5);
  scores(s, eps.slice(15));
  assert.equal(s.endpointCount, 5);
});

test('kv-estimate-scorer: score and preRequest retain no heap across dispatches and scrapes', (t) => {
  const s = make();
  const eps = variedEndpoints(100).map((ep) => Object.assign(ep, { cacheBlockSize: 16, cacheNumBlocks: 1000 }));
  const out = new Float64Array(eps.length);
  const req = prompt(200);
  let i = 0;
  const growth = retainedHeapGrowth(() => {
    s.score(req, eps, eps.length, out);
    const ep = eps[i++ % eps.length]!;
    s.preRequest(req, [ep], 1);
    if ((i & 7) === 0) ep.metricsUpdatedAt++;
  }, 100_000);
  if (growth === undefined) return t.skip('cannot force GC in this runtime');
  assert.ok(growth < 1_000_000, `retained heap grew ${growth} bytes`);
});

test('kv-estimate-scorer: parameters are validated', () => {
  assert.throws(() => make({ pendingTokenWeight: -1 }), /parameters.pendingTokenWeight: must be a number/);
  assert.throws(() => make({ capacityTokens: 1.5 }), /parameters.capacityTokens: must be an integer/);
  assert.throws(() => make({ blockSize: 16 }), /parameters.blockSize: unknown parameter/);
  assert.equal(make().config.pendingTokenWeight, 20);
});
