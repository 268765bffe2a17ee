/**
 * prefix-cache-affinity-filter. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/filter/prefixcacheaffinity/plugin_test.go` (mirror commit ebab68792).
 * The TTFT gate reads in-flight tokens as an inflight-load-producer leaves them on the endpoint; predicted TTFT
 * has no producer here, and only its no-prediction behaviour is tested.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, dataKey, PREFIX_CACHE_MATCH_INFO_KEY, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import { createPrefixCacheAffinityFilter, DEFAULT_PREFIX_CACHE_AFFINITY_CONFIG, PrefixCacheAffinityFilter } from './prefix-cache-affinity.ts';

filterContract('prefix-cache-affinity-filter', (h) => createPrefixCacheAffinityFilter('prefix-cache-affinity-filter', undefined, h));

/** What approx-prefix-cache-producer leaves on the request: match blocks per endpoint out of `totalBlocks`. */
class FakePrefixMatch implements PrefixCacheMatchInfo {
  readonly request: LLMRequest;
  readonly totalBlocks: number;
  readonly blockSizeTokens = 16;
  readonly #match: Map<Endpoint, number>;
  constructor(request: LLMRequest, totalBlocks: number, match: Map<Endpoint, number>) {
    this.request = request;
    this.totalBlocks = totalBlocks;
    this.#match = match;
  }
  matchBlocks(ep: Endpoint): number {
    return this.#match.get(ep) ?? 0;
  }
  matchRatio(ep: Endpoint): number {
    return this.totalBlocks > 0 ? this.matchBlocks(ep) / this.totalBlocks : 0;
  }
}

/** Endpoints with match blocks out of 100 (as upstream's makeEndpoint), and a request carrying them. */
function setup(matches: number[]): { eps: Endpoint[]; req: ReturnType<typeof makeRequest> } {
  const eps = matches.map((_, i) => makeEndpoint(i));
  const req = makeRequest();
  req.data.set(dataKey(PREFIX_CACHE_MATCH_INFO_KEY, APPROX_PREFIX_CACHE_PRODUCER_TYPE), new FakePrefixMatch(req, 100, new Map(eps.map((ep, i) => [ep, matches[i]!]))));
  return { eps, req };
}

const cases: { name: string; params: unknown; matches: number[]; want: number[] }[] = [
  { name: 'affinityThreshold 0 disables the filter', params: { affinityThreshold: 0 }, matches: [0, 90], want: [0, 1] },
  { name: 'a single endpoint always passes', params: {}, matches: [90], want: [0] },
  { name: 'no sticky endpoint keeps all', params: {}, matches: [10, 20, 50], want: [0, 1, 2] },
  { name: 'narrows to the sticky endpoints', params: { maxTTFTPenaltyMs: 5000 }, matches: [90, 85, 10], want: [0, 1] },
  { name: 'sticky endpoints keep their order', params: {}, matches: [10, 80, 5, 100], want: [1, 3] },
  { name: 'the threshold is inclusive', params: { affinityThreshold: 0.85 }, matches: [84, 85], want: [1] },
  { name: 'explorationProbability 1 always skips the gate', params: { explorationProbability: 1 }, matches: [90, 10], want: [0, 1] },
  {
    name: 'TTFT gate without in-flight data never breaks stickiness (upstream: absent attribute = 0 tokens)',
    params: { maxTTFTPenaltyMs: 1 },
    matches: [90, 10],
    want: [0],
  },
  {
    name: 'TTFT gate from the latency predictor without predictions never breaks stickiness',
    params: { maxTTFTPenaltyMs: 1, ttftSource: 'latencyPredictor' },
    matches: [90, 10],
    want: [0],
  },
  { name: 'maxTTFTPenaltyMs 0 always sticks', params: { maxTTFTPenaltyMs: 0 }, matches: [90, 10], want: [0] },
];
for (const c of cases) {
  test(`prefix-cache-affinity-filter: ${c.name}`, () => {
    const { eps, req } = setup(c.matches);
    const work = [...eps];
    const kept = createPrefixCacheAffinityFilter('f', c.params, testHandle()).filter(req, work, work.length);
    assert.deepEqual(work.slice(0, kept).map((ep) => eps.indexOf(ep)), c.want);
  });
}

test('prefix-cache-affinity-filter: no prefix-match data keeps all (upstream: every score 0)', () => {
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  assert.equal(createPrefixCacheAffinityFilter('f', {}, testHandle()).filter(makeRequest(), eps, 2), 2);
});

test('prefix-cache-affinity-filter: exploration draws below the probability skip the gate', () => {
  const { eps, req } = setup([90, 10]);
  const f = createPrefixCacheAffinityFilter('f', { explorationProbability: 0.3 }, testHandle());
  f.random = () => 0.29;
  assert.equal(f.filter(req, [...eps], 2), 2);
  f.random = () => 0.3;
  assert.equal(f.filter(req, [...eps], 2), 1);
});

