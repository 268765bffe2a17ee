/** latency-slo-admitter: upstream pkg/epp/framework/plugins/requestcontrol/admitter/latencyslo/plugin.go (Admit). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { dataKey, LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE, type LatencyPredictions } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { createLatencySloAdmitter } from './latency-slo.ts';

const busy = () => [0, 1].map((i) => makeEndpoint(i, { runningRequests: 3, kvCacheUsage: 0.5 }));

function req(eps: Endpoint[], ttftHeadroom: number[] | null, priority = -1, sloTtft = 100): LLMRequest {
  const r = makeRequest();
  r.priority = priority;
  r.sloTtftMs = sloTtft;
  if (ttftHeadroom !== null) {
    const p: LatencyPredictions = {
      request: r,
      has: () => true,
      ttftMs: () => 0,
      tpotMs: () => 0,
      ttftHeadroomMs: (ep) => ttftHeadroom[eps.indexOf(ep)]!,
      tpotHeadroomMs: () => -1, // no TPOT SLO set: not checked
      dispatched: () => 1,
    };
    r.data.set(dataKey(LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE), p);
  }
  return r;
}

const a = createLatencySloAdmitter('latency-slo-admitter', undefined, testHandle());

test('latency-slo-admitter: rejects a sheddable request no busy, warm endpoint can serve within SLO', () => {
  const eps = busy();
  assert.equal(a.admit(req(eps, [-10, -20]), eps), 'no valid endpoint available to serve the request');
});

test('latency-slo-admitter: admits when one endpoint meets the SLO, one is idle or cold, or no SLO / predictions', () => {
  let eps = busy();
  assert.equal(a.admit(req(eps, [-10, 5]), eps), null);
  eps = busy();
  eps[1]!.runningRequests = 0;
  assert.equal(a.admit(req(eps, [-10, -20]), eps), null);
  eps = busy();
  eps[0]!.kvCacheUsage = 0.01;
  assert.equal(a.admit(req(eps, [-10, -20]), eps), null);
  eps = busy();
  assert.equal(a.admit(req(eps, [-10, -20], -1, 0), eps), null);
  assert.equal(a.admit(req(eps, null), eps), null);
});

test('latency-slo-admitter: never rejects priority >= 0', () => {
  const eps = busy();
  assert.equal(a.admit(req(eps, [-10, -20], 0), eps), null);
});

test('latency-slo-admitter: parameters', () => {
  assert.throws(() => createLatencySloAdmitter('x', { foo: 1 }, testHandle()), /plugin "x": parameters\.foo: unknown parameter/);
  assert.deepEqual(createLatencySloAdmitter('x', { latencyPredictionInfoProducerName: 'pl' }, testHandle()).consumes.required, ['latency-prediction-info/pl']);
});
