/**
 * predicted-latency-producer with the in-process predictor: it must learn each endpoint's TTFT and TPOT from the
 * responses it observes (no sidecar), publish headroom to the request's SLO, and keep memory bounded.
 * Parameters as upstream pkg/epp/framework/plugins/requestcontrol/dataproducer/predictedlatency/plugin.go.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEndpoint, makeRequest, scheduledOn, testHandle, testRandom } from '../../../../../test/support/scheduling/testing.ts';
import { requestData, type LatencyPredictions } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { LLMResponse } from '../../../../framework/requestcontrol.ts';
import { OnlineLatencyPredictor } from './online-predictor.ts';
import { createPredictedLatencyProducer, PredictedLatencyProducer } from './predicted-latency.ts';

/** A fast endpoint (TTFT 40 + 8/queued, TPOT 10 + 2/running) and a slow one (TTFT 3x, TPOT 2x). */
const truth = (slow: boolean, ep: Endpoint, promptTokens: number) => ({
  ttft: (slow ? 3 : 1) * (40 + 8 * ep.waitingQueue + 0.05 * promptTokens),
  tpot: (slow ? 2 : 1) * (10 + 2 * ep.runningRequests),
});

function serve(p: PredictedLatencyProducer, ep: Endpoint, slow: boolean, prompt: string, streaming = true): void {
  const r = makeRequest({ promptText: prompt });
  p.produce(r, [ep]);
  p.preRequest(r, scheduledOn(ep));
  const t = truth(slow, ep, prompt.length / 4);
  const res = new LLMResponse();
  res.status = 200;
  res.streaming = streaming;
  res.ttftMs = t.ttft;
  res.completionTokens = 101;
  res.durationMs = t.ttft + 100 * t.tpot;
  p.responseReceived(r, res, ep);
  p.responseComplete(r, res, ep);
}

test('predicted-latency-producer: learns per-endpoint TTFT and TPOT online and publishes headroom', () => {
  const p = createPredictedLatencyProducer('predicted-latency-producer', undefined, testHandle());
  const fast = makeEndpoint(0);
  const slow = makeEndpoint(1);
  const rnd = testRandom(7);
  for (let i = 0; i < 200; i++) {
    for (const [ep, isSlow] of [[fast, false], [slow, true]] as const) {
      ep.waitingQueue = Math.floor(rnd() * 10);
      ep.runningRequests = Math.floor(rnd() * 20);
      serve(p, ep, isSlow, 'x'.repeat(Math.floor(rnd() * 8000)));
    }
  }
  fast.waitingQueue = slow.waitingQueue = 4;
  fast.runningRequests = slow.runningRequests = 10;
  const r = makeRequest({ promptText: 'y'.repeat(4000) });
  r.sloTtftMs = 200;
  r.sloTpotMs = 40;
  p.produce(r, [fast, slow]);
  const pred = requestData<LatencyPredictions>(r, p.key)!;
  const f = truth(false, fast, 1000);
  const s = truth(true, slow, 1000);
  assert.ok(Math.abs(pred.ttftMs(fast) - f.ttft) < 0.05 * f.ttft, `fast ttft ${pred.ttftMs(fast)} vs ${f.ttft}`);
  assert.ok(Math.abs(pred.ttftMs(slow) - s.ttft) < 0.05 * s.ttft, `slow ttft ${pred.ttftMs(slow)} vs ${s.ttft}`);
  assert.ok(Math.abs(pred.tpotMs(fast) - f.tpot) < 0.05 * f.tpot, `fast tpot ${pred.tpotMs(fast)} vs ${f.tpot}`);
  assert.ok(Math.abs(pred.tpotMs(slow) - s.tpot) < 0.05 * s.tpot, `slow tpot ${pred.tpotMs(slow)} vs ${s.tpot}`);
  assert.ok(pred.ttftHeadroomMs(fast) > 0 && pred.ttftHeadroomMs(slow) < 0);
  assert.ok(pred.tpotHeadroomMs(fast) > 0 && pred.tpotHeadroomMs(slow) < 0);
});

