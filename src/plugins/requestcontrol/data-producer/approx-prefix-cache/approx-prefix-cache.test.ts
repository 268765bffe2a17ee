/**
 * approx-prefix-cache-producer. Cases follow upstream llm-d-router
 * pkg/epp/framework/plugins/requestcontrol/dataproducer/approximateprefix/plugin_test.go at ebab68792
 * (TestProduce, TestPreRequest, TestPrefixPluginPartialPrefixMatch, TestPrefixPluginAutoTune,
 * TestMaxPrefixTokensToMatch, TestMaxPrefixBothCapsZeroMatchesEverything, TestGetBlockSize_*,
 * TestFactory_DeprecatedBlockSizeMapped), on characters (4 per token) where upstream hashes token IDs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataKey, PREFIX_CACHE_MATCH_INFO_KEY, requestData, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { makeEndpoint, makeRequest, retainedHeapGrowth, scheduledOn, testHandle, testText } from '../../../../../test/support/scheduling/testing.ts';
import {
  ApproxPrefixCacheProducer,
  createApproxPrefixCacheProducer,
  DEFAULT_APPROX_PREFIX_CACHE_CONFIG,
  type ApproxPrefixCacheConfig,
} from './approx-prefix-cache.ts';

const text = (len: number, seed: number): string => testText(len, seed);

const PROMPT = text(64 * 4, 1); // exactly 4 blocks of 16 tokens (64 chars)

/** Upstream's tests lower the 64-token floor (disableMinBlockSizeClamp); 16-token blocks keep prompts short. */
function make(cfg: Partial<ApproxPrefixCacheConfig> = {}): ApproxPrefixCacheProducer {
  return new ApproxPrefixCacheProducer('approx-prefix-cache-producer', { ...DEFAULT_APPROX_PREFIX_CACHE_CONFIG, minBlockSizeTokens: 16, ...cfg });
}

function info(p: ApproxPrefixCacheProducer, req: LLMRequest, eps: readonly Endpoint[]): PrefixCacheMatchInfo {
  p.produce(req, eps);
  const got = requestData<PrefixCacheMatchInfo>(req, p.infoKey);
  assert.ok(got !== null);
  return got;
}

function matches(p: ApproxPrefixCacheProducer, req: LLMRequest, eps: readonly Endpoint[]): number[] {
  const i = info(p, req, eps);
  return eps.map((ep) => i.matchBlocks(ep));
}

function route(p: ApproxPrefixCacheProducer, req: LLMRequest, eps: readonly Endpoint[], to: Endpoint): void {
  p.produce(req, eps);
  p.preRequest(req, scheduledOn(to));
}

test('approx-prefix-cache-producer: type, name and the data keys it produces', () => {
  const p = createApproxPrefixCacheProducer('gpu', undefined, testHandle());
  assert.equal(p.type, 'approx-prefix-cache-producer');
  assert.equal(p.infoKey, dataKey(PREFIX_CACHE_MATCH_INFO_KEY, 'gpu'));
  assert.deepEqual(p.produces, ['prefix-cache-match-info/gpu', 'prefix-cache-match']);
});

test('approx-prefix-cache-producer: empty index publishes no match', () => {
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const req = makeRequest({ promptText: PROMPT });
  const i = info(make(), req, eps);
  assert.equal(i.request, req);
  assert.deepEqual(eps.map((ep) => i.matchBlocks(ep)), [0, 0]);
  assert.deepEqual(eps.map((ep) => i.matchRatio(ep)), [0, 0]);
});

test('approx-prefix-cache-producer: the endpoint that served the prompt holds every block (TestProduce/TestPreRequest)', () => {
  const p = make();
  const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  route(p, makeRequest({ promptText: PROMPT }), eps, eps[1]!);
  const i = info(p, makeRequest({ promptText: PROMPT }), eps);
  assert.equal(i.totalBlocks, 4);
  assert.equal(i.blockSizeTokens, 16);
  assert.deepEqual(eps.map((ep) => i.matchBlocks(ep)), [0, 4, 0]);
  assert.deepEqual(eps.map((ep) => i.matchRatio(ep)), [0, 1, 0]);
  assert.equal(p.indexEntries(), 4);
});

