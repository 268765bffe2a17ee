/** The coalescer against the loopback fake sidecar: concurrent callers share one call; aborts; dispatch cap. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { fakeLatencySidecar } from '../../../../../test/support/fake-latency-sidecar.ts';
import { PredictionCoalescer } from './prediction-coalescer.ts';
import { LatencyPredictorSidecarClient, type SidecarPredictionRequest } from './sidecar-client.ts';

const row = (waiting: number): SidecarPredictionRequest => ({
  kv_cache_percentage: 0, input_token_length: 10, num_request_waiting: waiting, num_request_running: 0, num_tokens_generated: 1,
  prefix_cache_score: 0, encoder_input_size: 0, encoder_matched_size: 0, prefill_tokens_in_flight: 0, decode_tokens_in_flight: 0,
});
/** ttft = waiting queue, so each caller can check it got its own rows back. */
const echo = (_p: string, body: any): [number, unknown] => [200, { predictions: body.requests.map((r: SidecarPredictionRequest) => ({ ttft_ms: r.num_request_waiting, tpot_ms: 1 })) }];

test('coalescer: callers within the window share one /predict/bulk/strict call and get their own slices', { timeout: 10_000 }, async () => {
  const s = await fakeLatencySidecar(echo);
  try {
    const c = new PredictionCoalescer(new LatencyPredictorSidecarClient(s.url, s.url), { windowMs: 1, maxRows: 0, maxConcurrent: 36 });
    const never = new AbortController().signal;
    const [a, b] = await Promise.all([c.predict([row(1), row(2)], never), c.predict([row(3)], never)]);
    assert.deepEqual(a.map((p) => p.ttft_ms), [1, 2]);
    assert.deepEqual(b.map((p) => p.ttft_ms), [3]);
    assert.equal(s.seen.length, 1);
    assert.equal(s.seen[0]!.body.requests.length, 3);
  } finally {
    await s.close();
  }
});

test('coalescer: maxRows sends a batch before the window; one caller aborting leaves the other its answer', { timeout: 10_000 }, async () => {
  const s = await fakeLatencySidecar(echo);
  try {
    // A one-minute window: only the row cap can send these.
    const c = new PredictionCoalescer(new LatencyPredictorSidecarClient(s.url, s.url), { windowMs: 60_000, maxRows: 3, maxConcurrent: 36 });
    const gone = new AbortController();
    const a = c.predict([row(1), row(2)], gone.signal);
    gone.abort(new Error('client left'));
    const b = c.predict([row(3)], new AbortController().signal);
    await assert.rejects(a, /client left/);
    assert.deepEqual((await b).map((p) => p.ttft_ms), [3]);
  } finally {
    await s.close();
  }
});

test('coalescer: when every caller of a sent batch aborts, the HTTP call is aborted', { timeout: 10_000 }, async () => {
  const s = await fakeLatencySidecar(() => null);
  try {
    const c = new PredictionCoalescer(new LatencyPredictorSidecarClient(s.url, s.url), { windowMs: 1, maxRows: 0, maxConcurrent: 36 });
    const x = new AbortController();
    const y = new AbortController();
    const arrived = once(s.events, 'request');
    const aborted = once(s.events, 'aborted');
    const p = [c.predict([row(1)], x.signal), c.predict([row(2)], y.signal)].map((q) => q.catch((e: Error) => e.message));
    await arrived;
    x.abort(new Error('x left'));
    y.abort(new Error('y left'));
    await aborted;
    assert.deepEqual(await Promise.all(p), ['x left', 'y left']);
  } finally {
    await s.close();
  }
});

test('coalescer: at most maxConcurrent calls in flight; the next batch goes when one ends', { timeout: 10_000 }, async () => {
  const s = await fakeLatencySidecar(() => null);
  try {
    const c = new PredictionCoalescer(new LatencyPredictorSidecarClient(s.url, s.url), { windowMs: 1, maxRows: 1, maxConcurrent: 1 });
    const first = new AbortController();
    const arrived = once(s.events, 'request');
    const p1 = c.predict([row(1)], first.signal).catch(() => 'failed');
    const p2 = c.predict([row(2)], new AbortController().signal).catch(() => 'failed');
    await arrived;
    assert.equal(s.seen.length, 1, 'the second batch waits for a dispatch slot');
    const second = once(s.events, 'request');
    first.abort(); // the first call ends: the second batch is sent
    await second;
    assert.equal(s.seen.length, 2);
    assert.equal(s.seen[1]!.body.requests[0].num_request_waiting, 2);
    await s.close(); // the held second call fails with it
    assert.equal(await p1, 'failed');
    assert.equal(await p2, 'failed');
  } finally {
    await s.close();
  }
});
