/**
 * prefix-cache-scorer. Cases follow upstream llm-d-router pkg/epp/framework/plugins/scheduling/scorer/prefix/
 * plugin_test.go at ebab68792 (TestPrefixPluginScore, TestPrefixPluginScoreWithWeights,
 * TestPrefixPluginFactoryValidation), plus this picker's compatibility with configs that put the
 * producer's parameters on the scorer and with configs that name no producer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dataKey, PREFIX_CACHE_MATCH_INFO_KEY, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { loadSchedulerConfig } from '../../../../config/loader.ts';
import { inTreePluginRegistry } from '../../../registry.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle, testText } from '../../../../../test/support/scheduling/testing.ts';
import { createPrefixCacheScorer, type PrefixCacheScorer } from './prefix-cache.ts';

const PROMPT = testText(256 * 4, 1); // 4 blocks of 64 tokens (256 chars)
const DEFAULT_KEY = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, 'approx-prefix-cache-producer');

/** Match info as a producer would publish it: matchBlocks per endpoint key. */
function publish(req: LLMRequest, key: string, totalBlocks: number, blockSizeTokens: number, blocks: Record<string, number>): void {
  const info: PrefixCacheMatchInfo = {
    request: req,
    totalBlocks,
    blockSizeTokens,
    matchBlocks: (ep) => blocks[ep.key] ?? 0,
    matchRatio: (ep) => (totalBlocks === 0 ? 0 : (blocks[ep.key] ?? 0) / totalBlocks),
  };
  req.data.set(key, info);
}

function scores(s: PrefixCacheScorer, req: LLMRequest, eps: readonly Endpoint[]): number[] {
  const out = new Float64Array(eps.length);
  s.score(req, eps, eps.length, out);
  return [...out];
}

// Producer parameters on the scorer: the scorer runs its own producer (and so hashes and matches here).
scorerContract('prefix-cache-scorer (own producer)', (h) => {
  const s = createPrefixCacheScorer('prefix-cache-scorer', { lruCapacityPerServer: 1000 }, h);
  // Warm the index (on an endpoint outside the suite's sets) so the suite runs hashing and lookup.
  s.preRequest(makeRequest({ promptText: PROMPT }), scheduledOn(makeEndpoint(999)));
  return s;
}, { request: () => makeRequest({ promptText: PROMPT }) });
scorerContract('prefix-cache-scorer', (h) => createPrefixCacheScorer('prefix-cache-scorer', undefined, h));

const scoreCases: { name: string; params?: unknown; total: number; bs: number; blocks: number[]; want: number[] }[] = [
  { name: 'match ratio (TestPrefixPluginScore)', total: 10, bs: 1, blocks: [5, 2], want: [0.5, 0.2] },
  // TestPrefixPluginScoreWithWeights: 0.5*(5/100)^2 + 0.5*0.5 and 0.5*(50/100)^2 + 0.5*0.5
  { name: 'match length weighted', params: { matchLengthWeight: 0.5, matchLengthScaleTokens: 100 }, total: 10, bs: 1, blocks: [5, 5], want: [0.25125, 0.25125] },
  { name: 'match length saturates at the scale', params: { matchLengthWeight: 1, matchLengthScaleTokens: 100 }, total: 10, bs: 64, blocks: [2, 1, 0], want: [1, 0.4096, 0] },
  { name: 'no blocks hashed scores 0', total: 0, bs: 64, blocks: [0, 0], want: [0, 0] },
];
for (const c of scoreCases) {
  test(`prefix-cache-scorer: ${c.name}`, () => {
    const s = createPrefixCacheScorer('prefix-cache-scorer', c.params, testHandle());
    const eps = c.blocks.map((_, i) => makeEndpoint(i));
    const req = makeRequest({ promptText: PROMPT });
    publish(req, DEFAULT_KEY, c.total, c.bs, Object.fromEntries(eps.map((ep, i) => [ep.key, c.blocks[i]!])));
    const got = scores(s, req, eps);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - c.want[i]!) < 1e-9, `${got} vs ${c.want}`);
  });
}

test('prefix-cache-scorer: longer match at the same ratio scores higher with matchLengthWeight (upstream endpoint 2)', () => {
  const s = createPrefixCacheScorer('s', { matchLengthWeight: 0.5, matchLengthScaleTokens: 100 }, testHandle());
  const ep = makeEndpoint(0);
  const req = makeRequest();
  publish(req, DEFAULT_KEY, 100, 1, { [ep.key]: 50 });
  assert.ok(Math.abs(scores(s, req, [ep])[0]! - 0.375) < 1e-9);
});

