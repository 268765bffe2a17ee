/**
 * The ext_proc stream's protocol, message by message, through a fake call and a real director: one table per
 * body mode (FULL_DUPLEX_STREAMED, BUFFERED, header-only), trailers, immediate responses, observability mode,
 * and cancellation or half-close at every phase (in-flight released once, nothing written after a close).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { directorFixture, type DirectorFixture, type DirectorFixtureOptions } from '../../test/support/director-fixture.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD } from './codec/streamed-body.ts';
import { extProcService, type BodySendMode, type ProcessingRequest, type ProcessingResponse } from './codec/proto.ts';
import { ExtProcStream, type ExtProcCall } from './stream.ts';
import { framedResponse } from './transport/grpc-call.ts';

const decode = extProcService().Process!.responseDeserialize as (b: Buffer) => ProcessingResponse;

/** Records what the stream writes, as short strings that say what Envoy would see. */
class FakeCall implements ExtProcCall {
  readonly out: string[] = [];
  ended = 0;
  /** Body bytes streamed back, by direction. */
  readonly streamed = { request: [] as Buffer[], response: [] as Buffer[] };

  /** Every message as Envoy decodes it. */
  readonly decoded: ProcessingResponse[] = [];

  write(m: ProcessingResponse | Buffer): void {
    const bytes = Buffer.isBuffer(m) ? m : framedResponse(m);
    const d = decode(bytes.subarray(5));
    this.decoded.push(d);
    this.out.push(summarize(d));
  }

  writeStreamedBody(field: typeof REQUEST_BODY_FIELD | typeof RESPONSE_BODY_FIELD, chunk: Buffer, endOfStream: boolean): void {
    const dir = field === REQUEST_BODY_FIELD ? 'request' : 'response';
    this.streamed[dir].push(Buffer.from(chunk));
    this.out.push(`${dir === 'request' ? 'req' : 'resp'}-body:stream(${chunk.length}${endOfStream ? ',eos' : ''})`);
  }

  end(): void {
    this.ended++;
  }

  fail(code: number, message: string): void {
    this.out.push(`fail:${code}(${message})`);
  }
}

function headerValue(r: { header_mutation?: { set_headers?: { header?: { key: string; raw_value?: Buffer } }[] } } | undefined, key: string): string | undefined {
  const h = r?.header_mutation?.set_headers?.find((x) => x.header?.key === key);
  return h?.header?.raw_value?.toString();
}

/** Dynamic metadata as `+md(ns.key=value,...)`, '' when none. */
function meta(r: any): string {
  const fields = r.dynamic_metadata?.fields;
  if (!fields) return '';
  const parts: string[] = [];
  for (const [ns, v] of Object.entries<any>(fields)) for (const [k, x] of Object.entries<any>(v.structValue.fields)) parts.push(`${ns}.${k}=${x.numberValue}`);
  return `+md(${parts.join(',')})`;
}

function summarize(r: ProcessingResponse): string {
  const any = r as Record<string, any>;
  if (any.immediate_response) {
    const ir = any.immediate_response;
    const reason = headerValue({ header_mutation: ir.headers }, 'x-llm-d-request-dropped-reason');
    return `immediate:${ir.status.code}(${JSON.parse(ir.body.toString()).error.code}${reason ? `,${reason}` : ''})`;
  }
  const dest = (c: any) => headerValue(c, 'x-gateway-destination-endpoint');
  if (any.request_headers) {
    const c = any.request_headers.response;
    return dest(c) ? 'req-headers:route' : 'req-headers:continue';
  }
  if (any.request_body) {
    const c = any.request_body.response;
    if (dest(c)) return c.body_mutation?.body ? 'req-body:route+body' : 'req-body:route';
    return 'req-body:continue';
  }
  if (any.request_trailers) return 'req-trailers';
  if (any.response_headers) {
    const set = any.response_headers.response?.header_mutation?.set_headers ?? [];
    if (set.length === 0) return `resp-headers:continue${meta(any)}`;
    return `resp-headers:set(${set.map((h: any) => `${h.header.key}=${h.header.raw_value.toString()}`).join(',')})${meta(any)}`;
  }
  if (any.response_body) {
    const mutation = any.response_body.response?.body_mutation;
    if (mutation?.streamed_response) return `resp-body:stream(${mutation.streamed_response.body.length}${mutation.streamed_response.end_of_stream ? ',eos' : ''})${meta(any)}`;
    const b = mutation?.body;
    return (b ? `resp-body:replace(${b.toString()})` : 'resp-body:continue') + meta(any);
  }
  if (any.response_trailers) return `resp-trailers${meta(any)}`;
  return `unknown:${JSON.stringify(r)}`;
}

