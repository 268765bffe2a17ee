/** The sidecar client against a loopback fake predictor speaking upstream's JSON (latencypredictorclient/types.go). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeLatencySidecar as fakeSidecar } from '../../../../../test/support/fake-latency-sidecar.ts';
import { LatencyPredictorSidecarClient, type SidecarPredictionRequest } from './sidecar-client.ts';

const req = (waiting: number): SidecarPredictionRequest => ({
  kv_cache_percentage: 0.5, input_token_length: 100, num_request_waiting: waiting, num_request_running: 2,
  num_tokens_generated: 0, prefix_cache_score: 0, encoder_input_size: 0, encoder_matched_size: 0, prefill_tokens_in_flight: 0, decode_tokens_in_flight: 0,
});

test('sidecar client: bulk predictions in order, upstream paths and field names', { timeout: 10_000 }, async () => {
  const s = await fakeSidecar((path, body) =>
    path === '/predict/bulk/strict'
      ? [200, { predictions: body.requests.map((r: SidecarPredictionRequest) => ({ ttft_ms: 10 * (1 + r.num_request_waiting), tpot_ms: 5 })), total_requests: body.requests.length }]
      : [200, { message: 'ok' }],
  );
  try {
    const c = new LatencyPredictorSidecarClient(`${s.url}/`, s.url);
    assert.deepEqual(await c.predictBulk([req(0), req(3)]), [{ ttft_ms: 10, tpot_ms: 5 }, { ttft_ms: 40, tpot_ms: 5 }]);
    await c.addTrainingData([{ ...req(1), actual_ttft_ms: 12, actual_tpot_ms: 4, timestamp: '2026-01-01T00:00:00Z' }]);
    assert.deepEqual(s.seen.map((x) => x.path), ['/predict/bulk/strict', '/add_training_data_bulk']);
    assert.equal(s.seen[0]!.body.requests[1].num_request_waiting, 3);
    assert.equal(s.seen[1]!.body.entries[0].actual_ttft_ms, 12);
  } finally {
    await s.close();
  }
});

test('sidecar client: an error status or a short answer throws', { timeout: 10_000 }, async () => {
  let status = 503;
  const s = await fakeSidecar(() => [status, status === 200 ? { predictions: [] } : { detail: 'models not ready' }]);
  try {
    const c = new LatencyPredictorSidecarClient(s.url, s.url);
    await assert.rejects(c.predictBulk([req(0)]), /answered 503: .*models not ready/);
    status = 200;
    await assert.rejects(c.predictBulk([req(0)]), /expected 1 predictions, got 0/);
  } finally {
    await s.close();
  }
});

test('predicted-latency-producer forwards each training sample to the training server', { timeout: 10_000 }, async () => {
  const { PredictedLatencyProducer, readPredictedLatencyConfig } = await import('./predicted-latency.ts');
  const { OnlineLatencyPredictor } = await import('./online-predictor.ts');
  const { makeEndpoint, makeRequest, scheduledOn } = await import('../../../../../test/support/scheduling/testing.ts');
  const { LLMResponse } = await import('../../../../framework/requestcontrol.ts');
  let got!: (b: any) => void;
  const received = new Promise<any>((r) => (got = r));
  const s = await fakeSidecar((_path, body) => (got(body), [200, {}]));
  try {
    const p = new PredictedLatencyProducer('p', readPredictedLatencyConfig('p', undefined), new OnlineLatencyPredictor(), new LatencyPredictorSidecarClient(s.url, s.url));
    const ep = makeEndpoint(0, { waitingQueue: 2 });
    const r = makeRequest({ promptText: 'x'.repeat(400) });
    p.produce(r, [ep]);
    p.preRequest(r, scheduledOn(ep));
    const res = new LLMResponse();
    Object.assign(res, { status: 200, streaming: true, ttftMs: 30, durationMs: 230, completionTokens: 11 });
    p.responseComplete(r, res, ep);
    const body = await received;
    assert.equal(s.seen[0]!.path, '/add_training_data_bulk');
    assert.deepEqual([body.entries[0].actual_ttft_ms, body.entries[0].actual_tpot_ms, body.entries[0].num_request_waiting, body.entries[0].input_token_length], [30, 20, 2, 100]);
  } finally {
    await s.close();
  }
});
