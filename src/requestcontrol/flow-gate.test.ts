/**
 * Flow control through a real ext_proc stream and director: a request waits while the pool is saturated and is
 * routed when a scrape frees capacity; a client that disconnects leaves the queue at once; TTL expiry and a
 * full band answer with upstream's status, x-llm-d-request-dropped-reason and a Retry-After hint.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { directorFixture } from '../../test/support/director-fixture.ts';
import { extProcService, type ProcessingRequest, type ProcessingResponse } from '../extproc/codec/proto.ts';
import { ExtProcStream, type ExtProcCall } from '../extproc/stream.ts';
import { framedResponse } from '../extproc/transport/grpc-call.ts';
import { FlowController } from '../flowcontrol/controller.ts';
import { ManualTimers } from '../flowcontrol/timers.ts';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createRoundRobinFairnessPolicy } from '../plugins/flowcontrol/fairness/round-robin/round-robin.ts';

const decode = extProcService().Process!.responseDeserialize as (b: Buffer) => ProcessingResponse;

class RecordingCall implements ExtProcCall {
  readonly out: ProcessingResponse[] = [];
  write(m: ProcessingResponse | Buffer): void {
    this.out.push(decode((Buffer.isBuffer(m) ? m : framedResponse(m)).subarray(5)));
  }
  writeStreamedBody(): void {}
  end(): void {}
  fail(): void {}
}

const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const headersOnly = (id: string, extra: Record<string, string> = {}) =>
  ({ request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions', 'x-request-id': id, ...extra }), end_of_stream: true } }) as ProcessingRequest;

function setup(band: { maxRequests?: number } = {}) {
  const timers = new ManualTimers();
  let fc: FlowController | undefined;
  // queue 5 on every endpoint: the default utilization detector calls the pool saturated.
  const f = directorFixture({
    queue: 5,
    flowControl: (canDispatch) =>
      (fc = new FlowController({
        clock: timers,
        timers,
        canDispatch,
        bandSettings: () => ({ maxRequests: band.maxRequests ?? 100, maxBytes: 1e9, ttlMs: 0, fairness: createRoundRobinFairnessPolicy('rr'), ordering: createFcfsOrderingPolicy('fcfs') }),
        maxRequests: Infinity,
        maxBytes: Infinity,
        defaultTtlMs: 60_000,
      })),
  });
  const open = () => {
    const call = new RecordingCall();
    const stream = new ExtProcStream(call, { director: f.director, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, requestBodyMode: 'NONE', responseBodyMode: 'NONE' });
    return { call, stream };
  };
  const unsaturate = () => {
    for (const ep of f.datastore.endpoints()) ep.waitingQueue = 0;
    f.director.capacityChanged(); // what a scrape does
  };
  return { f, fc: fc!, timers, open, unsaturate, inflight: () => f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0) };
}

const immediate = (r: ProcessingResponse) => (r as { immediate_response?: { status: { code: number | string }; headers: { set_headers: { header: { key: string; raw_value: Buffer } }[] } } }).immediate_response;
const header = (r: ProcessingResponse, key: string) => immediate(r)?.headers.set_headers.find((h) => h.header.key === key)?.header.raw_value.toString();

test('saturated: the request waits, then is routed when a scrape shows room', () => {
  const s = setup();
  const { call, stream } = s.open();
  stream.onMessage(headersOnly('a'));
  assert.equal(call.out.length, 0, 'no answer while queued');
  assert.equal(s.fc.size, 1);
  s.unsaturate();
  assert.equal(s.fc.size, 0);
  assert.equal(call.out.length, 1);
  assert.ok((call.out[0] as { request_headers?: unknown }).request_headers, 'routed headers response');
  assert.equal(s.inflight(), 1);
});

test('not saturated and nothing queued: routed synchronously, no queueing', () => {
  const s = setup();
  s.unsaturate();
  const { call, stream } = s.open();
  stream.onMessage(headersOnly('a'));
  assert.equal(call.out.length, 1);
  assert.equal(s.fc.size, 0);
});

test('a client that disconnects while queued leaves the queue at once; nothing is written', () => {
  const s = setup();
  const a = s.open();
  const b = s.open();
  a.stream.onMessage(headersOnly('a'));
  b.stream.onMessage(headersOnly('b'));
  assert.equal(s.fc.size, 2);
  a.stream.onClosed(); // Envoy cancelled the stream
  assert.equal(s.fc.size, 1);
  s.unsaturate();
  assert.equal(a.call.out.length, 0);
  assert.equal(b.call.out.length, 1, 'the other request is routed');
  assert.equal(s.inflight(), 1);
});

test('TTL expiry: 429 rejected-ttl-expired with Retry-After; the request TTL header wins when shorter', () => {
  const s = setup();
  const { call, stream } = s.open();
  stream.onMessage(headersOnly('a', { 'x-llm-d-inference-ttl': '2s' }));
  s.timers.advance(1999);
  assert.equal(call.out.length, 0);
  s.timers.advance(1);
  assert.equal(call.out.length, 1);
  assert.equal(String(immediate(call.out[0]!)?.status.code), 'TooManyRequests');
  assert.equal(header(call.out[0]!, 'x-llm-d-request-dropped-reason'), 'rejected-ttl-expired');
  assert.match(header(call.out[0]!, 'retry-after') ?? '', /^\d+$/);
  assert.equal(s.fc.size, 0);
});

test('a full band: 429 rejected-saturated at once, with Retry-After', () => {
  const s = setup({ maxRequests: 1 });
  s.open().stream.onMessage(headersOnly('a'));
  const { call, stream } = s.open();
  stream.onMessage(headersOnly('b'));
  assert.equal(call.out.length, 1);
  assert.equal(String(immediate(call.out[0]!)?.status.code), 'TooManyRequests');
  assert.equal(header(call.out[0]!, 'x-llm-d-request-dropped-reason'), 'rejected-saturated');
  assert.ok(header(call.out[0]!, 'retry-after'));
});

test('a full band while the pool has no endpoints: 503 rejected-no-endpoints (a scale-from-zero waiting room, as upstream)', () => {
  const s = setup({ maxRequests: 1 });
  for (let i = 0; i < 3; i++) s.f.datastore.deletePod('default', `p${i}`);
  assert.equal(s.f.datastore.endpoints().length, 0);
  s.open().stream.onMessage(headersOnly('a'));
  const { call, stream } = s.open();
  stream.onMessage(headersOnly('b'));
  assert.equal(call.out.length, 1);
  assert.equal(String(immediate(call.out[0]!)?.status.code), 'ServiceUnavailable');
  assert.equal(header(call.out[0]!, 'x-llm-d-request-dropped-reason'), 'rejected-no-endpoints');
});

test('a completion dispatches: the queue drains when a routed request ends, with no scrape', () => {
  const s = setup();
  const saturate = (q: number) => {
    for (const ep of s.f.datastore.endpoints()) ep.waitingQueue = q;
  };
  saturate(0);
  const a = s.open();
  a.stream.onMessage(headersOnly('a'));
  assert.equal(a.call.out.length, 1, 'routed at once');
  saturate(5);
  const b = s.open();
  b.stream.onMessage(headersOnly('b'));
  assert.equal(s.fc.size, 1);
  saturate(0); // the servers drained, but no scrape has told the picker
  a.stream.onEnd(); // a's response completed
  assert.equal(s.fc.size, 0);
  assert.equal(b.call.out.length, 1);
});

test('BUFFERED body: the queued decision rides on the body response; trailers are answered after it', () => {
  const s = setup();
  const { call, stream } = s.open();
  stream.onMessage({
    request: 'request_headers',
    request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions', 'x-request-id': 'a' }), end_of_stream: false },
    protocol_config: { request_body_mode: 'BUFFERED', response_body_mode: 'NONE' },
  } as ProcessingRequest);
  stream.onMessage({ request: 'request_body', request_body: { body: Buffer.from(JSON.stringify({ model: 'm', prompt: 'hi' })), end_of_stream: true } } as ProcessingRequest);
  stream.onMessage({ request: 'request_trailers', request_trailers: { trailers: hb({ 'x-t': '1' }) } } as ProcessingRequest);
  assert.equal(call.out.length, 1, 'only the headers continue so far');
  s.unsaturate();
  const kinds = call.out.map((r) => Object.keys(r).find((k) => r[k as keyof ProcessingResponse] !== undefined && k !== 'dynamic_metadata'));
  assert.deepEqual(kinds, ['request_headers', 'request_body', 'request_trailers']);
});

test('a protocol violation while queued: the request leaves the queue and nothing but the failure is written', () => {
  const s = setup();
  const { call, stream } = s.open();
  stream.onMessage(headersOnly('a'));
  assert.equal(s.fc.size, 1);
  stream.onMessage(headersOnly('again')); // request_headers twice
  assert.equal(s.fc.size, 0);
  s.unsaturate();
  assert.equal(call.out.length, 0);
  assert.equal(s.inflight(), 0);
});
