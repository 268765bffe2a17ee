/**
 * no-hit-lru-scorer. Cases follow upstream llm-d-router pkg/epp/framework/plugins/scheduling/scorer/nohitlru/
 * no_hit_lru_test.go at ebab68792 (TestNoHitLRUScorer, TestNoHitLRUPreferLeastRecentlyUsedAfterColdRequests,
 * TestNoHitLRUEdgeCases, TestNoHitLRUPrefillDecodeTracking).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, retainedHeapGrowth, scheduledOn, testHandle, variedEndpoints } from '../../../../../test/support/scheduling/testing.ts';
import { createNoHitLruScorer, type NoHitLruScorer } from './no-hit-lru.ts';

const KEY = 'prefix-cache-match-info/approx-prefix-cache-producer';

/** A request whose candidates `warm` hold prefix blocks (none: a cold request with match info). */
function request(warm: readonly Endpoint[] = []): LLMRequest {
  const req = makeRequest();
  const info: PrefixCacheMatchInfo = {
    request: req,
    totalBlocks: 4,
    blockSizeTokens: 64,
    matchBlocks: (ep) => (warm.includes(ep) ? 2 : 0),
    matchRatio: (ep) => (warm.includes(ep) ? 0.5 : 0),
  };
  req.data.set(KEY, info);
  return req;
}

// A warm request (every endpoint holds blocks): neutral scores, as the contract's all-equal case expects. The
// cold path ranks by candidate order, so it is checked by the tables below instead.
scorerContract('no-hit-lru-scorer', (h) => createNoHitLruScorer('no-hit-lru-scorer', undefined, h), {
  request: () => {
    const req = makeRequest();
    const info: PrefixCacheMatchInfo = { request: req, totalBlocks: 4, blockSizeTokens: 64, matchBlocks: () => 1, matchRatio: () => 0.25 };
    req.data.set(KEY, info);
    return req;
  },
});

const eps = [0, 1, 2].map((i) => makeEndpoint(i));
const scores = (s: NoHitLruScorer, req: LLMRequest, list: readonly Endpoint[] = eps): number[] => {
  const out = new Float64Array(list.length);
  s.score(req, list, list.length, out);
  return [...out];
};
const make = (params?: unknown): NoHitLruScorer => createNoHitLruScorer('lru', params, testHandle());

const cases: { name: string; req: () => LLMRequest; list?: Endpoint[]; want: number[] }[] = [
  { name: 'cold request, all endpoints never used', req: () => request(), want: [1, 0.5, 0] },
  { name: 'cache hit: neutral scores', req: () => request([eps[0]!]), want: [0.5, 0.5, 0.5] },
  { name: 'single endpoint: max score', req: () => request(), list: [eps[0]!], want: [1] },
  { name: 'no prefix match info: cold', req: () => makeRequest(), want: [1, 0.5, 0] },
];
for (const c of cases) {
  test(`no-hit-lru-scorer: ${c.name}`, () => assert.deepEqual(scores(make(), c.req(), c.list), c.want));
}

test('no-hit-lru-scorer: cold requests rotate to the least recently used endpoint; warm ones leave the LRU alone', () => {
  const s = make();
  const cold = (to: Endpoint): void => {
    const req = request();
    scores(s, req);
    s.preRequest(req, scheduledOn(to));
  };
  cold(eps[0]!);
  assert.deepEqual(scores(s, request()), [0, 1, 0.5], 'never-used first, then the LRU');
  const warm = request([eps[0]!]);
  assert.deepEqual(scores(s, warm), [0.5, 0.5, 0.5]);
  s.preRequest(warm, scheduledOn(eps[1]!));
  assert.deepEqual(s.lru.keys(), [eps[0]!.key]);
  cold(eps[1]!);
  assert.deepEqual(scores(s, request()), [0.5, 0, 1]);
  cold(eps[2]!);
  assert.deepEqual(scores(s, request()), [1, 0.5, 0], 'all used: oldest first');
  cold(eps[0]!);
  assert.deepEqual(scores(s, request()), [0, 1, 0.5]);
});