test('predicted-latency-producer: no prediction before an endpoint has samples; non-streamed responses do not train', () => {
  const p = createPredictedLatencyProducer('p', undefined, testHandle());
  const ep = makeEndpoint(0);
  for (let i = 0; i < 10; i++) serve(p, ep, false, 'abc', false);
  const r = makeRequest();
  p.produce(r, [ep]);
  assert.equal(requestData<LatencyPredictions>(r, p.key)!.has(ep), false);
  assert.ok(Number.isNaN(requestData<LatencyPredictions>(r, p.key)!.ttftMs(ep)));
});

test('predicted-latency-producer: dispatched counts requests in flight until they complete', () => {
  const p = createPredictedLatencyProducer('p', undefined, testHandle());
  const ep = makeEndpoint(0);
  const a = makeRequest();
  const b = makeRequest();
  p.produce(a, [ep]);
  p.preRequest(a, scheduledOn(ep));
  p.preRequest(b, scheduledOn(ep));
  const pred = requestData<LatencyPredictions>(a, p.key)!;
  assert.equal(pred.dispatched(ep), 2);
  p.responseComplete(a, new LLMResponse(), ep);
  p.responseComplete(a, new LLMResponse(), ep); // once only
  assert.equal(pred.dispatched(ep), 1);
});

test('predicted-latency-producer: sloBufferFactor scales the SLO in the headroom', () => {
  const p = createPredictedLatencyProducer('p', { sloBufferFactor: 0.5 }, testHandle());
  const ep = makeEndpoint(0);
  for (let i = 0; i < 20; i++) serve(p, ep, false, '');
  const r = makeRequest();
  r.sloTtftMs = 100;
  p.produce(r, [ep]);
  const pred = requestData<LatencyPredictions>(r, p.key)!;
  assert.ok(Math.abs(pred.ttftHeadroomMs(ep) - (50 - pred.ttftMs(ep))) < 1e-9);
});

test('online predictor: memory bounded to maxEndpoints (least recently trained dropped)', () => {
  const pr = new OnlineLatencyPredictor(3, 1);
  const f = { promptTokens: 1, uncachedTokens: 1, waitingQueue: 0, runningRequests: 0, kvCacheUsage: 0, inflightRequests: 0 };
  for (const k of ['a', 'b', 'c', 'd']) pr.trainTtft(k, f, 10);
  assert.equal(pr.size, 3);
  const out = new Float64Array(2);
  assert.equal(pr.predict('d', f, out), true);
  pr.trainTtft('d', f, 1000); // 'a' was dropped: it borrows the pool model, which has seen 'd' at 1000
  pr.predict('a', f, out);
  const own = new Float64Array(2);
  pr.predict('d', f, own);
  assert.notEqual(out[0], own[0]);
});

test('predicted-latency-producer: parameters', () => {
  assert.throws(() => createPredictedLatencyProducer('p', { sloBufferFactor: 0 }, testHandle()), /plugin "p": parameters\.sloBufferFactor: sloBufferFactor must be > 0/);
  assert.throws(() => createPredictedLatencyProducer('p', { predictionServerURL: 'x' }, testHandle()), /parameters\.predictionServerURL: unknown parameter/);
  assert.equal(createPredictedLatencyProducer('p', { contextTTL: '30s', streamingMode: true }, testHandle()).config.contextTtlMs, 30_000);
});

test('online predictor: predictions stay above 0, so an untrained TPOT never reads as meeting the SLO', () => {
  const pr = new OnlineLatencyPredictor(8, 1);
  const f = { promptTokens: 1, uncachedTokens: 1, waitingQueue: 0, runningRequests: 0, kvCacheUsage: 0, inflightRequests: 0 };
  pr.trainTtft('a', f, 0);
  const out = new Float64Array(2);
  assert.equal(pr.predict('a', f, out), true);
  assert.ok(out[0]! > 0 && out[1]! > 0, String([...out]));
});
