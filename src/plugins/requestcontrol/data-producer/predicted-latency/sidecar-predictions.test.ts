/**
 * predicted-latency-producer with upstream's latency-predictor sidecar (a loopback fake): the director awaits the
 * sidecar's bulk prediction within the producer's budget and latency-scorer ranks by it; sidecar down or slower
 * than the budget -> the in-process figures, with one warning; a stream cancelled mid-wait leaks nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import pino from 'pino';
import { Writable } from 'node:stream';
import { directorFixture, type DirectorFixtureOptions } from '../../../../../test/support/director-fixture.ts';
import { deadUrl, fakeLatencySidecar } from '../../../../../test/support/fake-latency-sidecar.ts';
import { ExtProcStream, type ExtProcCall } from '../../../../extproc/stream.ts';
import { FlowController } from '../../../../flowcontrol/controller.ts';
import { ManualTimers } from '../../../../flowcontrol/timers.ts';
import { createFcfsOrderingPolicy } from '../../../flowcontrol/ordering/fcfs/fcfs.ts';
import { createRoundRobinFairnessPolicy } from '../../../flowcontrol/fairness/round-robin/round-robin.ts';
import type { ProcessingRequest } from '../../../../extproc/codec/proto.ts';
import type { RequestDecision } from '../../../../requestcontrol/decision.ts';
import type { PendingDecision } from '../../../../requestcontrol/later-decision.ts';
import { RequestContext } from '../../../../requestcontrol/request-context.ts';
import type { PredictedLatencyProducer } from './predicted-latency.ts';

const config = (budget: string) => `
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: predicted-latency-producer
  parameters: { produceTimeout: ${budget} }
- type: latency-scorer
  parameters: { headroomSelectionStrategy: most }
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: latency-scorer
  - pluginRef: max-score-picker
`;

/** The sidecar's figures: 10.0.0.3 fastest. */
const SIDECAR_TTFT: Record<number, number> = { 0: 800, 1: 700, 2: 10 };

function setup(predictionUrl: string, budget: string, more: DirectorFixtureOptions = {}) {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
  process.env['PREDICTION_SERVER_URL'] = predictionUrl;
  let f;
  try {
    f = directorFixture({ configText: config(budget), logger, ...more });
  } finally {
    delete process.env['PREDICTION_SERVER_URL'];
  }
  const producer = f.requestControl.dataProducers[0] as PredictedLatencyProducer;
  // The in-process predictor learned the opposite: 10.0.0.1 fastest.
  const zero = { promptTokens: 0, uncachedTokens: 0, waitingQueue: 0, runningRequests: 0, kvCacheUsage: 0, inflightRequests: 0 };
  for (const [i, ep] of f.datastore.endpoints().entries()) {
    for (let n = 0; n < 5; n++) {
      producer.predictor.trainTtft(ep.key, zero, i === 0 ? 10 : 900);
      producer.predictor.trainTpot(ep.key, zero, 5);
    }
  }
  const admit = () => {
    const ctx = new RequestContext();
    for (const [k, v] of Object.entries({ ':path': '/v1/completions', 'x-llm-d-slo-ttft-ms': '1000', 'x-llm-d-slo-tpot-ms': '100' })) ctx.request.headers.set(k, v);
    f.director.handleRequestHeaders(ctx);
    return f.director.admit(ctx, null);
  };
  const warnings = () => lines.filter((l) => l.level === 40).map((l) => l.msg);
  return { f, producer, admit, warnings };
}

function decided(d: RequestDecision | PendingDecision): Promise<RequestDecision> {
  return d.ok === 'queued' ? new Promise((r) => d.onDecided(r)) : Promise.resolve(d);
}

const answering = (_path: string, body: any): [number, unknown] => [
  200,
  { predictions: body.requests.map((_r: unknown, i: number) => ({ ttft_ms: SIDECAR_TTFT[i % 3], tpot_ms: 5 })), total_requests: body.requests.length },
];

test('sidecar up: the decision waits for its predictions and latency-scorer follows them, not the in-process ones', { timeout: 20_000 }, async () => {
  const s = await fakeLatencySidecar(answering);
  try {
    const { f, producer, admit } = setup(s.url, '5s');
    assert.equal(producer.prepareBudgetMs, 5000);
    const d = admit();
    assert.equal(d.ok, 'queued'); // awaited: the decision comes with the sidecar's answer
    const routed = await decided(d);
    assert.equal(routed.ok && routed.destination, '10.0.0.3:8000');
    // Upstream's wire format: one strict bulk call, a row per candidate, 1 token generated.
    assert.equal(s.seen.length, 1);
    assert.equal(s.seen[0]!.path, '/predict/bulk/strict');
    assert.equal(s.seen[0]!.body.requests.length, 3);
    assert.deepEqual(Object.keys(s.seen[0]!.body.requests[0]).sort(), [
      'decode_tokens_in_flight', 'encoder_input_size', 'encoder_matched_size', 'input_token_length', 'kv_cache_percentage', 'num_request_running',
      'num_request_waiting', 'num_tokens_generated', 'prefill_tokens_in_flight', 'prefix_cache_score',
    ]);
    assert.equal(s.seen[0]!.body.requests[0].num_tokens_generated, 1);
    assert.equal(f.datastore.endpoints().find((e) => e.key === '10.0.0.3:8000')!.inflightRequests, 1);
    // Two requests at once share one call (upstream's 1 ms coalescing window), each routed by its own rows.
    const both = await Promise.all([decided(admit()), decided(admit())]);
    assert.deepEqual(both.map((d) => d.ok && d.destination), ['10.0.0.3:8000', '10.0.0.3:8000']);
    assert.equal(s.seen.length, 2);
    assert.equal(s.seen[1]!.body.requests.length, 6);
  } finally {
    await s.close();
  }
});

