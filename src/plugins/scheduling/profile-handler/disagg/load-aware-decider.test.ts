import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, dataKey, PREFIX_CACHE_MATCH_INFO_KEY, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createLoadAwarePDDecider, LOAD_AWARE_PD_DEFAULTS, LoadAwarePDDecider } from './load-aware-decider.ts';

const KEY = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, APPROX_PREFIX_CACHE_PRODUCER_TYPE);

function requestWith(tokens: number, cached: number): LLMRequest {
  const r = makeRequest({ promptText: 'x'.repeat(tokens * 4) });
  const info: PrefixCacheMatchInfo = { request: r, totalBlocks: tokens, blockSizeTokens: 1, matchBlocks: () => cached, matchRatio: () => (tokens ? cached / tokens : 0) };
  r.data.set(KEY, info);
  return r;
}

function fleet(prefillWaiting: number[]): { decode: Endpoint; lookup: { endpoints: () => Endpoint[]; endpoint: () => undefined } } {
  const decode = makeEndpoint(0, { runningRequests: 3 });
  decode.role = 'decode';
  const all = [decode];
  prefillWaiting.forEach((w, i) => {
    const p = makeEndpoint(i + 1, { waitingQueue: w });
    p.role = 'prefill';
    all.push(p);
  });
  return { decode, lookup: { endpoints: () => all, endpoint: () => undefined } };
}

test('disaggregates a long uncached prompt for a busy decode pod while a prefill pod has room', () => {
  const { decode, lookup } = fleet([5, 1]);
  const d = new LoadAwarePDDecider('d', LOAD_AWARE_PD_DEFAULTS, lookup);
  assert.equal(d.disaggregate(requestWith(4000, 0), decode), true);
});

test('each condition alone keeps the prefill local', () => {
  const base = LOAD_AWARE_PD_DEFAULTS;
  // Mostly cached on the decode pod: under nonCachedTokens left to compute.
  let f = fleet([0]);
  assert.equal(new LoadAwarePDDecider('d', base, f.lookup).disaggregate(requestWith(4000, 3600), f.decode), false);
  // Short prompt.
  assert.equal(new LoadAwarePDDecider('d', base, f.lookup).disaggregate(requestWith(100, 0), f.decode), false);
  // Idle decode pod: a local prefill delays nobody else.
  f = fleet([0]);
  f.decode.runningRequests = 0;
  assert.equal(new LoadAwarePDDecider('d', base, f.lookup).disaggregate(requestWith(4000, 0), f.decode), false);
  // Every prefill pod queued past maxPrefillQueue.
  f = fleet([3, 7]);
  assert.equal(new LoadAwarePDDecider('d', base, f.lookup).disaggregate(requestWith(4000, 0), f.decode), false);
  // A prefill pod with room, but it does not answer its scrapes.
  f = fleet([0]);
  (f.lookup.endpoints()[1] as Endpoint).consecutiveScrapeFailures = 1;
  assert.equal(new LoadAwarePDDecider('d', base, f.lookup).disaggregate(requestWith(4000, 0), f.decode), false);
  // The transfer would take too long: 4,000 tokens x 128 KiB at 1 GB/s = 524 ms > 100 ms.
  f = fleet([0]);
  assert.equal(new LoadAwarePDDecider('d', { ...base, transferGBps: 1 }, f.lookup).disaggregate(requestWith(4000, 0), f.decode), false);
  // nonCachedTokens 0 disables it, as upstream's decider.
  assert.equal(new LoadAwarePDDecider('d', { ...base, nonCachedTokens: 0 }, f.lookup).disaggregate(requestWith(4000, 0), f.decode), false);
});

test('parameters: defaults, overrides, and a bad value names the field', () => {
  const d = createLoadAwarePDDecider('d', { nonCachedTokens: 1024, transferGBps: 50 }, testHandle());
  assert.equal(d.params.nonCachedTokens, 1024);
  assert.equal(d.params.transferGBps, 50);
  assert.equal(d.params.maxPrefillQueue, LOAD_AWARE_PD_DEFAULTS.maxPrefillQueue);
  assert.throws(() => createLoadAwarePDDecider('d', { maxPrefillQueue: -1 }, testHandle()), (e: unknown) => e instanceof Error && /maxPrefillQueue/.test(e.message));
  assert.throws(() => createLoadAwarePDDecider('d', { nonCachedToken: 5 }, testHandle()), (e: unknown) => e instanceof Error && /nonCachedToken/.test(e.message));
});