test('prefix-cache-affinity-filter: requires the named producers\' data, the TTFT input only when the gate is on (upstream Consumes)', () => {
  const f = createPrefixCacheAffinityFilter('f', undefined, testHandle());
  assert.deepEqual(f.consumes, { required: [dataKey(PREFIX_CACHE_MATCH_INFO_KEY, APPROX_PREFIX_CACHE_PRODUCER_TYPE), 'inflight-load/inflight-load-producer'] });
  const named = createPrefixCacheAffinityFilter('f', { prefixMatchInfoProducerName: 'mine', inFlightLoadProducerName: 'load' }, testHandle());
  assert.deepEqual(named.consumes, { required: [dataKey(PREFIX_CACHE_MATCH_INFO_KEY, 'mine'), 'inflight-load/load'] });
  const gateOff = createPrefixCacheAffinityFilter('f', { maxTTFTPenaltyMs: 0 }, testHandle());
  assert.deepEqual(gateOff.consumes, { required: [dataKey(PREFIX_CACHE_MATCH_INFO_KEY, APPROX_PREFIX_CACHE_PRODUCER_TYPE)] });
  const predictor = createPrefixCacheAffinityFilter('f', { ttftSource: 'latencyPredictor' }, testHandle());
  assert.deepEqual(predictor.consumes.required?.[1], 'latency-prediction-info/predicted-latency-producer');
});

const gateCases: { name: string; penalty: number; inflight: number[]; want: number[] }[] = [
  // peakPrefillThroughput 1000 tokens/s: TTFT ms = in-flight tokens.
  { name: 'the sticky endpoint 5 s behind, penalty 1 s: keep all', penalty: 1000, inflight: [5000, 0], want: [0, 1] },
  { name: 'the sticky endpoint 5 s behind, penalty 6 s: stick', penalty: 6000, inflight: [5000, 0], want: [0] },
  { name: 'the best sticky endpoint counts: one sticky endpoint is idle', penalty: 1000, inflight: [5000, 0, 0], want: [0, 1] },
];
for (const c of gateCases) {
  test(`prefix-cache-affinity-filter: TTFT gate from in-flight tokens: ${c.name}`, () => {
    const matches = c.inflight.length === 3 ? [90, 95, 10] : [90, 10];
    const { eps, req } = setup(matches);
    eps.forEach((ep, i) => ep.attributes.set('inflight-load/inflight-load-producer', { requests: 1, tokens: c.inflight[i]! }));
    const f = createPrefixCacheAffinityFilter('f', { maxTTFTPenaltyMs: c.penalty, peakPrefillThroughput: 1000 }, testHandle());
    const work = [...eps];
    const kept = f.filter(req, work, work.length);
    assert.deepEqual(work.slice(0, kept).map((e) => eps.indexOf(e)), c.want);
  });
}

test('prefix-cache-affinity-filter: defaults, and a partial config keeps the other defaults', () => {
  assert.deepEqual(createPrefixCacheAffinityFilter('f', undefined, testHandle()).config, {
    affinityThreshold: 0.8,
    explorationProbability: 0,
    maxTTFTPenaltyMs: 18000,
    ttftSource: 'prefillThroughput',
    peakPrefillThroughput: 15928,
  });
  const f = createPrefixCacheAffinityFilter('f', { affinityThreshold: 0.95 }, testHandle());
  assert.deepEqual(f.config, { ...DEFAULT_PREFIX_CACHE_AFFINITY_CONFIG, affinityThreshold: 0.95 });
  assert.ok(f instanceof PrefixCacheAffinityFilter);
});

const invalid: { params: unknown; message: RegExp }[] = [
  { params: { affinityThreshold: 1.5 }, message: /affinityThreshold must be <= 1\.0/ },
  { params: { explorationProbability: -0.1 }, message: /explorationProbability must be in \[0, 1\]/ },
  { params: { explorationProbability: 1.1 }, message: /explorationProbability must be in \[0, 1\]/ },
  { params: { maxTTFTPenaltyMs: -1 }, message: /maxTTFTPenaltyMs/ },
  { params: { peakPrefillThroughput: -1 }, message: /peakPrefillThroughput/ },
  { params: { ttftSource: 'prefillThroughput', peakPrefillThroughput: 0 }, message: /peakPrefillThroughput must be > 0 when ttftSource is prefillThroughput/ },
  { params: { peakPrefillThroughput: 0 }, message: /peakPrefillThroughput must be > 0/ },
  { params: { ttftSource: 'bogus' }, message: /ttftSource/ },
  { params: { ttftSource: '' }, message: /ttftSource must be/ },
  { params: { maxTokensInFlightPenalty: 1 }, message: /unknown parameter/ },
];
for (const c of invalid) {
  test(`prefix-cache-affinity-filter factory rejects ${JSON.stringify(c.params)}`, () => {
    assert.throws(() => createPrefixCacheAffinityFilter('f', c.params, testHandle()), (e: unknown) => e instanceof PluginConfigError && c.message.test(e.message));
  });
}

test('prefix-cache-affinity-filter factory: peakPrefillThroughput 0 is fine when unused', () => {
  assert.doesNotThrow(() => createPrefixCacheAffinityFilter('f', { maxTTFTPenaltyMs: 0, ttftSource: 'prefillThroughput', peakPrefillThroughput: 0 }, testHandle()));
  assert.doesNotThrow(() => createPrefixCacheAffinityFilter('f', { ttftSource: 'latencyPredictor', peakPrefillThroughput: 0 }, testHandle()));
  assert.doesNotThrow(() => createPrefixCacheAffinityFilter('f', { prefixMatchInfoProducerName: 'approx-prefix-cache-producer' }, testHandle()));
});
