/**
 * flowControl.enableEviction through real ext_proc streams and the director: a priority-0 request queued behind
 * a saturated pool evicts the newest sheddable request mid-response (immediate 429, x-llm-d-request-dropped-reason:
 * evicted, stream ended, in-flight count released once), and is routed when the pool shows the room.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { directorFixture } from '../../test/support/director-fixture.ts';
import { extProcService, type ProcessingRequest, type ProcessingResponse } from '../extproc/codec/proto.ts';
import { ExtProcStream, type ExtProcCall } from '../extproc/stream.ts';
import { framedResponse } from '../extproc/transport/grpc-call.ts';
import { FlowController } from '../flowcontrol/controller.ts';
import { Reclamation } from '../flowcontrol/reclamation.ts';
import { ManualTimers } from '../flowcontrol/timers.ts';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createRoundRobinFairnessPolicy } from '../plugins/flowcontrol/fairness/round-robin/round-robin.ts';

const decode = extProcService().Process!.responseDeserialize as (b: Buffer) => ProcessingResponse;

class RecordingCall implements ExtProcCall {
  readonly out: ProcessingResponse[] = [];
  streamedChunks = 0;
  ended = false;
  write(m: ProcessingResponse | Buffer): void {
    this.out.push(decode((Buffer.isBuffer(m) ? m : framedResponse(m)).subarray(5)));
  }
  writeStreamedBody(): void {
    this.streamedChunks++;
  }
  end(): void {
    this.ended = true;
  }
  fail(): void {}
}

const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const requestHeaders = (id: string, extra: Record<string, string> = {}) =>
  ({ request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions', 'content-type': 'application/json', 'x-request-id': id, ...extra }) } }) as ProcessingRequest;
// The objective (and so the priority) is resolved with the body.
const requestBody = { request: 'request_body', request_body: { body: Buffer.from('{"model":"m","prompt":"hi"}'), end_of_stream: true } } as ProcessingRequest;
const routed = (r: ProcessingResponse | undefined) => (r as { request_body?: unknown } | undefined)?.request_body !== undefined;
/** Headers then the buffered body. */
const send = (stream: ExtProcStream, id: string, extra: Record<string, string> = {}) => {
  stream.onMessage(requestHeaders(id, extra));
  stream.onMessage(requestBody);
};
const responseHeaders = { request: 'response_headers', response_headers: { headers: hb({ ':status': '200' }) } } as ProcessingRequest;
const responseChunk = (text: string, eos = false) => ({ request: 'response_body', response_body: { body: Buffer.from(text), end_of_stream: eos } }) as ProcessingRequest;

type Immediate = { status: { code: number | string }; headers: { set_headers: { header: { key: string; raw_value: Buffer } }[] } };
const immediate = (r: ProcessingResponse | undefined) => (r as { immediate_response?: Immediate } | undefined)?.immediate_response;
const header = (r: ProcessingResponse | undefined, key: string) => immediate(r)?.headers.set_headers.find((h) => h.header.key === key)?.header.raw_value.toString();

function setup(eviction: boolean) {
  const timers = new ManualTimers();
  let fc: FlowController | undefined;
  const f = directorFixture({
    objectives: [{ name: 'batch', priority: -1 }],
    flowControl: (canDispatch, pool) =>
      (fc = new FlowController({
        clock: timers,
        timers,
        canDispatch,
        saturation: pool && (() => pool.saturation()),
        bandSettings: () => ({ maxRequests: 100, maxBytes: 1e9, ttlMs: 0, fairness: createRoundRobinFairnessPolicy('rr'), ordering: createFcfsOrderingPolicy('fcfs') }),
        maxRequests: Infinity,
        maxBytes: Infinity,
        defaultTtlMs: 60_000,
        reclamation: eviction ? new Reclamation(timers) : undefined,
      })),
  });
  const open = () => {
    const call = new RecordingCall();
    const stream = new ExtProcStream(call, { director: f.director, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, requestBodyMode: 'BUFFERED', responseBodyMode: 'FULL_DUPLEX_STREAMED' });
    return { call, stream };
  };
  /** A sheddable request routed and streaming its response. */
  const streaming = (id: string) => {
    const s = open();
    send(s.stream, id, { 'x-llm-d-inference-objective': 'batch' });
    assert.ok(routed(s.call.out[1]), `${id} routed`);
    s.stream.onMessage(responseHeaders);
    s.stream.onMessage(responseChunk('data: {"choices":[]}\n\n'));
    return s;
  };
  const setQueue = (n: number) => {
    for (const ep of f.datastore.endpoints()) ep.waitingQueue = n;
    f.director.capacityChanged(); // what a scrape does
  };
  const inflight = () => f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0);
  return { f, fc: () => fc!, timers, open, streaming, setQueue, inflight };
}

test('enableEviction: the newest sheddable stream gets 429 evicted mid-response; the waiting request is routed', () => {
  const s = setup(true);
  const older = s.streaming('batch-1');
  const newer = s.streaming('batch-2');
  assert.equal(s.inflight(), 2);
  s.setQueue(5); // the utilization detector now calls the pool saturated

  const hi = s.open();
  send(hi.stream, 'hi');
  assert.equal(hi.call.out.length, 1, 'queued behind saturation (only the headers continue)');

  const answer = newer.call.out.at(-1);
  assert.equal(String(immediate(answer)?.status.code), 'TooManyRequests', 'the victim answered with an immediate 429');
  assert.equal(header(answer, 'x-llm-d-request-dropped-reason'), 'evicted');
  assert.ok(newer.call.ended, 'the victim stream ends, as upstream Process returns');
  assert.equal(immediate(older.call.out.at(-1)), undefined, 'the older sheddable stream is untouched');
  assert.equal(older.call.ended, false);
  assert.equal(s.inflight(), 1, 'the victim released its in-flight count');
  const evicted = s.f.completed.find((c) => c.req.requestId === 'batch-2');
  assert.equal(evicted?.res.cause, 'evicted');

  // Envoy may still deliver what was in flight on the victim's stream: ignored, nothing released twice.
  newer.stream.onMessage(responseChunk('late', true));
  newer.stream.onEnd();
  assert.equal(s.inflight(), 1);
  assert.equal(s.f.completed.filter((c) => c.req.requestId === 'batch-2').length, 1);

  s.setQueue(0); // the next scrape shows the freed capacity
  assert.ok(routed(hi.call.out[1]), 'the waiting request is routed');
  assert.equal(s.inflight(), 2);
});

test('enableEviction off: nothing is evicted, the request waits', () => {
  const s = setup(false);
  const a = s.streaming('batch-1');
  s.setQueue(5);
  const hi = s.open();
  send(hi.stream, 'hi');
  assert.equal(immediate(a.call.out.at(-1)), undefined);
  assert.equal(a.call.ended, false);
  assert.equal(s.fc().size, 1);
});

test('a completed sheddable response is never a victim', () => {
  const s = setup(true);
  const a = s.streaming('batch-1');
  a.stream.onMessage(responseChunk('data: [DONE]\n\n', true));
  s.setQueue(5);
  const hi = s.open();
  send(hi.stream, 'hi');
  assert.equal(immediate(a.call.out.at(-1)), undefined);
  assert.equal(s.fc().inFlight!.inFlight, 0);
  assert.equal(s.fc().size, 1);
});
