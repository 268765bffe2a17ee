/** slo-headroom-tier-filter: behaviour of upstream pkg/epp/framework/plugins/scheduling/filter/sloheadroomtier (plugin.go, plugin_test.go). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { dataKey, LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE, type LatencyPredictions } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { createSloHeadroomTierFilter, SloHeadroomTierFilter } from './slo-headroom-tier.ts';

filterContract('slo-headroom-tier-filter', (h) => createSloHeadroomTierFilter('slo-headroom-tier-filter', undefined, h));

/** headroom per endpoint index: [ttft, tpot], or null = no prediction. */
function request(eps: Endpoint[], headroom: ([number, number] | null)[]): LLMRequest {
  const r = makeRequest();
  const at = (ep: Endpoint) => headroom[eps.indexOf(ep)] ?? null;
  const p: LatencyPredictions = {
    request: r,
    has: (ep) => at(ep) !== null,
    ttftMs: () => 0,
    tpotMs: () => 0,
    ttftHeadroomMs: (ep) => at(ep)?.[0] ?? NaN,
    tpotHeadroomMs: (ep) => at(ep)?.[1] ?? NaN,
    dispatched: () => 0,
  };
  r.data.set(dataKey(LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE), p);
  return r;
}

function kept(f: SloHeadroomTierFilter, headroom: ([number, number] | null)[]): string[] {
  const eps = headroom.map((_, i) => makeEndpoint(i));
  const n = f.filter(request(eps, headroom), eps, eps.length);
  return eps.slice(0, n).map((e) => e.podName);
}

test('slo-headroom-tier-filter: keeps the positive tier (both headrooms >= 0)', () => {
  const f = new SloHeadroomTierFilter('f', 0.01, '', () => 0.5);
  assert.deepEqual(kept(f, [[10, 1], [-5, 1], [0, 0], [3, -1], null]), ['pod-0', 'pod-2']);
});

test('slo-headroom-tier-filter: epsilon exploration keeps the negative tier, with unpredicted endpoints', () => {
  const f = new SloHeadroomTierFilter('f', 0.01, '', () => 0.001);
  assert.deepEqual(kept(f, [[10, 1], [-5, 1], [0, 0], null]), ['pod-1', 'pod-3']);
});

test('slo-headroom-tier-filter: one tier only is kept whole; no predictions keeps all', () => {
  const f = new SloHeadroomTierFilter('f', 1, '', () => 0);
  assert.deepEqual(kept(f, [[-1, 1], [-5, 1]]), ['pod-0', 'pod-1']);
  assert.deepEqual(kept(f, [[1, 1], [5, 1]]), ['pod-0', 'pod-1']);
  assert.deepEqual(kept(f, [null, null]), ['pod-0', 'pod-1']);
});

test('slo-headroom-tier-filter: parameters', () => {
  assert.equal(createSloHeadroomTierFilter('f', undefined, testHandle()).epsilonExploreNeg, 0.01);
  assert.throws(() => createSloHeadroomTierFilter('f', { epsilonExploreNeg: 1.5 }, testHandle()), /plugin "f": parameters\.epsilonExploreNeg: epsilonExploreNeg must be in \[0, 1\], got 1.5/);
  assert.throws(() => createSloHeadroomTierFilter('f', { epsilon: 0.1 }, testHandle()), /parameters\.epsilon: unknown parameter/);
});