const partialCases: { name: string; prompt: string; want: [number, number] }[] = [
  { name: 'first 2 of 4 blocks shared', prompt: PROMPT.slice(0, 128) + text(128, 9), want: [2, 4] },
  { name: 'longer prompt extending the cached one', prompt: PROMPT + text(128, 8), want: [4, 6] },
  { name: 'cached prompt plus a partial block', prompt: PROMPT + 'tail', want: [4, 5] },
  { name: 'first block differs', prompt: 'X' + PROMPT.slice(1), want: [0, 4] },
  { name: 'prompt shorter than a block', prompt: PROMPT.slice(0, 63), want: [0, 0] },
];
for (const c of partialCases) {
  test(`approx-prefix-cache-producer: ${c.name} (TestPrefixPluginPartialPrefixMatch)`, () => {
    const p = make();
    const eps = [makeEndpoint(0), makeEndpoint(1)];
    route(p, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
    const i = info(p, makeRequest({ promptText: c.prompt }), eps);
    assert.deepEqual([i.matchBlocks(eps[0]!), i.totalBlocks], c.want);
    assert.equal(i.matchBlocks(eps[1]!), 0);
  });
}

test('approx-prefix-cache-producer: model and cache_salt are part of the key', () => {
  const p = make();
  const eps = [makeEndpoint(0)];
  route(p, makeRequest({ promptText: PROMPT, targetModel: 'm1', cacheSalt: 'alice' }), eps, eps[0]!);
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT, targetModel: 'm1', cacheSalt: 'alice' }), eps), [4]);
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT, targetModel: 'm2', cacheSalt: 'alice' }), eps), [0]);
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT, targetModel: 'm1', cacheSalt: 'bob' }), eps), [0]);
});

test('approx-prefix-cache-producer: match info read for another request is absent', () => {
  const p = make();
  const eps = [makeEndpoint(0)];
  const first = makeRequest({ promptText: PROMPT });
  p.produce(first, eps);
  p.produce(makeRequest({ promptText: PROMPT }), eps);
  assert.equal(requestData(first, p.infoKey), null);
});

test('approx-prefix-cache-producer: preRequest without produce() still indexes; short prompts are not indexed', () => {
  const p = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  p.preRequest(makeRequest({ promptText: 'short' }), scheduledOn(eps[0]!));
  assert.equal(p.indexEntries(), 0);
  p.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(eps[1]!));
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT }), eps), [0, 4]);
});

test('approx-prefix-cache-producer: only the primary pick is indexed, and the prefill profile\'s pick', () => {
  const p = make();
  const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  p.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(eps[0]!, eps[1]!));
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT }), eps), [4, 0, 0]);
  const pd = scheduledOn(eps[1]!);
  (pd.profileResults as Map<string, unknown>).set('prefill', { endpoints: [eps[2]!], count: 1 });
  p.preRequest(makeRequest({ promptText: PROMPT + 'x' }), pd);
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT + 'x' }), eps), [4, 5, 5]);
});

const capCases: { name: string; cfg: Partial<ApproxPrefixCacheConfig>; prompt: string; blocks: number }[] = [
  // TestMaxPrefixTokensToMatch: the token cap wins; blocks = tokens / block size.
  { name: 'maxPrefixTokensToMatch 48 at 16-token blocks', cfg: { maxPrefixTokensToMatch: 48 }, prompt: PROMPT, blocks: 3 },
  { name: 'token cap 0 falls back to maxPrefixBlocksToMatch', cfg: { maxPrefixTokensToMatch: 0, maxPrefixBlocksToMatch: 2 }, prompt: PROMPT, blocks: 2 },
  // TestMaxPrefixBothCapsZeroMatchesEverything
  { name: 'both caps 0 hash the whole prompt', cfg: { maxPrefixTokensToMatch: 0, maxPrefixBlocksToMatch: 0 }, prompt: text(64 * 300, 3), blocks: 300 },
  { name: 'token cap below one block hashes nothing', cfg: { maxPrefixTokensToMatch: 8 }, prompt: PROMPT, blocks: 0 },
  { name: 'default 131,072-token cap covers a 300-block prompt', cfg: {}, prompt: text(64 * 300, 4), blocks: 300 },
];
for (const c of capCases) {
  test(`approx-prefix-cache-producer: ${c.name}`, () => {
    const p = make(c.cfg);
    route(p, makeRequest({ promptText: c.prompt }), [makeEndpoint(0)], makeEndpoint(0));
    assert.equal(p.indexEntries(), c.blocks);
  });
}

const blockSizeCases: { name: string; cfg: Partial<ApproxPrefixCacheConfig>; metric: number; want: number }[] = [
  // TestGetBlockSize_*: the floor (64 by default) applies to the metric, the fallback and manual sizes.
  { name: 'autotune: metric below the floor is clamped', cfg: { minBlockSizeTokens: 64 }, metric: 16, want: 64 },
  { name: 'autotune: metric above the floor passes', cfg: { minBlockSizeTokens: 64 }, metric: 128, want: 128 },
  { name: 'manual size below the floor is clamped', cfg: { minBlockSizeTokens: 64, autoTune: false, blockSizeTokens: 32 }, metric: 0, want: 64 },
  { name: 'autotune without a metric clamps the configured 16', cfg: { minBlockSizeTokens: 64 }, metric: 0, want: 64 },
  { name: 'autotune off ignores the metric', cfg: { autoTune: false, blockSizeTokens: 16 }, metric: 32, want: 16 },
];
for (const c of blockSizeCases) {
  test(`approx-prefix-cache-producer: block size: ${c.name}`, () => {
    const p = make(c.cfg);
    assert.equal(p.blockSizeTokensFor([makeEndpoint(0, { cacheBlockSize: c.metric })], 1), c.want);
  });
}

