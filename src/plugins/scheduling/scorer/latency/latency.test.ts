/**
 * latency-scorer: cases from upstream pkg/epp/framework/plugins/scheduling/scorer/latency/plugin.go and
 * plugin_test.go (llm-d-router HEAD of the local mirror): headroom buckets, least/most, idle preference,
 * deficit buckets, composite fallback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { dataKey, LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE, type LatencyPredictions } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { createLatencyScorer, createPredictedLatencyScorer, createSloScorer } from './latency.ts';

scorerContract('latency-scorer', (h) => createLatencyScorer('latency-scorer', undefined, h));

/** Predictions per endpoint index: [ttftMs, tpotMs, dispatched]; SLO 100 ms TTFT, 20 ms TPOT. */
function withPredictions(eps: Endpoint[], preds: ([number, number, number] | null)[], slo = [100, 20]): LLMRequest {
  const r = makeRequest();
  const at = (ep: Endpoint) => preds[eps.indexOf(ep)] ?? null;
  const p: LatencyPredictions = {
    request: r,
    has: (ep) => at(ep) !== null,
    ttftMs: (ep) => at(ep)?.[0] ?? NaN,
    tpotMs: (ep) => at(ep)?.[1] ?? NaN,
    ttftHeadroomMs: (ep) => slo[0]! - (at(ep)?.[0] ?? NaN),
    tpotHeadroomMs: (ep) => slo[1]! - (at(ep)?.[1] ?? NaN),
    dispatched: (ep) => at(ep)?.[2] ?? 0,
  };
  r.data.set(dataKey(LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE), p);
  return r;
}

function score(params: unknown, eps: Endpoint[], r: LLMRequest): number[] {
  const out = new Float64Array(eps.length);
  createLatencyScorer('s', params, testHandle()).score(r, eps, eps.length, out);
  return [...out];
}

const three = () => [0, 1, 2].map((i) => makeEndpoint(i, { runningRequests: 1, kvCacheUsage: 0.5 }));

test('latency-scorer: positive headroom, "least" favours the endpoint closest to the SLO (bin-packing)', () => {
  const eps = three();
  // TTFT headroom 90, 50, 10; TPOT equal -> TTFT alone decides.
  const s = score(undefined, eps, withPredictions(eps, [[10, 5, 1], [50, 5, 1], [90, 5, 1]]));
  assert.deepEqual(s, [0.01, 0.51, 1.01]); // upstream's (w+1)/100 reaches 1.01; the engine clamps to 1
});

test('latency-scorer: "most" favours the most headroom', () => {
  const eps = three();
  const s = score({ headroomSelectionStrategy: 'most' }, eps, withPredictions(eps, [[10, 5, 1], [50, 5, 1], [90, 5, 1]]));
  assert.ok(s[0]! > s[1]! && s[1]! > s[2]!, String(s));
});

test('latency-scorer: a mix scores only the positive tier; negatives get 0', () => {
  const eps = three();
  const s = score(undefined, eps, withPredictions(eps, [[10, 5, 1], [500, 5, 1], [90, 5, 1]]));
  assert.equal(s[1], 0);
  assert.ok(s[0]! > 0 && s[2]! > 0);
});

test('latency-scorer: all negative, idle endpoints (nothing dispatched) are the only ones scored', () => {
  const eps = three();
  const s = score(undefined, eps, withPredictions(eps, [[150, 30, 2], [900, 30, 0], [120, 30, 3]]));
  assert.deepEqual([s[0], s[2]], [0, 0]);
  assert.ok(s[1]! > 0);
});

test('latency-scorer: all negative and busy, the TPOT-only deficit bucket wins over TTFT deficits', () => {
  const eps = three();
  // 0: TTFT miss only; 1: TPOT miss only; 2: both miss.
  const s = score(undefined, eps, withPredictions(eps, [[150, 5, 1], [50, 40, 1], [300, 40, 1]]));
  assert.deepEqual([s[0], s[2]], [0, 0]);
  assert.ok(s[1]! > 0);
});

test('latency-scorer: deficits use "least" even when configured "most" (smallest deficit best)', () => {
  const eps = three();
  const s = score({ headroomSelectionStrategy: 'most' }, eps, withPredictions(eps, [[150, 5, 1], [400, 5, 1], [200, 5, 1]]));
  assert.ok(s[0]! > s[2]! && s[2]! > s[1]!, String(s));
});

test('latency-scorer: without predictions, composite of free KV, relative queue and prefix', () => {
  const eps = [makeEndpoint(0, { waitingQueue: 0, kvCacheUsage: 0.2 }), makeEndpoint(1, { waitingQueue: 10, kvCacheUsage: 0.8 })];
  const s = score({ compositePrefixWeight: 0 }, eps, makeRequest());
  assert.deepEqual(s, [0.9, 0.1]); // (0.8 + 1)/2, (0.2 + 0)/2
});

test('latency-scorer: parameters', () => {
  assert.throws(() => createLatencyScorer('s', { headroomSelectionStrategy: 'fastest' }, testHandle()), /plugin "s": parameters\.headroomSelectionStrategy: must be "least" or "most"/);
  assert.throws(() => createLatencyScorer('s', { ttftWeight: -1 }, testHandle()), /parameters\.ttftWeight/);
  assert.throws(() => createLatencyScorer('s', { samplingMean: 1000 }, testHandle()), /parameters\.samplingMean: unknown parameter/);
  const legacy = { samplingMean: 1000, maxSampledTokens: 20, headroomTTFTWeight: 0.3, headroomTPOTWeight: 0.7, selectionMode: 'linear' };
  assert.equal(createPredictedLatencyScorer('p', legacy, testHandle()).config.tpotWeight, 0.7);
  assert.equal(createSloScorer('slo', undefined, testHandle()).type, 'slo-scorer');
  assert.deepEqual(createLatencyScorer('s', undefined, testHandle()).consumes.required, ['latency-prediction-info/predicted-latency-producer']);
});