test('sidecar down: the in-process figures decide at once (well inside the budget), with one warning', { timeout: 20_000 }, async () => {
  const { admit, warnings } = setup(await deadUrl(), '10s');
  const t0 = performance.now();
  const first = await decided(admit());
  assert.ok(performance.now() - t0 < 5000, 'a refused connection does not wait for the 10 s budget');
  assert.equal(first.ok && first.destination, '10.0.0.1:8000');
  const second = await decided(admit());
  assert.equal(second.ok && second.destination, '10.0.0.1:8000');
  assert.deepEqual(warnings(), ['latency predictor sidecar failed: using in-process predictions until it answers']);
});

test('sidecar slower than the budget: the in-process figures decide when the budget ends; the call is aborted', { timeout: 20_000 }, async () => {
  const s = await fakeLatencySidecar(() => null);
  try {
    const { admit, warnings } = setup(s.url, '150ms');
    const aborted = once(s.events, 'aborted');
    const t0 = performance.now();
    const routed = await decided(admit());
    const waited = performance.now() - t0;
    assert.equal(routed.ok && routed.destination, '10.0.0.1:8000');
    assert.ok(waited >= 140, `waited ${waited} ms`);
    await aborted; // the held HTTP request was given up, not left open
    assert.deepEqual(warnings(), ['data producer "predicted-latency-producer" did not prepare within 150 ms: requests use its fallback until it does']);
  } finally {
    await s.close();
  }
});

test('a stream cancelled while its predictions are awaited: no decision, no in-flight count, the call is aborted', { timeout: 20_000 }, async () => {
  const s = await fakeLatencySidecar(() => null);
  try {
    const { f } = setup(s.url, '30s');
    const written: unknown[] = [];
    const call: ExtProcCall = { write: (m) => void written.push(m), writeStreamedBody: () => {}, end: () => {}, fail: () => {} };
    const stream = new ExtProcStream(call, { director: f.director, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, requestBodyMode: 'NONE', responseBodyMode: 'NONE' });
    const arrived = once(s.events, 'request');
    const aborted = once(s.events, 'aborted');
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    const headers = [[':method', 'POST'], [':path', '/v1/completions'], ['x-request-id', 'c1']].map(([key, v]) => ({ key, raw_value: Buffer.from(v!) }));
    stream.onMessage({ request: 'request_headers', request_headers: { headers: { headers }, end_of_stream: true } } as ProcessingRequest);
    await arrived;
    assert.equal(timers(), timersBefore + 1, 'the 30 s budget timer runs while the sidecar is awaited');
    stream.onClosed();
    await aborted;
    // A turn for anything the abort could still have scheduled.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(written, []);
    assert.equal(f.datastore.endpoints().reduce((n, e) => n + e.inflightRequests, 0), 0);
    assert.equal(f.completed.length, 0);
    assert.equal(timers(), timersBefore, 'the budget timer is cleared');
  } finally {
    await s.close();
  }
});

test('flow control first: a queued request, once dispatched, waits for the sidecar; cancelled then, the call is aborted', { timeout: 20_000 }, async () => {
  let calls = 0;
  const s = await fakeLatencySidecar((path, body) => (++calls === 1 ? answering(path, body) : null));
  try {
    const timers = new ManualTimers();
    const flowControl: DirectorFixtureOptions['flowControl'] = (canDispatch) =>
      new FlowController({
        clock: timers, timers, canDispatch, maxRequests: Infinity, maxBytes: Infinity, defaultTtlMs: 60_000,
        bandSettings: () => ({ maxRequests: 100, maxBytes: 1e9, ttlMs: 0, fairness: createRoundRobinFairnessPolicy('rr'), ordering: createFcfsOrderingPolicy('fcfs') }),
      });
    // Queue 5 everywhere: the pool is saturated, so requests queue.
    const { f, admit } = setup(s.url, '30s', { flowControl, queue: 5 });
    const unsaturate = () => {
      for (const ep of f.datastore.endpoints()) ep.waitingQueue = 0;
      f.director.capacityChanged();
    };
    const first = admit();
    assert.equal(first.ok, 'queued');
    assert.equal(f.director.flowController!.size, 1);
    const asked = once(s.events, 'request');
    unsaturate(); // dispatched: now it waits for the sidecar
    assert.equal(f.director.flowController!.size, 0);
    await asked;
    const routed = await decided(first);
    assert.equal(routed.ok && routed.destination, '10.0.0.3:8000');

    for (const ep of f.datastore.endpoints()) ep.waitingQueue = 5;
    const second = admit() as PendingDecision;
    let decidedLate = false;
    second.onDecided(() => (decidedLate = true));
    const held = once(s.events, 'request');
    const aborted = once(s.events, 'aborted');
    unsaturate();
    await held;
    second.cancel(); // the client left after dispatch, while the sidecar is awaited
    await aborted;
    await new Promise((r) => setImmediate(r));
    assert.equal(decidedLate, false);
    assert.equal(f.datastore.endpoints().reduce((n, e) => n + e.inflightRequests, 0), 1, 'only the first request is in flight');
  } finally {
    await s.close();
  }
});
