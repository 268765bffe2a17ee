import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PREFIX_CACHE_MATCH_KEY } from '../../../../framework/data-keys.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import {
  makeEndpoint,
  makeRequest,
  scheduledOn,
  retainedHeapGrowth,
  TEST_NOW,
  testHandle,
  variedEndpoints,
  type EndpointMetrics,
  type TestHandle,
} from '../../../../../test/support/scheduling/testing.ts';
import { createKvEstimateScorer, type KvEstimateScorer } from './kv-estimate.ts';

/** 16-token blocks x 1000 = 16,000 tokens of KV. */
const CACHE: EndpointMetrics = { cacheBlockSize: 16, cacheNumBlocks: 1000 };
const CAPACITY = 16_000;

function make(params?: unknown, handle: TestHandle = testHandle()): KvEstimateScorer {
  return createKvEstimateScorer('kv-estimate', params, handle);
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
  s.preRequest(req, scheduledOn(to));
}

function near(actual: number, want: number, what = ''): void {
  assert.ok(Math.abs(actual - want) < 1e-9, `${what} ${actual} != ${want}`);
}

scorerContract('kv-estimate-scorer', (h) => {
  const s = createKvEstimateScorer('kv-estimate-scorer', undefined, h);
  // Dispatch to an endpoint outside the suite's sets, so the suite runs the lookup and settle paths too.
  s.preRequest(prompt(100), scheduledOn(makeEndpoint(900, CACHE)));
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

test('kv-estimate-scorer: a dispatch adds (1 + prefillWeight) x its tokens / capacity, then the recent part decays', () => {
  const h = testHandle();
  const s = make({ prefillWeight: 3, prefillDecay: '100ms' }, h);
  const eps = [makeEndpoint(0, { ...CACHE, kvCacheUsage: 0.1 }), makeEndpoint(1, { ...CACHE, kvCacheUsage: 0.2 })];
  route(s, prompt(400), eps, eps[0]!);
  // (400 + 3 x 400) / 16,000 = 0.1 on top of the scraped 0.1.
  near(scores(s, eps)[0]!, 0.8, 'just dispatched');
  near(s.addedUsage(eps[1]!), 0, 'other endpoint');
  h.clock.advance(100);
  near(s.addedUsage(eps[0]!), (400 + 1200 * Math.exp(-1)) / CAPACITY, 'one decay constant later');
  h.clock.advance(10_000);
  near(s.addedUsage(eps[0]!), 400 / CAPACITY, 'recent part gone, since-scrape part stays');
});

test('kv-estimate-scorer: a new scrape drops the since-scrape part but not the recent part', () => {
  const h = testHandle();
  const s = make({ prefillWeight: 2, prefillDecay: '50ms' }, h);
  const ep = makeEndpoint(0, CACHE);
  route(s, prompt(1600), [ep], ep);
  near(s.addedUsage(ep), (1600 + 3200) / CAPACITY);
  ep.metricsUpdatedAt = TEST_NOW + 1;
  ep.kvCacheUsage = 0.1;
  near(scores(s, [ep])[0]!, 1 - 0.1 - 3200 / CAPACITY);
});

test('kv-estimate-scorer: with prefillTokensPerSecond a long prompt counts until its prefill is estimated done', () => {
  const h = testHandle();
  // 8,000 tokens at 4 per ms: 2 s of prefill, far past the 50 ms decay.
  const s = make({ prefillWeight: 2, prefillDecay: '50ms', prefillTokensPerSecond: 4000 }, h);
  const ep = makeEndpoint(0, { cacheBlockSize: 16, cacheNumBlocks: 10_000 }); // 160,000 tokens
  route(s, prompt(8000), [ep], ep);
  ep.metricsUpdatedAt = TEST_NOW + 1; // scraped: only the recent part is left
  near(s.addedUsage(ep), (2 * 8000) / 160_000, 'just dispatched: the decayed term, equal to the unprefilled one');
  h.clock.advance(1000);
  ep.metricsUpdatedAt = h.clock.now();
  near(s.addedUsage(ep), (2 * 4000) / 160_000, 'half way: the 4,000 tokens left, not exp(-20) of them');
  h.clock.advance(1000);
  ep.metricsUpdatedAt = h.clock.now();
  near(s.addedUsage(ep), (2 * 8000 * Math.exp(-40)) / 160_000, 'done: only the decayed term');
  // Without the rate the same prompt is forgotten within a few decay constants.
  const plain = make({ prefillWeight: 2, prefillDecay: '50ms' }, h);
  route(plain, prompt(8000), [ep], ep);
  h.clock.advance(1000);
  ep.metricsUpdatedAt = h.clock.now();
  assert.ok(plain.addedUsage(ep) < 1e-8);
});

test('kv-estimate-scorer: a short prompt behind a long one does not extend its prefill estimate', () => {
  const h = testHandle();
  const s = make({ prefillWeight: 1, prefillDecay: '10ms', prefillTokensPerSecond: 1000 }, h);
  const ep = makeEndpoint(0, { cacheBlockSize: 16, cacheNumBlocks: 10_000 });
  route(s, prompt(2000), [ep], ep); // done at +2 s
  h.clock.advance(500);
  route(s, prompt(100), [ep], ep); // done at +0.6 s: the estimate keeps the later end, +2 s
  h.clock.advance(500);
  ep.metricsUpdatedAt = h.clock.now();
  near(s.addedUsage(ep), 1000 / 160_000 + (2000 * Math.exp(-100) + 100 * Math.exp(-50)) / 160_000);
});

test('kv-estimate-scorer: back-to-back requests spread instead of herding on the emptiest endpoint', () => {
  for (const [weight, spread] of [
    [20, true],
    [0, false],
  ] as const) {
    const s = make({ prefillWeight: weight });
    const eps = [0.3, 0.32, 0.34, 0.36].map((kv, i) => makeEndpoint(i, { ...CACHE, kvCacheUsage: kv }));
    const picked = new Set<number>();
    for (let r = 0; r < 4; r++) {
      const out = scores(s, eps, prompt(100));
      const best = out.indexOf(Math.max(...out));
      s.preRequest(prompt(100), scheduledOn(eps[best]!));
      picked.add(best);
    }
    assert.equal(picked.size, spread ? 4 : 1, `prefillWeight ${weight}: picked ${[...picked]}`);
  }
});

test('kv-estimate-scorer: each scraped waiting request counts waitingWeight x the mean uncached prompt', () => {
  const s = make({ prefillWeight: 0, waitingWeight: 4 });
  const sink = makeEndpoint(9, CACHE);
  const queued = makeEndpoint(0, { ...CACHE, waitingQueue: 3 });
  const idle = makeEndpoint(1, CACHE);
  near(s.addedUsage(queued), 0, 'no mean prompt before any dispatch');
  const hit = prompt(300);
  hit.cachedPromptTokens = 100; // mean of uncached prompts: 200
  s.preRequest(hit, scheduledOn(sink));
  const out = scores(s, [queued, idle]);
  near(out[0]!, 1 - (3 * 4 * 200) / CAPACITY, 'queued');
  near(out[1]!, 1, 'idle');
});

test('kv-estimate-scorer: the expected prefix-cache hit on the request is not counted, at once', () => {
  const s = make({ prefillWeight: 1 });
  const ep = makeEndpoint(0, CACHE);
  const req = prompt(1000);
  scores(s, [ep], req);
  req.cachedPromptTokens = 600; // prefix-cache-scorer's PreRequest, which the loader runs first
  s.preRequest(req, scheduledOn(ep));
  near(s.addedUsage(ep), (400 + 400) / CAPACITY);
});

test('kv-estimate-scorer: consumes the prefix-cache match key, so the loader runs its producer first', () => {
  assert.deepEqual(make().consumes, { optional: [PREFIX_CACHE_MATCH_KEY] });
});

test('kv-estimate-scorer: a scrape resets the pending count of earlier dispatches', () => {
  const s = make({ prefillWeight: 0 });
  const ep = makeEndpoint(0, CACHE);
  const req = prompt(1000);
  req.cachedPromptTokens = 600;
  s.preRequest(req, scheduledOn(ep));
  near(s.addedUsage(ep), 400 / CAPACITY, 'before the scrape');
  ep.metricsUpdatedAt = TEST_NOW + 50;
  s.preRequest(prompt(700), scheduledOn(ep));
  near(s.addedUsage(ep), 700 / CAPACITY, 'after the scrape');
});

test('kv-estimate-scorer: without a cache size the scraped usage alone counts, unless capacityTokens is set', () => {
  const bare = makeEndpoint(0, { kvCacheUsage: 0.5 });
  const s = make();
  route(s, prompt(1000), [bare], bare);
  assert.deepEqual(scores(s, [bare]), [0.5]);
  const withFallback = make({ prefillWeight: 0, capacityTokens: 10_000 });
  route(withFallback, prompt(1000), [bare], bare);
  near(scores(withFallback, [bare])[0]!, 0.4);
});

test('kv-estimate-scorer: an estimate past capacity scores 0', () => {
  const s = make({ prefillWeight: 19 });
  const ep = makeEndpoint(0, { ...CACHE, kvCacheUsage: 0.5 });
  route(s, prompt(CAPACITY / 20), [ep], ep);
  assert.deepEqual(scores(s, [ep]), [0]);
});

test('kv-estimate-scorer: decay stays exact across time-base moves and long idle gaps', () => {
  const h = testHandle();
  const s = make({ prefillWeight: 10, prefillDecay: '10ms' }, h);
  const ep = makeEndpoint(0, CACHE);
  // Dispatch every 7 ms for 10 s of clock (the base moves every 200 ms); the recent part must match a
  // directly computed sum of decayed dispatches.
  let expected = 0;
  for (let i = 0; i < 1500; i++) {
    h.clock.advance(7);
    ep.metricsUpdatedAt = h.clock.now(); // scraped every dispatch: only the recent part remains
    expected = expected * Math.exp(-0.7) + 10 * 100;
    route(s, prompt(100), [ep], ep);
  }
  near(s.addedUsage(ep) - 100 / CAPACITY, expected / CAPACITY, 'steady state');
  h.clock.advance(3_600_000);
  near(s.addedUsage(ep), 100 / CAPACITY, 'after an hour idle');
});

test('kv-estimate-scorer: candidates reordered or replaced between calls keep their own state', () => {
  const s = make({ prefillWeight: 0 });
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
  // Re-added endpoints start afresh.
  const back = makeEndpoint(0, CACHE);
  near(s.addedUsage(back), 0);
  assert.equal(s.endpointCount, 6);
});

test('kv-estimate-scorer: score and preRequest retain no heap across dispatches, scrapes and time-base moves', (t) => {
  const h = testHandle();
  const s = make(undefined, h);
  const eps = variedEndpoints(100).map((ep) => Object.assign(ep, { cacheBlockSize: 16, cacheNumBlocks: 1000 }));
  const out = new Float64Array(eps.length);
  const req = prompt(200);
  let i = 0;
  const growth = retainedHeapGrowth(() => {
    s.score(req, eps, eps.length, out);
    const ep = eps[i++ % eps.length]!;
    s.preRequest(req, scheduledOn(ep));
    h.clock.advance(0.1);
    if ((i & 7) === 0) ep.metricsUpdatedAt = h.clock.now();
  }, 100_000);
  if (growth === undefined) return t.skip('cannot force GC in this runtime');
  assert.ok(growth < 1_000_000, `retained heap grew ${growth} bytes`);
});

test('kv-estimate-scorer: parameters are validated', () => {
  assert.throws(() => make({ prefillWeight: -1 }), /parameters.prefillWeight: must be a number/);
  assert.throws(() => make({ prefillDecay: '0s' }), /parameters.prefillDecay: must be a positive duration/);
  assert.throws(() => make({ prefillDecay: 'soon' }), /parameters.prefillDecay: must be a duration/);
  assert.throws(() => make({ capacityTokens: 1.5 }), /parameters.capacityTokens: must be an integer/);
  assert.throws(() => make({ blockSize: 16 }), /parameters.blockSize: unknown parameter/);
  assert.deepEqual(make().config, { prefillWeight: 20, prefillDecayMs: 50, waitingWeight: 5, capacityTokens: 0, prefillTokensPerMs: 0 });
  assert.equal(make({ prefillTokensPerSecond: 30_000 }).config.prefillTokensPerMs, 30);
  assert.throws(() => make({ prefillTokensPerSecond: -1 }), /parameters.prefillTokensPerSecond: must be a number/);
  assert.throws(() => make({ waitingWeight: 'x' }), /parameters.waitingWeight: must be a number/);
  assert.equal(make({ prefillDecay: '1.5s' }).config.prefillDecayMs, 1500);
});

test('kv-estimate-scorer: synced, a peer\'s dispatch counts as if made here, decayed from when it was made', () => {
  const mk = (h: TestHandle, eps: Endpoint[]) => make({ prefillWeight: 3, prefillDecay: '100ms' }, { ...h, endpoints: { endpoints: () => eps, endpoint: (k) => eps.find((e) => e.key === k) } });
  const ha = testHandle();
  const hb = testHandle();
  // Two replicas: their own Endpoint objects for the same server, scraped at TEST_NOW.
  const epsA = [makeEndpoint(0, { ...CACHE, kvCacheUsage: 0.1 })];
  const epsB = [makeEndpoint(0, { ...CACHE, kvCacheUsage: 0.1 })];
  const a = mk(ha, epsA);
  const b = mk(hb, epsB);
  const syncA = a.syncedState()!;
  const syncB = b.syncedState()!;
  assert.equal(syncA.syncKey, syncB.syncKey);
  route(a, prompt(400), epsA, epsA[0]!);
  ha.clock.advance(100); // the batch leaves A 100 ms after the dispatch
  hb.clock.advance(100);
  syncB.applyDelta('a', syncA.takeDelta()!);
  near(b.addedUsage(epsB[0]!), a.addedUsage(epsA[0]!), 'B sees what A sees');
  near(b.addedUsage(epsB[0]!), (400 + 1200 * Math.exp(-1)) / CAPACITY);
  assert.equal(syncA.takeDelta(), null, 'nothing new');
  assert.equal(syncB.takeDelta(), null, 'applied dispatches are not sent on');
});

test('kv-estimate-scorer: synced, a peer\'s long prompt counts until its prefill is estimated done', () => {
  const params = { prefillWeight: 1, prefillDecay: '10ms', prefillTokensPerSecond: 1000 };
  const mk = (h: TestHandle, eps: Endpoint[]) => make(params, { ...h, endpoints: { endpoints: () => eps, endpoint: (k) => eps.find((e) => e.key === k) } });
  const ha = testHandle();
  const hb = testHandle();
  const epsA = [makeEndpoint(0, CACHE)];
  const epsB = [makeEndpoint(0, CACHE)];
  const a = mk(ha, epsA);
  const b = mk(hb, epsB);
  const syncA = a.syncedState()!;
  const syncB = b.syncedState()!;
  route(a, prompt(2000), epsA, epsA[0]!); // 2 s of prefill
  ha.clock.advance(500);
  hb.clock.advance(500);
  syncB.applyDelta('a', syncA.takeDelta()!);
  // 1,500 tokens left, counted from when A dispatched, not from when B heard of it.
  near(b.addedUsage(epsB[0]!), (2000 + 1500) / CAPACITY);
  near(b.addedUsage(epsB[0]!), a.addedUsage(epsA[0]!), 'B sees what A sees');
});
