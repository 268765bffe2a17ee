import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, retainedHeapGrowth, scheduledOn, testHandle, testText } from '../../../../../test/support/scheduling/testing.ts';
import { createPrefixCacheScorer, type PrefixCacheScorer } from './prefix-cache.ts';

const text = (len: number, seed: number): string => testText(len, seed);

const PROMPT = text(64 * 4, 1); // exactly 4 blocks of 64 chars

function make(params?: unknown): PrefixCacheScorer {
  return createPrefixCacheScorer('prefix', params, testHandle());
}

function scores(s: PrefixCacheScorer, req: LLMRequest, eps: readonly Endpoint[]): number[] {
  const out = new Float64Array(eps.length);
  s.score(req, eps, eps.length, out);
  return [...out];
}

/** Warm one endpoint: score (as the engine does) then record it as the pick. */
function route(s: PrefixCacheScorer, req: LLMRequest, eps: readonly Endpoint[], to: Endpoint): void {
  scores(s, req, eps);
  s.preRequest(req, scheduledOn(to));
}

scorerContract('prefix-cache-scorer', (h) => {
  const s = createPrefixCacheScorer('prefix-cache-scorer', undefined, h);
  // Warm the index (on an endpoint outside the suite's sets) so the suite runs hashing and lookup, not
  // only the empty-index shortcut.
  s.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(makeEndpoint(999)));
  return s;
}, { request: () => makeRequest({ promptText: PROMPT }) });

test('prefix-cache-scorer: empty index scores 0', () => {
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  assert.deepEqual(scores(make(), makeRequest({ promptText: PROMPT }), eps), [0, 0]);
});

test('prefix-cache-scorer: the endpoint that served the prompt scores 1, others 0', () => {
  const s = make();
  const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  route(s, makeRequest({ promptText: PROMPT }), eps, eps[1]!);
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT }), eps), [0, 1, 0]);
  assert.equal(s.indexEntries(), 4);
});

const partialCases: { name: string; prompt: string; want: number }[] = [
  { name: 'first 2 of 4 blocks shared', prompt: PROMPT.slice(0, 128) + text(128, 9), want: 2 / 4 },
  { name: 'longer prompt extending the cached one', prompt: PROMPT + text(128, 8), want: 4 / 6 },
  { name: 'cached prompt plus a partial block', prompt: PROMPT + 'tail', want: 4 / 5 },
  { name: 'first block differs', prompt: 'X' + PROMPT.slice(1), want: 0 },
  { name: 'prompt shorter than a block', prompt: PROMPT.slice(0, 63), want: 0 },
];
for (const c of partialCases) {
  test(`prefix-cache-scorer: ${c.name}`, () => {
    const s = make();
    const eps = [makeEndpoint(0), makeEndpoint(1)];
    route(s, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
    assert.deepEqual(scores(s, makeRequest({ promptText: c.prompt }), eps), [c.want, 0]);
  });
}

test('prefix-cache-scorer: model and cache_salt are part of the key', () => {
  const s = make();
  const eps = [makeEndpoint(0)];
  route(s, makeRequest({ promptText: PROMPT, targetModel: 'm1', cacheSalt: 'alice' }), eps, eps[0]!);
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT, targetModel: 'm1', cacheSalt: 'alice' }), eps), [1]);
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT, targetModel: 'm2', cacheSalt: 'alice' }), eps), [0]);
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT, targetModel: 'm1', cacheSalt: 'bob' }), eps), [0]);
});

test('prefix-cache-scorer: short prompts are not indexed', () => {
  const s = make();
  const ep = makeEndpoint(0);
  s.preRequest(makeRequest({ promptText: 'short' }), scheduledOn(ep));
  assert.equal(s.indexEntries(), 0);
});

test('prefix-cache-scorer: preRequest without a prior score() still indexes the request', () => {
  const s = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  s.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(eps[1]!));
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT }), eps), [0, 1]);
});

test('prefix-cache-scorer: only the primary pick is indexed', () => {
  const s = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  s.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(eps[0]!, eps[1]!));
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT }), eps), [1, 0]);
});

test('prefix-cache-scorer: maxPrefixBlocksToMatch bounds the blocks hashed', () => {
  const s = make({ maxPrefixBlocksToMatch: 2 });
  const eps = [makeEndpoint(0)];
  route(s, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  assert.equal(s.indexEntries(), 2);
  // Differs only after block 2: invisible to a 2-block window.
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT.slice(0, 128) + text(300, 5) }), eps), [1]);
});

test('prefix-cache-scorer: maxPrefixTokensToMatch overrides the block count', () => {
  const s = make({ maxPrefixTokensToMatch: 48, blockSizeTokens: 16 });
  route(s, makeRequest({ promptText: PROMPT }), [makeEndpoint(0)], makeEndpoint(0));
  assert.equal(s.indexEntries(), 3);
});