test('prefix-cache-scorer: reads only its producer\'s key, and only for the same request', () => {
  const eps = [makeEndpoint(0)];
  const named = createPrefixCacheScorer('s', { prefixMatchInfoProducerName: 'gpu' }, testHandle());
  assert.deepEqual(named.consumes.required, ['prefix-cache-match-info/gpu']);
  const req = makeRequest();
  publish(req, DEFAULT_KEY, 4, 64, { [eps[0]!.key]: 4 });
  assert.deepEqual(scores(named, req, eps), [0]);
  publish(req, dataKey(PREFIX_CACHE_MATCH_INFO_KEY, 'gpu'), 4, 64, { [eps[0]!.key]: 2 });
  assert.deepEqual(scores(named, req, eps), [0.5]);
  assert.deepEqual(scores(named, makeRequest(), eps), [0], 'another request');
});

const factoryCases: { params: unknown; want?: [number, number]; match?: RegExp }[] = [
  { params: undefined, want: [0, 8192] },
  { params: { matchLengthWeight: 0.5, matchLengthScaleTokens: 100 }, want: [0.5, 100] },
  { params: { matchLengthWeight: -0.1, matchLengthScaleTokens: 100 }, match: /matchLengthWeight/ },
  { params: { matchLengthWeight: 1.1, matchLengthScaleTokens: 100 }, match: /matchLengthWeight/ },
  { params: { matchLengthWeight: 0.5, matchLengthScaleTokens: 0 }, match: /matchLengthScaleTokens/ },
  { params: { matchLengthWeight: 0.5 }, want: [0.5, 8192] },
  { params: { matchLengthWeight: 0 }, want: [0, 8192] },
  { params: { prefixMatchInfoProducerName: 7 }, match: /prefixMatchInfoProducerName: must be a string/ },
  { params: { prefixMatchInfoProducerName: 'gpu', blockSizeTokens: 64 }, match: /blockSizeTokens: a producer parameter; set it on the producer "gpu"/ },
  { params: { nope: 1 }, match: /parameters\.nope: unknown parameter/ },
];
for (const c of factoryCases) {
  test(`prefix-cache-scorer: parameters ${JSON.stringify(c.params)}`, () => {
    if (c.match) {
      assert.throws(() => createPrefixCacheScorer('s', c.params, testHandle()), c.match);
      return;
    }
    const s = createPrefixCacheScorer('s', c.params, testHandle());
    assert.deepEqual([s.config.matchLengthWeight, s.config.matchLengthScaleTokens], c.want);
    assert.equal(s.ownProducer, null);
  });
}

test('prefix-cache-scorer: producer parameters on the scorer give it its own producer (configs before the split)', () => {
  const s = createPrefixCacheScorer('pc', { blockSizeTokens: 16, maxPrefixBlocksToMatch: 256, lruCapacityPerServer: 100 }, testHandle());
  assert.ok(s.ownProducer !== null);
  assert.equal(s.ownProducer.config.lruCapacityPerServer, 100);
  assert.deepEqual(s.produces, ['prefix-cache-match-info/pc', 'prefix-cache-match']);
  assert.equal(s.consumes.required, undefined);
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const first = makeRequest({ promptText: PROMPT });
  s.produce(first, eps);
  s.preRequest(first, scheduledOn(eps[1]!));
  assert.equal(s.indexEntries(), 4);
  const again = makeRequest({ promptText: PROMPT });
  s.produce(again, eps);
  assert.deepEqual(scores(s, again, eps), [0, 1]);
  assert.deepEqual(scores(s, makeRequest({ promptText: PROMPT }), eps), [0, 1], 'no produce(): produced on demand');
  s.removeEndpoint(eps[1]!.key);
  assert.equal(s.indexEntries(), 0);
});