test('no-hit-lru-scorer: tracks the prefill profile\'s pick too (TestNoHitLRUPrefillDecodeTracking)', () => {
  const s = make();
  const req = request();
  scores(s, req);
  const result = scheduledOn(eps[0]!);
  (result.profileResults as Map<string, unknown>).set('prefill', { endpoints: [eps[1]!], count: 1 });
  s.preRequest(req, result);
  assert.deepEqual(s.lru.keys(), [eps[0]!.key, eps[1]!.key]);
});

test('no-hit-lru-scorer: the LRU holds at most lruSize endpoints, dropping the oldest', () => {
  const s = make({ lruSize: 2 });
  for (const ep of [eps[0]!, eps[1]!, eps[2]!, eps[1]!]) {
    const req = request();
    scores(s, req);
    s.preRequest(req, scheduledOn(ep));
  }
  assert.deepEqual(s.lru.keys(), [eps[2]!.key, eps[1]!.key]);
});

const params: { params: unknown; size?: number; match?: RegExp }[] = [
  { params: undefined, size: 1024 },
  { params: { lruSize: 0 }, size: 1024 },
  { params: { lruSize: 16, prefixPluginType: 'prefix-cache-scorer', prefixPluginName: 'x' }, size: 16 },
  { params: { lruSize: 'big' }, match: /lruSize/ },
  { params: { size: 3 }, match: /unknown parameter/ },
];
for (const c of params) {
  test(`no-hit-lru-scorer: parameters ${JSON.stringify(c.params)}`, () => {
    if (c.match) return void assert.throws(() => make(c.params), c.match);
    assert.equal(make(c.params).lru.capacity, c.size);
  });
}

test('no-hit-lru-scorer: consumes the named producer\'s match info', () => {
  assert.deepEqual(make().consumes.required, [KEY]);
  assert.deepEqual(make({ prefixMatchInfoProducerName: 'gpu' }).consumes.required, ['prefix-cache-match-info/gpu']);
});

test('no-hit-lru-scorer: cold scoring and LRU updates retain no heap', (t) => {
  const s = make();
  const pool = variedEndpoints(100);
  const req = request();
  const results = pool.map((ep) => scheduledOn(ep));
  const out = new Float64Array(pool.length);
  let i = 0;
  const growth = retainedHeapGrowth(() => {
    s.score(req, pool, pool.length, out);
    s.preRequest(req, results[i++ % pool.length]!);
  }, 100_000);
  if (growth === undefined) return t.skip('cannot force GC');
  assert.ok(growth < 1_000_000, `retained ${growth} bytes`);
});

test('no-hit-lru-scorer: synced, a peer\'s cold picks move the endpoints in this LRU too; a joiner copies the order', () => {
  const a = createNoHitLruScorer('lru', undefined, testHandle());
  const b = createNoHitLruScorer('lru', undefined, testHandle());
  const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  for (const to of [2, 0]) {
    const req = makeRequest({ promptText: 'cold' });
    a.score(req, eps, eps.length, new Float64Array(3));
    a.preRequest(req, scheduledOn(eps[to]!));
  }
  const syncA = a.syncedState();
  const syncB = b.syncedState();
  syncA.takeDelta(); // sent before b listened: b bootstraps instead
  syncB.applySnapshot('a', syncA.snapshot());
  assert.deepEqual(b.lru.keys(), [eps[2]!.key, eps[0]!.key]);
  const req = makeRequest({ promptText: 'cold' });
  a.score(req, eps, eps.length, new Float64Array(3));
  a.preRequest(req, scheduledOn(eps[1]!));
  syncB.applyDelta('a', syncA.takeDelta()!);
  assert.deepEqual(b.lru.keys(), a.lru.keys());
  assert.equal(syncB.takeDelta(), null);
});