test('prefix-cache-scorer: auto-tunes the block size from cacheBlockSize', () => {
  const s = make();
  // 32 tokens x 4 chars = 128-char blocks: the 256-char prompt is 2 blocks.
  const eps = [makeEndpoint(0, { cacheBlockSize: 32 })];
  route(s, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  assert.equal(s.indexEntries(), 2);
  const fixed = make({ autoTune: false });
  route(fixed, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  assert.equal(fixed.indexEntries(), 4);
});

test('prefix-cache-scorer: auto-tuned LRU capacity keeps the leading blocks', () => {
  const s = make();
  const eps = [makeEndpoint(0, { cacheNumBlocks: 3 }), makeEndpoint(1)];
  const long = text(64 * 10, 6);
  route(s, makeRequest({ promptText: long }), eps, eps[0]!);
  assert.equal(s.indexEntries(), 3);
  // Blocks are added last-first, so eviction dropped the tail and blocks 0-2 still match.
  assert.deepEqual(scores(s, makeRequest({ promptText: long }), eps), [3 / 10, 0]);
});

test('prefix-cache-scorer: lruCapacityPerServer bounds entries per endpoint', () => {
  const s = make({ lruCapacityPerServer: 5, autoTune: false });
  const ep = makeEndpoint(0);
  for (let i = 0; i < 20; i++) s.preRequest(makeRequest({ promptText: text(64 * 3, 100 + i) }), scheduledOn(ep));
  // Generational recency (prefix-index.ts): between capacity - capacity/4 and capacity.
  assert.ok(s.indexEntries() >= 3 && s.indexEntries() <= 5, `${s.indexEntries()} entries`);
});

test('prefix-cache-scorer: removeEndpoint purges the endpoint', () => {
  const s = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  route(s, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  route(s, makeRequest({ promptText: text(300, 3) }), eps, eps[1]!);
  s.removeEndpoint(eps[0]!.key);
  assert.equal(s.indexEntries(), 5);
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT }), eps), [0, 0]);
});

test('prefix-cache-scorer: preRequest reports the pick\'s expected cached tokens on the request', () => {
  const s = make();
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const first = makeRequest({ promptText: PROMPT });
  route(s, first, eps, eps[0]!);
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
    route(s, req, eps, eps[c.to]!);
    assert.equal(req.cachedPromptTokens, c.want, c.prompt.length + ' chars to endpoint ' + c.to);
  }
});

const paramErrors: { params: unknown; match: RegExp }[] = [
  { params: { blockSize: 64, blockSizeTokens: 16 }, match: /parameters\.blockSize: deprecated/ },
  { params: { blockSizeTokens: 0 }, match: /parameters\.blockSizeTokens: must be an integer/ },
  { params: { lruCapacityPerServer: 'big' }, match: /parameters\.lruCapacityPerServer/ },
  { params: { autoTune: 'yes' }, match: /parameters\.autoTune: must be true or false/ },
  { params: { hashBlockSizee: 64 }, match: /parameters\.hashBlockSizee: unknown parameter/ },
];
for (const c of paramErrors) {
  test(`prefix-cache-scorer: rejects ${JSON.stringify(c.params)}`, () => {
    assert.throws(() => make(c.params), c.match);
  });
}

test('prefix-cache-scorer: legacy blockSize in characters is a fixed block size', () => {
  const s = make({ blockSize: 128 });
  const eps = [makeEndpoint(0, { cacheBlockSize: 16 })];
  route(s, makeRequest({ promptText: PROMPT }), eps, eps[0]!);
  assert.equal(s.indexEntries(), 2);
  assert.equal(s.config.fixedBlockChars, 128);
});

test('prefix-cache-scorer: matching against a warm index retains no heap', (t) => {
  const s = make();
  const eps = Array.from({ length: 50 }, (_, i) => makeEndpoint(i));
  for (let i = 0; i < 50; i++) s.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(eps[i]!));
  const req = makeRequest({ promptText: PROMPT });
  const out = new Float64Array(eps.length);
  const growth = retainedHeapGrowth(() => s.score(req, eps, eps.length, out), 100_000);
  if (growth === undefined) return t.skip('cannot force GC');
  assert.deepEqual([...out], eps.map(() => 1));
  assert.ok(growth < 1_000_000, `retained ${growth} bytes`);
});

test('prefix-cache-scorer: preRequest indexes the blocks scored, even if the pick reports another block size', () => {
  const s = make();
  const warm = [makeEndpoint(0), makeEndpoint(1, { cacheBlockSize: 32 })];
  s.preRequest(makeRequest({ promptText: 'w'.repeat(200) }), scheduledOn(makeEndpoint(7))); // non-empty index
  const req = makeRequest({ promptText: PROMPT });
  scores(s, req, warm); // first reporting candidate: 32 tokens -> 128-char blocks -> 2 blocks
  s.preRequest(req, scheduledOn(warm[0]!));
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT }), warm), [1, 0]);
});