test('approx-prefix-cache-producer: the default floor is upstream\'s 64 tokens', () => {
  const p = createApproxPrefixCacheProducer('p', undefined, testHandle());
  assert.equal(p.config.minBlockSizeTokens, 64);
  assert.equal(p.config.maxPrefixTokensToMatch, 131_072);
  assert.equal(p.config.maxPrefixBlocksToMatch, 2048);
  assert.equal(p.blockSizeTokensFor([], 0), 64);
  // 256-char blocks: the 4-block (16-token) PROMPT is one block.
  route(p, makeRequest({ promptText: PROMPT }), [makeEndpoint(0)], makeEndpoint(0));
  assert.equal(p.indexEntries(), 1);
});

test('approx-prefix-cache-producer: auto-tunes the block size from the first candidate (TestPrefixPluginAutoTune)', () => {
  const p = make();
  // 32 tokens x 4 chars = 128-char blocks: the 256-char prompt is 2 blocks.
  const eps = [makeEndpoint(0, { cacheBlockSize: 32 })];
  route(p, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  assert.equal(p.indexEntries(), 2);
  const fixed = make({ autoTune: false });
  route(fixed, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  assert.equal(fixed.indexEntries(), 4);
});

test('approx-prefix-cache-producer: auto-tuned LRU capacity keeps the leading blocks', () => {
  const p = make();
  const eps = [makeEndpoint(0, { cacheNumBlocks: 3 }), makeEndpoint(1)];
  const long = text(64 * 10, 6);
  route(p, makeRequest({ promptText: long }), eps, eps[0]!);
  assert.equal(p.indexEntries(), 3);
  // Blocks are added last-first, so eviction dropped the tail and blocks 0-2 still match.
  assert.deepEqual(matches(p, makeRequest({ promptText: long }), eps), [3, 0]);
});

test('approx-prefix-cache-producer: lruCapacityPerServer bounds entries per endpoint', () => {
  const p = make({ lruCapacityPerServer: 5, autoTune: false });
  const ep = makeEndpoint(0);
  for (let i = 0; i < 20; i++) p.preRequest(makeRequest({ promptText: text(64 * 3, 100 + i) }), scheduledOn(ep));
  // Generational recency (prefix-index.ts): between capacity - capacity/4 and capacity.
  assert.ok(p.indexEntries() >= 3 && p.indexEntries() <= 5, `${p.indexEntries()} entries`);
});

test('approx-prefix-cache-producer: removeEndpoint purges the endpoint', () => {
  const p = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  route(p, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  route(p, makeRequest({ promptText: text(300, 3) }), eps, eps[1]!);
  p.removeEndpoint(eps[0]!.key);
  assert.equal(p.indexEntries(), 5);
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT }), eps), [0, 0]);
});

test('approx-prefix-cache-producer: preRequest reports the pick\'s expected cached tokens on the request', () => {
  const p = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const first = makeRequest({ promptText: PROMPT });
  route(p, first, eps, eps[0]!);
  assert.equal(first.cachedPromptTokens, 0, 'nothing cached before the first dispatch');
  const cases: { prompt: string; to: number; want: number }[] = [
    { prompt: PROMPT + text(128, 4), to: 0, want: 64 }, // 4 of 6 blocks x 16 tokens
    { prompt: PROMPT + text(128, 5), to: 1, want: 0 }, // the other endpoint holds nothing
    { prompt: PROMPT.slice(0, 128) + text(200, 6), to: 0, want: 32 },
    { prompt: PROMPT + 'tail', to: 0, want: 64 },
    { prompt: PROMPT + 'tail', to: 0, want: 65 }, // all 5 blocks, capped at the prompt's 65 tokens
  ];
  for (const c of cases) {
    const req = makeRequest({ promptText: c.prompt });
    route(p, req, eps, eps[c.to]!);
    assert.equal(req.cachedPromptTokens, c.want, c.prompt.length + ' chars to endpoint ' + c.to);
  }
});