/** What the director does around a pick: DataProducers, schedule, PreRequest. */
function cycle(text: string, eps: readonly Endpoint[], config: string): { picked: Endpoint[]; plugins: string[] } {
  const loaded = loadSchedulerConfig(config, testHandle(), { registry: inTreePluginRegistry() });
  const picked: Endpoint[] = [];
  for (let round = 0; round < 3; round++) {
    const req = makeRequest({ promptText: text });
    for (const p of loaded.requestControl.dataProducers) p.produce(req, eps);
    const r = loaded.scheduler.schedule(req, eps);
    assert.ok(r.ok);
    for (const p of loaded.requestControl.preRequest) p.preRequest(req, r);
    picked.push(r.primary.endpoints[0]!);
  }
  return { picked, plugins: [...loaded.plugins.values()].map((p) => `${p.type}/${p.name}`) };
}

const HEAD = 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n';
const configCases: { name: string; config: string; producer: string }[] = [
  { name: 'naming only prefix-cache-scorer adds the default producer', config: `${HEAD}plugins:\n- type: prefix-cache-scorer\n`, producer: 'approx-prefix-cache-producer/approx-prefix-cache-producer' },
  {
    name: 'a named producer read through prefixMatchInfoProducerName',
    config: `${HEAD}plugins:\n- type: approx-prefix-cache-producer\n  name: gpu\n  parameters: {maxPrefixTokensToMatch: 40960}\n- type: prefix-cache-scorer\n  parameters: {prefixMatchInfoProducerName: gpu}\n`,
    producer: 'approx-prefix-cache-producer/gpu',
  },
  { name: 'the default config', config: '', producer: 'approx-prefix-cache-producer/approx-prefix-cache-producer' },
];
for (const c of configCases) {
  test(`prefix-cache-scorer: loaded config: ${c.name}; a repeated prompt sticks to its first endpoint`, () => {
    const eps = [0, 1, 2, 3].map((i) => makeEndpoint(i));
    const { picked, plugins } = cycle(PROMPT, eps, c.config);
    assert.ok(plugins.includes(c.producer), plugins.join(', '));
    assert.equal(plugins.filter((p) => p.startsWith('approx-prefix-cache-producer/')).length, 1);
    assert.equal(picked[1], picked[0]);
    assert.equal(picked[2], picked[0]);
  });
}

test('prefix-cache-scorer: examples/standalone/scheduler.yaml (producer parameters on the scorer) loads and sticks', () => {
  const text = readFileSync(new URL('../../../../../examples/standalone/scheduler.yaml', import.meta.url), 'utf8');
  const eps = [0, 1, 2, 3].map((i) => makeEndpoint(i));
  const { picked, plugins } = cycle(PROMPT, eps, text);
  assert.ok(!plugins.some((p) => p.startsWith('approx-prefix-cache-producer/')), plugins.join(', '));
  assert.equal(picked[2], picked[0]);
});

test('prefix-cache-scorer: llm-d v0.3-v0.5 sample config (mode: cache_tracking) loads and scores approximately, as upstream', () => {
  // llm-d-inference-scheduler v0.5.1 deploy/config/sim-epp-kvcache-config.yaml: its prefix-cache-scorer was GIE's,
  // whose factory ignored unknown fields; the mode and index sections did nothing there.
  const text = readFileSync(new URL('../../../../../test/data/upstream/configs/sched-v0.5.1__sim-epp-kvcache-config.yaml.yaml', import.meta.url), 'utf8');
  const warned: unknown[] = [];
  const handle = { ...testHandle(), logger: { ...testHandle().logger, warn: (o: unknown) => warned.push(o) } as never };
  const loaded = loadSchedulerConfig(text, handle, { registry: inTreePluginRegistry() });
  const scorer = [...loaded.plugins.values()].find((p) => p.type === 'prefix-cache-scorer') as PrefixCacheScorer;
  assert.ok(scorer, 'the scorer is instantiated');
  assert.deepEqual(
    warned.map((o) => (o as { ignored?: string[] }).ignored).filter(Boolean),
    [['mode', 'indexerConfig', 'kvEventsConfig', 'tokenProcessorConfig']],
    'one warning naming what is ignored',
  );
  // Approximate: it reads the default producer's match info, like a scorer with no parameters.
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const req = makeRequest({ promptText: PROMPT });
  publish(req, DEFAULT_KEY, 4, 64, { [eps[0]!.key]: 3 });
  assert.deepEqual(scores(scorer, req, eps), [0.75, 0]);
  // A type error in an ignored section is not hidden behind the ignore: the rest is still checked.
  assert.throws(() => createPrefixCacheScorer('s', { mode: 'cache_tracking', matchLengthWeight: 2 }, testHandle()), /matchLengthWeight/);
});
