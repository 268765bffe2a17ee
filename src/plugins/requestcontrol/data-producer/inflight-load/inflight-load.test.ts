/**
 * inflight-load-producer. Cases follow upstream llm-d-router pkg/epp/framework/plugins/requestcontrol/
 * dataproducer/inflightload/producer_test.go and token_estimator_test.go at ebab68792 (Lifecycle,
 * MultiPodLifecycle, PrefixCacheDiscount, UncachedInputTokens_Overestimate, FlapDoesNotUnderflow,
 * Factory_OutputRatio / _MaxEstimatedOutputTokens); prompt tokens are estimated as characters / 4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import { makeEndpoint as makeEp } from '../../../../../test/support/scheduling/testing.ts';
import { LLMResponse } from '../../../../framework/requestcontrol.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { makeRequest, retainedHeapGrowth, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createInflightLoadProducer, type InflightLoadProducer } from './inflight-load.ts';

const prompt = (tokens: number): string => 'abcd'.repeat(tokens);
const make = (params?: unknown): InflightLoadProducer => createInflightLoadProducer('inflight-load-producer', params, testHandle());
const done = new LLMResponse();
const loadOf = (p: InflightLoadProducer, ep: Endpoint) => ({ ...p.loadOf(ep) });

function publishPrefix(req: LLMRequest, match: number, total: number, bs: number): void {
  const info: PrefixCacheMatchInfo = { request: req, totalBlocks: total, blockSizeTokens: bs, matchBlocks: () => match, matchRatio: () => match / total };
  req.data.set('prefix-cache-match-info/approx-prefix-cache-producer', info);
}

test('inflight-load-producer: keys (Consumes, PrefixMatchInfoProducerName)', () => {
  const p = make();
  assert.deepEqual(p.produces, ['inflight-load/inflight-load-producer', 'uncached-request-tokens/inflight-load-producer']);
  assert.deepEqual(p.consumes.optional, ['prefix-cache-match-info/approx-prefix-cache-producer']);
  assert.deepEqual(make({ prefixMatchInfoProducerName: 'precise' }).consumes.optional, ['prefix-cache-match-info/precise']);
});

test('inflight-load-producer: PreRequest adds to the pick, ResponseComplete takes back exactly that (Lifecycle)', () => {
  const p = make();
  const [a, b] = [makeEp(0), makeEp(1)];
  const r1 = makeRequest({ promptText: prompt(10) });
  const r2 = makeRequest({ promptText: prompt(30) });
  const r3 = makeRequest({ promptText: prompt(5) });
  for (const [r, ep] of [[r1, a], [r2, a], [r3, b]] as const) {
    p.produce(r, [a, b]);
    p.preRequest(r, scheduledOn(ep));
  }
  assert.deepEqual(loadOf(p, a), { requests: 2, tokens: 40 });
  assert.deepEqual(loadOf(p, b), { requests: 1, tokens: 5 });
  p.responseComplete(r1, done, a);
  p.responseComplete(r1, done, a); // a second completion changes nothing
  assert.deepEqual(loadOf(p, a), { requests: 1, tokens: 30 });
  p.responseComplete(r3, done, a); // served elsewhere after a retry: released where it was charged
  assert.deepEqual(loadOf(p, b), { requests: 0, tokens: 0 });
  p.responseComplete(r2, done, a);
  assert.deepEqual(loadOf(p, a), { requests: 0, tokens: 0 });
});

const discount: { name: string; input: number; match: number; total: number; bs: number; output?: boolean; want: number }[] = [
  // PrefixCacheDiscount: 8 tokens, 2 blocks of 4, 1 matched: (2-1)*4 + 0 tail, + 12 output.
  { name: 'uncached input plus output', input: 8, match: 1, total: 2, bs: 4, output: true, want: 16 },
  { name: 'fully cached: output only', input: 8, match: 2, total: 2, bs: 4, output: true, want: 12 },
  { name: 'nothing cached', input: 8, match: 0, total: 2, bs: 4, output: true, want: 20 },
  // UncachedInputTokens_Overestimate: the index's uncached 4 wins over the smaller estimate.
  { name: 'index uncached over a smaller estimate', input: 5, match: 1, total: 2, bs: 4, want: 4 },
  { name: 'tail past the hashed window is added back', input: 20, match: 2, total: 2, bs: 4, want: 12 },
];
for (const c of discount) {
  test(`inflight-load-producer: prefix-cache discount: ${c.name}`, () => {
    const p = make(c.output ? { addEstimatedOutputTokens: true } : undefined);
    const ep = makeEp(0);
    const req = makeRequest({ promptText: prompt(c.input) });
    publishPrefix(req, c.match, c.total, c.bs);
    p.produce(req, [ep]);
    p.preRequest(req, scheduledOn(ep));
    assert.equal(p.loadOf(ep).tokens, c.want);
    p.responseComplete(req, done, ep);
    assert.deepEqual(loadOf(p, ep), { requests: 0, tokens: 0 });
  });
}

test('inflight-load-producer: publishes the request\'s uncached tokens per candidate', () => {
  const p = make();
  const eps = [makeEp(0), makeEp(1)];
  const req = makeRequest({ promptText: prompt(8) });
  const info: PrefixCacheMatchInfo = { request: req, totalBlocks: 2, blockSizeTokens: 4, matchBlocks: (ep) => (ep === eps[0] ? 2 : 0), matchRatio: () => 0 };
  req.data.set('prefix-cache-match-info/approx-prefix-cache-producer', info);
  p.produce(req, eps);
  const u = req.data.get('uncached-request-tokens/inflight-load-producer') as { tokens(ep: unknown): number };
  assert.deepEqual(eps.map((ep) => u.tokens(ep)), [0, 8]);
});

const output: { params: unknown; input: number; want?: number; match?: RegExp }[] = [
  { params: { addEstimatedOutputTokens: true }, input: 10, want: 10 + 15 },
  { params: { addEstimatedOutputTokens: true, outputRatio: 0.5 }, input: 10, want: 10 + 5 },
  { params: { addEstimatedOutputTokens: true, outputRatio: 0 }, input: 10, want: 10 },
  { params: { addEstimatedOutputTokens: true, maxEstimatedOutputTokens: 4 }, input: 10, want: 14 },
  { params: { outputRatio: 3 }, input: 10, want: 10 }, // ratio without addEstimatedOutputTokens: input only
  { params: { outputRatio: -1 }, input: 0, match: /outputRatio/ },
  { params: { maxEstimatedOutputTokens: -1 }, input: 0, match: /maxEstimatedOutputTokens/ },
  { params: { syncCrossReplicaState: 'no' }, input: 0, match: /syncCrossReplicaState/ },
];
for (const c of output) {
  test(`inflight-load-producer: parameters ${JSON.stringify(c.params)}`, () => {
    if (c.match) return void assert.throws(() => make(c.params), c.match);
    const p = make(c.params);
    const ep = makeEp(0);
    const req = makeRequest({ promptText: prompt(c.input) });
    p.produce(req, [ep]);
    p.preRequest(req, scheduledOn(ep));
    assert.equal(p.loadOf(ep).tokens, c.want);
  });
}

test('inflight-load-producer: an endpoint that leaves and comes back starts at zero (FlapDoesNotUnderflow)', () => {
  const p = make();
  const before = makeEp(0);
  const req = makeRequest({ promptText: prompt(4) });
  p.preRequest(req, scheduledOn(before));
  const after = makeEp(0); // a new Endpoint object for the same address
  const r2 = makeRequest({ promptText: prompt(4) });
  p.preRequest(r2, scheduledOn(after));
  p.responseComplete(req, done, after); // the old request releases the old counters
  assert.deepEqual(loadOf(p, after), { requests: 1, tokens: 4 });
  assert.deepEqual(loadOf(p, before), { requests: 0, tokens: 0 });
});

test('inflight-load-producer: a request cycle retains no heap', (t) => {
  const p = make();
  const eps = [makeEp(0), makeEp(1)];
  const req = makeRequest({ promptText: prompt(100) });
  const result = scheduledOn(eps[1]!);
  const growth = retainedHeapGrowth(() => {
    p.produce(req, eps);
    p.preRequest(req, result);
    p.responseComplete(req, done, eps[1]!);
  }, 100_000);
  if (growth === undefined) return t.skip('cannot force GC');
  assert.deepEqual(loadOf(p, eps[1]!), { requests: 0, tokens: 0 });
  assert.ok(growth < 1_000_000, `retained ${growth} bytes`);
});