// ---- inbound messages, as Envoy sends them

const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const config = (req: BodySendMode, resp: BodySendMode) => ({ protocol_config: { request_body_mode: req, response_body_mode: resp } });

function reqHeaders(o: { eos?: boolean; mode?: [BodySendMode, BodySendMode]; headers?: Record<string, string> } = {}): ProcessingRequest {
  return {
    request: 'request_headers',
    request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions', 'x-request-id': 'r1', ...o.headers }), end_of_stream: o.eos ?? false },
    ...(o.mode ? config(o.mode[0], o.mode[1]) : {}),
  } as ProcessingRequest;
}
const reqBody = (text: string, eos = true) => ({ request: 'request_body', request_body: { body: Buffer.from(text), end_of_stream: eos } }) as ProcessingRequest;
const reqTrailers = () => ({ request: 'request_trailers', request_trailers: { trailers: hb({ 'x-t': '1' }) } }) as ProcessingRequest;
const respHeaders = (status = '200', eos = false) => ({ request: 'response_headers', response_headers: { headers: hb({ ':status': status }), end_of_stream: eos } }) as ProcessingRequest;
const respBody = (text: string, eos = false) => ({ request: 'response_body', response_body: { body: Buffer.from(text), end_of_stream: eos } }) as ProcessingRequest;
const respTrailers = () => ({ request: 'response_trailers', response_trailers: { trailers: hb({ 'grpc-status': '0' }) } }) as ProcessingRequest;
const observed = (m: ProcessingRequest) => ({ ...m, observability_mode: true }) as ProcessingRequest;

const BODY = JSON.stringify({ model: 'm', prompt: 'hello' });
const FD: [BodySendMode, BodySendMode] = ['FULL_DUPLEX_STREAMED', 'FULL_DUPLEX_STREAMED'];
const BUF: [BodySendMode, BodySendMode] = ['BUFFERED', 'BUFFERED'];

interface Run {
  readonly call: FakeCall;
  readonly stream: ExtProcStream;
  readonly f: DirectorFixture;
  closed: number;
  /** In-flight requests over all endpoints. */
  inflight(): number;
}

function open(fo: DirectorFixtureOptions = {}, defaults: [BodySendMode, BodySendMode] = ['NONE', 'NONE'], maxBodyBytes = 1 << 20): Run {
  const f = directorFixture(fo);
  const call = new FakeCall();
  const run: Run = {
    call,
    f,
    closed: 0,
    stream: undefined as unknown as ExtProcStream,
    inflight: () => f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0),
  };
  (run as { stream: ExtProcStream }).stream = new ExtProcStream(call, {
    director: f.director,
    logger: pino({ level: 'silent' }),
    maxBodyBytes,
    requestBodyMode: defaults[0],
    responseBodyMode: defaults[1],
    onClose: () => run.closed++,
  });
  return run;
}

interface Case {
  name: string;
  fixture?: DirectorFixtureOptions;
  defaults?: [BodySendMode, BodySendMode];
  maxBodyBytes?: number;
  messages: ProcessingRequest[];
  want: string[];
  /** In-flight after the messages (before any close). */
  inflight: number;
  /** ResponseComplete calls after the messages. */
  completed?: number;
}

function runTable(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      test(c.name, () => {
        const r = open(c.fixture, c.defaults, c.maxBodyBytes);
        for (const m of c.messages) r.stream.onMessage(m);
        assert.deepEqual(r.call.out, c.want);
        assert.equal(r.inflight(), c.inflight, 'in-flight');
        if (c.completed !== undefined) assert.equal(r.f.completed.length, c.completed, 'ResponseComplete calls');
        r.stream.onEnd();
        assert.equal(r.inflight(), 0, 'in-flight after the stream ends');
        assert.equal(r.call.ended, 1);
        assert.equal(r.closed, 1);
        assert.ok(r.f.completed.length <= 1, 'ResponseComplete at most once');
      });
    }
  });
}