test('approx-prefix-cache-producer: preRequest indexes the blocks produced, even if the pick reports another block size', () => {
  const p = make();
  const warm = [makeEndpoint(1, { cacheBlockSize: 32 }), makeEndpoint(0)];
  p.preRequest(makeRequest({ promptText: 'w'.repeat(200) }), scheduledOn(makeEndpoint(7))); // non-empty index
  const req = makeRequest({ promptText: PROMPT });
  p.produce(req, warm); // first candidate: 32 tokens -> 128-char blocks -> 2 blocks
  p.preRequest(req, scheduledOn(warm[1]!));
  // Learned as 2 blocks of 128 chars on warm[1]: matchable while the first candidate reports 32-token blocks.
  assert.deepEqual(matches(p, makeRequest({ promptText: PROMPT }), warm), [0, 2]);
});

const paramCases: { params: unknown; want?: Partial<ApproxPrefixCacheConfig>; match?: RegExp }[] = [
  { params: undefined, want: { autoTune: true, blockSizeTokens: 16, maxPrefixTokensToMatch: 131_072, lruCapacityPerServer: 31_250 } },
  // TestFactory_DeprecatedBlockSizeMapped: blockSize maps to blockSizeTokens (left at its default).
  { params: { autoTune: false, blockSize: 24 }, want: { blockSizeTokens: 24, autoTune: false } },
  { params: { hashBlockSize: 32 }, want: { blockSizeTokens: 32 } },
  { params: { blockSize: 24, blockSizeTokens: 48 }, want: { blockSizeTokens: 48 } },
  { params: { blockSizeTokens: 0, autoTune: false }, match: /parameters\.blockSizeTokens: must be an integer/ },
  { params: { blockSizeTokens: 0 }, want: { blockSizeTokens: 0 } }, // autoTune: the floor applies
  { params: { lruCapacityPerServer: 0 }, want: { lruCapacityPerServer: 31_250 } },
  { params: { maxPrefixTokensToMatch: -1 }, match: /parameters\.maxPrefixTokensToMatch/ },
  { params: { lruCapacityPerServer: 'big' }, match: /parameters\.lruCapacityPerServer/ },
  { params: { autoTune: 'yes' }, match: /parameters\.autoTune: must be true or false/ },
  // TestFactory_RejectsUnknownField
  { params: { hashBlockSizee: 64 }, match: /parameters\.hashBlockSizee: unknown parameter/ },
];
for (const c of paramCases) {
  test(`approx-prefix-cache-producer: parameters ${JSON.stringify(c.params)}`, () => {
    if (c.match) {
      assert.throws(() => createApproxPrefixCacheProducer('p', c.params, testHandle()), c.match);
      return;
    }
    const cfg = createApproxPrefixCacheProducer('p', c.params, testHandle()).config;
    for (const [k, v] of Object.entries(c.want!)) assert.equal(cfg[k as keyof ApproxPrefixCacheConfig], v, k);
  });
}

test('approx-prefix-cache-producer: produce against a warm index retains no heap', (t) => {
  const p = make();
  const eps = Array.from({ length: 50 }, (_, i) => makeEndpoint(i));
  for (let i = 0; i < 50; i++) p.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(eps[i]!));
  const req = makeRequest({ promptText: PROMPT });
  let sum = 0;
  const growth = retainedHeapGrowth(() => {
    p.produce(req, eps);
    sum += p.matchBlocksOf(eps[7]!);
  }, 100_000);
  if (growth === undefined) return t.skip('cannot force GC');
  assert.deepEqual(matches(p, req, eps), eps.map(() => 4));
  assert.ok(sum > 0);
  assert.ok(growth < 1_000_000, `retained ${growth} bytes`);
});

test('approx-prefix-cache-producer: matchBlocks answers in any order, for a filtered subset and for non-candidates', () => {
  const p = make();
  const eps = [0, 1, 2, 3, 4].map((i) => makeEndpoint(i));
  route(p, makeRequest({ promptText: PROMPT }), eps, eps[1]!);
  route(p, makeRequest({ promptText: PROMPT.slice(0, 128) + text(128, 3) }), eps, eps[3]!);
  const i = info(p, makeRequest({ promptText: PROMPT }), eps);
  const want = [0, 4, 0, 2, 0];
  assert.deepEqual(eps.map((ep) => i.matchBlocks(ep)), want, 'in order');
  assert.deepEqual([...eps].reverse().map((ep) => i.matchBlocks(ep)), [...want].reverse(), 'reversed');
  assert.deepEqual([eps[3]!, eps[1]!, eps[4]!].map((ep) => i.matchBlocks(ep)), [2, 4, 0], 'a filtered, reordered subset');
  assert.deepEqual([eps[1]!, eps[3]!].map((ep) => i.matchBlocks(ep)), [4, 2], 'a second consumer\'s pass');
  assert.equal(i.matchBlocks(makeEndpoint(1)), 4, 'same key, another object: found by key');
  assert.equal(i.matchBlocks(makeEndpoint(9)), 0, 'unknown endpoint');
});