runTable('stream: FULL_DUPLEX_STREAMED', [
  {
    name: 'headers are held until the body ends, then routed and the body echoed',
    messages: [reqHeaders({ mode: FD }), reqBody(BODY)],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`],
    inflight: 1,
  },
  {
    name: 'a body in chunks: nothing until the last, every chunk echoed in order',
    messages: [reqHeaders({ mode: FD }), reqBody(BODY.slice(0, 5), false), reqBody(BODY.slice(5, 12), false), reqBody(BODY.slice(12))],
    want: ['req-headers:route', 'req-body:stream(5)', 'req-body:stream(7)', `req-body:stream(${BODY.length - 12},eos)`],
    inflight: 1,
  },
  {
    name: 'full exchange: response streamed back, completion at the last chunk',
    messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respBody('{"model":'), respBody('"m"}', true)],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`, 'resp-headers:continue', 'resp-body:stream(9)', 'resp-body:stream(4,eos)'],
    inflight: 0,
    completed: 1,
  },
  {
    name: 'request trailers end the body: route, echo without eos, answer the trailers',
    messages: [reqHeaders({ mode: FD }), reqBody(BODY, false), reqTrailers()],
    want: ['req-headers:route', `req-body:stream(${BODY.length})`, 'req-trailers'],
    inflight: 1,
  },
  {
    name: 'malformed JSON: immediate 400, nothing held',
    messages: [reqHeaders({ mode: FD }), reqBody('{"model":')],
    want: ['immediate:BadRequest(bad_request)'],
    inflight: 0,
    completed: 0,
  },
  {
    name: 'body over the limit: immediate 413 at the chunk that crosses it, later chunks ignored',
    maxBodyBytes: 10,
    messages: [reqHeaders({ mode: FD }), reqBody('{"model":"', false), reqBody('m","prompt":"x"}', false), reqBody('', true)],
    want: ['immediate:PayloadTooLarge(body_too_large)'],
    inflight: 0,
  },
  {
    name: 'a rewritten model: the new body streams back and responses carry the client\'s name',
    fixture: { rewrites: [{ rules: [{ matches: ['m'], targets: [{ modelRewrite: 'm-lora', weight: 1 }] }] }] },
    messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respBody('{"model":"m-lora"}', true)],
    want: ['req-headers:route', `req-body:stream(${BODY.length + 5},eos)`, 'resp-headers:continue', 'resp-body:stream(13,eos)'],
    inflight: 0,
  },
  {
    name: 'no endpoints: immediate 503 with the drop reason',
    fixture: { pods: 0 },
    messages: [reqHeaders({ mode: FD }), reqBody(BODY)],
    want: ['immediate:ServiceUnavailable(no_endpoint,rejected-no-endpoints)'],
    inflight: 0,
  },
  {
    name: 'response trailers complete the request',
    messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respBody('x'), respTrailers()],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`, 'resp-headers:continue', 'resp-body:stream(1)', 'resp-trailers'],
    inflight: 0,
    completed: 1,
  },
  {
    name: 'response headers with end_of_stream complete the request',
    messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders('204', true)],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`, 'resp-headers:continue'],
    inflight: 0,
    completed: 1,
  },
  {
    name: 'modes from the flags when Envoy sends no protocol_config (Envoy < 1.34)',
    defaults: FD,
    messages: [reqHeaders(), reqBody(BODY)],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`],
    inflight: 1,
  },
]);

runTable('stream: BUFFERED', [
  {
    name: 'headers answered at once; the decision rides on the body response',
    messages: [reqHeaders({ mode: BUF }), reqBody(BODY)],
    want: ['req-headers:continue', 'req-body:route'],
    inflight: 1,
  },
  {
    name: 'full exchange: buffered response continued, completion at its end',
    messages: [reqHeaders({ mode: BUF }), reqBody(BODY), respHeaders(), respBody('{"model":"m"}', true)],
    want: ['req-headers:continue', 'req-body:route', 'resp-headers:continue', 'resp-body:continue'],
    inflight: 0,
    completed: 1,
  },
  {
    name: 'a rewritten model: body mutation on the request, response body replaced with the client\'s name',
    fixture: { rewrites: [{ rules: [{ matches: ['m'], targets: [{ modelRewrite: 'm-lora', weight: 1 }] }] }] },
    messages: [reqHeaders({ mode: BUF }), reqBody(BODY), respHeaders(), respBody('{"model":"m-lora"}', true)],
    want: ['req-headers:continue', 'req-body:route+body', 'resp-headers:continue', 'resp-body:replace({"model":"m"})'],
    inflight: 0,
  },
  {
    name: 'malformed JSON: immediate 400 on the body',
    messages: [reqHeaders({ mode: BUF }), reqBody('not json')],
    want: ['req-headers:continue', 'immediate:BadRequest(bad_request)'],
    inflight: 0,
  },
  {
    name: 'BUFFERED_PARTIAL decides on the first body message',
    messages: [reqHeaders({ mode: ['BUFFERED_PARTIAL', 'NONE'] }), reqBody(BODY, false)],
    want: ['req-headers:continue', 'req-body:route'],
    inflight: 1,
  },
]);

runTable('stream: header-only and non-body modes', [
  {
    name: 'headers with end_of_stream route at once on headers alone',
    messages: [reqHeaders({ eos: true, mode: FD })],
    want: ['req-headers:route'],
    inflight: 1,
  },
  {
    name: 'request body mode NONE: routed on headers, body messages continued',
    messages: [reqHeaders({ mode: ['NONE', 'NONE'] }), reqBody(BODY)],
    want: ['req-headers:route', 'req-body:continue'],
    inflight: 1,
  },
  {
    name: 'STREAMED response body is continued chunk by chunk',
    messages: [reqHeaders({ eos: true, mode: ['NONE', 'STREAMED'] }), respHeaders(), respBody('a'), respBody('b', true)],
    want: ['req-headers:route', 'resp-headers:continue', 'resp-body:continue', 'resp-body:continue'],
    inflight: 0,
    completed: 1,
  },
  {
    name: 'no endpoints on a header-only request: immediate 503',
    fixture: { pods: 0 },
    messages: [reqHeaders({ eos: true, mode: FD })],
    want: ['immediate:ServiceUnavailable(no_endpoint,rejected-no-endpoints)'],
    inflight: 0,
  },
]);

runTable('stream: observability mode (no answers)', [
  {
    name: 'nothing is written and nothing is routed',
    messages: [observed(reqHeaders({ mode: FD })), observed(reqBody(BODY)), observed(respHeaders()), observed(respBody('x', true))],
    want: [],
    inflight: 0,
  },
]);

test('stream: a message of an unknown kind is ignored', () => {
  const r = open();
  r.stream.onMessage({ ...reqHeaders({ mode: FD }), request: undefined } as unknown as ProcessingRequest);
  assert.deepEqual(r.call.out, []);
});

test('stream: the echoed FULL_DUPLEX body is the client\'s bytes, and a rewritten one the new model', () => {
  const r = open({ rewrites: [{ rules: [{ matches: ['m'], targets: [{ modelRewrite: 'm-lora', weight: 1 }] }] }] });
  r.stream.onMessage(reqHeaders({ mode: FD }));
  r.stream.onMessage(reqBody(BODY));
  assert.equal(JSON.parse(Buffer.concat(r.call.streamed.request).toString()).model, 'm-lora');
  const plain = open();
  plain.stream.onMessage(reqHeaders({ mode: FD }));
  plain.stream.onMessage(reqBody(BODY));
  assert.equal(Buffer.concat(plain.call.streamed.request).toString(), BODY);
});

test('stream: --emit-endpoint-scores adds {ip:port: score} under envoy.lb x-gateway-destination-endpoint-scores', () => {
  for (const emit of [false, true]) {
    const r = open({ emitEndpointScores: emit });
    r.stream.onMessage(reqHeaders({ mode: FD }));
    r.stream.onMessage(reqBody(BODY));
    const lb = r.call.decoded.find((m) => m.dynamic_metadata)?.dynamic_metadata?.fields?.['envoy.lb']?.structValue?.fields;
    assert.ok(lb?.['x-gateway-destination-endpoint']?.stringValue);
    const scores = lb?.['x-gateway-destination-endpoint-scores']?.structValue?.fields;
    if (!emit) {
      assert.equal(scores, undefined);
      continue;
    }
    assert.deepEqual(Object.keys(scores ?? {}).sort(), ['10.0.0.1:8000', '10.0.0.2:8000', '10.0.0.3:8000']);
    for (const v of Object.values(scores ?? {})) assert.equal(typeof v.numberValue, 'number');
  }
});

// ---- cancellation and half-close at every phase

const FULL: ProcessingRequest[] = [reqHeaders({ mode: FD }), reqBody(BODY.slice(0, 8), false), reqBody(BODY.slice(8)), respHeaders(), respBody('{"a":'), respBody('1}', true)];

describe('stream: the stream ends at every phase', () => {
  for (let phase = 0; phase <= FULL.length; phase++) {
    for (const how of ['cancelled', 'half-closed'] as const) {
      test(`${how} after ${phase} message(s)`, () => {
        const r = open();
        for (const m of FULL.slice(0, phase)) r.stream.onMessage(m);
        const routed = phase >= 3;
        assert.equal(r.inflight(), routed && phase < FULL.length ? 1 : 0);
        const written = r.call.out.length;
        if (how === 'cancelled') r.stream.onClosed();
        else r.stream.onEnd();
        assert.equal(r.inflight(), 0, 'in-flight released');
        assert.equal(r.f.completed.length, routed ? 1 : 0, 'ResponseComplete once for a routed request');
        if (routed && phase < FULL.length) assert.equal(r.f.completed[0]!.res.cause, how === 'cancelled' ? 'client-disconnect' : 'natural');
        assert.equal(r.call.ended, how === 'half-closed' ? 1 : 0, 'the call is ended only on half-close');
        assert.equal(r.closed, 1, 'onClose once');
        // Nothing is written after the stream ends, whatever arrives late.
        for (const m of FULL.slice(phase)) r.stream.onMessage(m);
        r.stream.onClosed();
        r.stream.onEnd();
        assert.equal(r.call.out.length, written, 'no write after the end');
        assert.equal(r.inflight(), 0);
        assert.equal(r.closed, 1);
        assert.equal(r.call.ended, how === 'half-closed' ? 1 : 0);
      });
    }
  }
});

test('stream: an unexpected failure inside a step is a 500 for that request, and its in-flight count is released', () => {
  const r = open();
  const boom = new Error('boom');
  const director = r.f.director;
  const original = director.handleResponseHeaders.bind(director);
  director.handleResponseHeaders = () => {
    throw boom;
  };
  r.stream.onMessage(reqHeaders({ mode: FD }));
  r.stream.onMessage(reqBody(BODY));
  assert.equal(r.inflight(), 1);
  r.stream.onMessage(respHeaders());
  assert.equal(r.call.out.at(-1), 'immediate:InternalServerError(internal)');
  assert.equal(r.inflight(), 0);
  director.handleResponseHeaders = original;
});

// ---- messages out of Envoy's order: INVALID_ARGUMENT naming the rule, and what the stream held is released

const VIOLATION = 'fail:3(ext_proc protocol violation: ';
const orderCases: { name: string; messages: ProcessingRequest[]; want: string; routedFirst: boolean }[] = [
  { name: 'a second request_headers after routing', messages: [reqHeaders({ mode: FD }), reqBody(BODY), reqHeaders({ mode: FD })], want: 'request_headers received twice on one stream)', routedFirst: true },
  { name: 'a second request_headers while the body is gathered', messages: [reqHeaders({ mode: FD }), reqBody('{', false), reqHeaders({ mode: FD })], want: 'request_headers received twice on one stream)', routedFirst: false },
  { name: 'request_body first', messages: [reqBody(BODY)], want: 'request_body before request_headers)', routedFirst: false },
  { name: 'response_headers first', messages: [respHeaders()], want: 'response_headers before request_headers)', routedFirst: false },
  { name: 'response_body first', messages: [respBody('x')], want: 'response_body before request_headers)', routedFirst: false },
  { name: 'response_trailers first', messages: [respTrailers()], want: 'response_trailers before request_headers)', routedFirst: false },
  { name: 'request_body after request_trailers', messages: [reqHeaders({ mode: FD }), reqBody(BODY, false), reqTrailers(), reqBody('x')], want: 'request_body after request_trailers)', routedFirst: true },
  { name: 'request_trailers twice', messages: [reqHeaders({ mode: FD }), reqBody(BODY, false), reqTrailers(), reqTrailers()], want: 'request_trailers received twice on one stream)', routedFirst: true },
  { name: 'response_headers twice', messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respHeaders()], want: 'response_headers received twice on one stream)', routedFirst: true },
  { name: 'response_body after response_trailers', messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respTrailers(), respBody('x')], want: 'response_body after response_trailers)', routedFirst: true },
  // Found by test/protocol-fuzz.test.ts: a late response_headers naming another served endpoint moved a
  // completed request's in-flight count there, for good.
  { name: 'response_headers after response_body', messages: [reqHeaders({ mode: FD }), reqBody(BODY), respBody('x', true), respHeaders()], want: 'response_headers after response_body)', routedFirst: true },
];

describe('stream: messages out of order', () => {
  for (const c of orderCases) {
    test(c.name, () => {
      const r = open();
      for (const m of c.messages) r.stream.onMessage(m);
      assert.equal(r.call.out.at(-1), VIOLATION + c.want);
      assert.equal(r.inflight(), 0, 'in-flight released');
      assert.equal(r.f.completed.length, c.routedFirst ? 1 : 0, 'a routed request completes once');
      assert.equal(r.closed, 1, 'the stream is over');
      const written = r.call.out.length;
      r.stream.onMessage(respBody('late', true));
      r.stream.onEnd();
      assert.equal(r.call.out.length, written, 'nothing after the error');
      assert.equal(r.call.ended, 0, 'failed, not ended with OK');
    });
  }
});

test('stream: a STREAMED request body still flowing after the response started is in order', () => {
  const r = open();
  r.stream.onMessage(reqHeaders({ mode: ['STREAMED', 'STREAMED'] }));
  r.stream.onMessage(reqBody('part', false));
  r.stream.onMessage(respHeaders());
  r.stream.onMessage(reqBody('rest', true));
  r.stream.onMessage(respBody('x', true));
  assert.ok(!r.call.out.some((o) => o.startsWith('fail:')), r.call.out.join(' '));
  assert.equal(r.inflight(), 0);
});

test('stream: a body gathered after the response already ended the request is not routed (nothing left in flight)', () => {
  // Found by test/protocol-fuzz.test.ts: routing after completion counted an in-flight request nobody released.
  const r = open();
  r.stream.onMessage(reqHeaders({ mode: FD }));
  r.stream.onMessage(respHeaders('200', true));
  r.stream.onMessage(reqBody(BODY));
  assert.equal(r.inflight(), 0);
  r.stream.onEnd();
  assert.equal(r.inflight(), 0);
  assert.equal(r.f.completed.length, 0, 'never routed, so no ResponseComplete');
});

test('stream: response_body without response_headers (headers phase skipped) is in order', () => {
  const r = open();
  r.stream.onMessage(reqHeaders({ mode: FD }));
  r.stream.onMessage(reqBody(BODY));
  r.stream.onMessage(respBody('x', true));
  assert.equal(r.call.out.at(-1), 'resp-body:stream(1,eos)');
  assert.equal(r.inflight(), 0);
});

// ---- what ResponseReceived / ResponseComplete hooks hand back to the proxy

const HOOKS = [
  {
    type: 'test-token',
    name: 'token',
    responseReceived: (_q: unknown, res: { setHeader(n: string, v: string): void }) => res.setHeader('x-session-token', 'abc'),
  },
  {
    type: 'test-report',
    name: 'report',
    responseComplete: (_q: unknown, res: { completionTokens: number; setDynamicMetadata(ns: string, k: string, v: number): void }) =>
      res.setDynamicMetadata('envoy.lb', 'output_tokens', res.completionTokens),
  },
] as never[];

const USAGE = '{"usage":{"prompt_tokens":3,"completion_tokens":7}}';

runTable('stream: headers and metadata from hooks', [
  {
    name: 'FULL_DUPLEX: the header rides on the response headers answer, the metadata on the last body chunk',
    fixture: { hooks: HOOKS },
    messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respBody('{"a":1}'), respBody(USAGE, true)],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`, 'resp-headers:set(x-session-token=abc)', 'resp-body:stream(7)', `resp-body:stream(${USAGE.length},eos)+md(envoy.lb.output_tokens=7)`],
    inflight: 0,
    completed: 1,
  },
  {
    name: 'BUFFERED: the metadata rides on the continued last body response',
    fixture: { hooks: HOOKS },
    messages: [reqHeaders({ mode: BUF }), reqBody(BODY), respHeaders(), respBody(USAGE, true)],
    want: ['req-headers:continue', 'req-body:route', 'resp-headers:set(x-session-token=abc)', 'resp-body:continue+md(envoy.lb.output_tokens=7)'],
    inflight: 0,
  },
  {
    name: 'response trailers carry the metadata when they end the request',
    fixture: { hooks: HOOKS },
    messages: [reqHeaders({ mode: FD }), reqBody(BODY), respHeaders(), respBody(USAGE), respTrailers()],
    want: ['req-headers:route', `req-body:stream(${BODY.length},eos)`, 'resp-headers:set(x-session-token=abc)', `resp-body:stream(${USAGE.length})`, 'resp-trailers+md(envoy.lb.output_tokens=7)'],
    inflight: 0,
  },
]);
