/**
 * Protocol fuzzer (issue 14): generated ext_proc message sequences through the stream's protocol state machine
 * and a real director, then raw gRPC frames through the real server over node:http2.
 *
 * Message level (EPP_FUZZ_SEQUENCES, default 10,000): valid exchanges in every body mode, the same mutated
 * (a message dropped, duplicated, swapped, inserted, end_of_stream flipped), truncated, shuffled out of order,
 * oversized bodies, and sequences of random messages, each ended by a half-close, a reset or both. Each must:
 * throw nothing, log nothing at error level, get a clear status (an answer of its kind, an immediate response
 * of 400/404/413/429/503, never 500, or INVALID_ARGUMENT naming the broken rule), complete the request at most
 * once, and leave no in-flight count behind. A normal request routes afterwards.
 *
 * Byte level: random bytes, truncated, oversized, compressed and bit-flipped gRPC frames on streams of the
 * real server: each stream ends with a grpc-status or a reset, none stays open, nothing is held, and a normal
 * request routes afterwards.
 *
 * Seeded: EPP_FUZZ_SEED (printed) reproduces a run; a failure names the seed and the sequence.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { directorFixture } from './support/director-fixture.ts';
import { testRandom } from './support/scheduling/testing.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD } from '../src/extproc/codec/streamed-body.ts';
import { extProcService, type BodySendMode, type ProcessingRequest, type ProcessingResponse } from '../src/extproc/codec/proto.ts';
import { ExtProcStream, type ExtProcCall } from '../src/extproc/stream.ts';
import { framedResponse } from '../src/extproc/transport/grpc-call.ts';
import { PROCESS_PATH, startExtProcServer } from '../src/extproc/server.ts';
import { EnvoyDriver, mutatedHeader } from './support/envoy-driver.ts';
import { bodyCorpus, FUZZ_SEED, pick, randomBytes } from './support/fuzz.ts';

const SEQUENCES = Number(process.env.EPP_FUZZ_SEQUENCES ?? 10_000);
const MAX_BODY = 16 * 1024;
const decode = extProcService().Process!.responseDeserialize as (b: Buffer) => ProcessingResponse;
/** Immediate response statuses as Envoy's StatusCode enum decodes them: 400, 404, 413, 429, 503 (never 500). */
const CLEAR_HTTP = new Set(['BadRequest', 'NotFound', 'PayloadTooLarge', 'TooManyRequests', 'ServiceUnavailable']);

/** What one sequence's stream did. */
class FuzzCall implements ExtProcCall {
  immediate: string[] = [];
  writes = 0;
  ended = 0;
  fails: string[] = [];
  write(m: ProcessingResponse | Buffer): void {
    this.writes++;
    const r = Buffer.isBuffer(m) ? decode(m.subarray(5)) : decode(framedResponse(m).subarray(5));
    if (r.immediate_response) this.immediate.push(String(r.immediate_response.status?.code));
  }
  writeStreamedBody(_f: typeof REQUEST_BODY_FIELD | typeof RESPONSE_BODY_FIELD, _c: Buffer, _e: boolean): void {
    this.writes++;
  }
  end(): void {
    this.ended++;
  }
  fail(code: number, message: string): void {
    this.fails.push(`${code}:${message}`);
  }
}

// ---- messages

const MODES: BodySendMode[] = ['FULL_DUPLEX_STREAMED', 'BUFFERED', 'NONE', 'STREAMED', 'BUFFERED_PARTIAL'];
const PATHS = ['/v1/completions', '/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/messages', '/inference/v1/generate', '/generate', '/v1/models', '/', ''];
const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });

function requestHeaders(rnd: () => number, eos: boolean): ProcessingRequest {
  const h: Record<string, string> = { ':method': 'POST', ':path': pick(rnd, PATHS), 'x-request-id': `r${Math.floor(rnd() * 1e9)}` };
  if (rnd() < 0.2) h['x-gateway-model-name-rewrite'] = pick(rnd, ['target', '', 'm'.repeat(300)]);
  if (rnd() < 0.1) h['x-llm-d-inference-objective'] = pick(rnd, ['o', '', '\u0000\u00ff']);
  if (rnd() < 0.1) h['x-llm-d-slo-ttft-ms'] = pick(rnd, ['-1', 'NaN', '1e309', '12']);
  if (rnd() < 0.1) h[randomBytes(rnd, 8).toString('latin1').toLowerCase()] = randomBytes(rnd, 20).toString('latin1');
  const m: ProcessingRequest = { request: 'request_headers', request_headers: { headers: hb(h), end_of_stream: eos } } as ProcessingRequest;
  if (rnd() < 0.8) m.protocol_config = { request_body_mode: pick(rnd, MODES), response_body_mode: pick(rnd, MODES) };
  if (rnd() < 0.1) m.metadata_context = { filter_metadata: { 'envoy.lb.subset_hint': { fields: { 'x-gateway-destination-endpoint-subset': { listValue: { values: [{ stringValue: pick(rnd, ['10.0.0.1:8000', 'nowhere', '']) }] } } } } } };
  return m;
}
const requestBody = (body: Buffer, eos: boolean) => ({ request: 'request_body', request_body: { body, end_of_stream: eos } }) as ProcessingRequest;
const requestTrailers = () => ({ request: 'request_trailers', request_trailers: { trailers: hb({ 'x-t': '1' }) } }) as ProcessingRequest;
function responseHeaders(rnd: () => number, eos: boolean): ProcessingRequest {
  const m = { request: 'response_headers', response_headers: { headers: hb({ ':status': pick(rnd, ['200', '500', '429', 'x', '']) }), end_of_stream: eos } } as ProcessingRequest;
  if (rnd() < 0.2) m.metadata_context = { filter_metadata: { 'envoy.lb': { fields: { 'x-gateway-destination-endpoint-served': { stringValue: pick(rnd, ['10.0.0.2:8000', 'gone:1', '']) } } } } };
  return m;
}
const RESPONSE_CHUNKS = ['{"model":"target","choices":[]}', 'data: {"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n', 'data: [DONE]\n\n', '\u0000garbage', ''];
const responseBody = (rnd: () => number, eos: boolean) => ({ request: 'response_body', response_body: { body: Buffer.from(pick(rnd, RESPONSE_CHUNKS)), end_of_stream: eos } }) as ProcessingRequest;
const responseTrailers = () => ({ request: 'response_trailers', response_trailers: { trailers: hb({ 'grpc-status': '0' }) } }) as ProcessingRequest;

function randomMessage(rnd: () => number, corpus: Buffer[]): ProcessingRequest {
  const eos = rnd() < 0.5;
  let m: ProcessingRequest;
  switch (Math.floor(rnd() * 7)) {
    case 0: m = requestHeaders(rnd, eos); break;
    case 1: m = requestBody(pick(rnd, corpus), eos); break;
    case 2: m = requestTrailers(); break;
    case 3: m = responseHeaders(rnd, eos); break;
    case 4: m = responseBody(rnd, eos); break;
    case 5: m = responseTrailers(); break;
    default: m = {} as ProcessingRequest; // an unknown kind from a newer Envoy
  }
  if (rnd() < 0.05) m.observability_mode = true;
  return m;
}

/** A whole exchange as Envoy sends it in the modes it announces. */
function validExchange(rnd: () => number, body: Buffer): ProcessingRequest[] {
  const headerOnly = rnd() < 0.1;
  const first = requestHeaders(rnd, headerOnly);
  const out: ProcessingRequest[] = [first];
  if (!headerOnly) {
    const trailers = rnd() < 0.15;
    const pieces = 1 + Math.floor(rnd() * 4);
    const size = Math.max(1, Math.ceil(body.length / pieces));
    for (let off = 0; off < body.length || off === 0; off += size) {
      const last = off + size >= body.length;
      out.push(requestBody(body.subarray(off, off + size), last && !trailers));
      if (body.length === 0) break;
    }
    if (trailers) out.push(requestTrailers());
  }
  const respChunks = Math.floor(rnd() * 3);
  const respTrailers = rnd() < 0.2;
  out.push(responseHeaders(rnd, respChunks === 0 && !respTrailers));
  for (let i = 0; i < respChunks; i++) out.push(responseBody(rnd, i === respChunks - 1 && !respTrailers));
  if (respTrailers) out.push(responseTrailers());
  return out;
}

const KINDS = ['valid', 'mutated', 'truncated', 'out-of-order', 'oversized', 'random'] as const;
type Kind = (typeof KINDS)[number];

function sequence(rnd: () => number, kind: Kind, corpus: Buffer[]): ProcessingRequest[] {
  switch (kind) {
    case 'valid':
      return validExchange(rnd, pick(rnd, corpus));
    case 'mutated': {
      const s = validExchange(rnd, pick(rnd, corpus));
      const i = Math.floor(rnd() * s.length);
      switch (Math.floor(rnd() * 5)) {
        case 0: s.splice(i, 1); break;
        case 1: s.splice(i, 0, s[i]!); break;
        case 2: if (i + 1 < s.length) [s[i], s[i + 1]] = [s[i + 1]!, s[i]!]; break;
        case 3: s.splice(i, 0, randomMessage(rnd, corpus)); break;
        default: {
          const m = s[i]! as Record<string, { end_of_stream?: boolean } | undefined>;
          const part = m[m.request as string];
          if (part && typeof part === 'object') part.end_of_stream = !part.end_of_stream;
        }
      }
      return s;
    }
    case 'truncated': {
      const s = validExchange(rnd, pick(rnd, corpus));
      return s.slice(0, Math.floor(rnd() * s.length));
    }
    case 'out-of-order': {
      const s = validExchange(rnd, pick(rnd, corpus));
      for (let i = s.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [s[i], s[j]] = [s[j]!, s[i]!];
      }
      return s;
    }
    case 'oversized':
      return validExchange(rnd, Buffer.alloc(MAX_BODY + 1 + Math.floor(rnd() * 3 * MAX_BODY), 0x61));
    case 'random':
      return Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => randomMessage(rnd, corpus));
  }
}

/** Counts error-level log lines (pino level 50 and up). */
function errorCounter(): { logger: pino.Logger; errors: string[] } {
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = chunk.toString();
      if ((JSON.parse(line) as { level: number }).level >= 50) errors.push(line);
      cb();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), errors };
}

test(`protocol fuzz: ${SEQUENCES} generated ext_proc sequences through the stream and a real director (seed ${FUZZ_SEED})`, (t) => {
  t.diagnostic(`EPP_FUZZ_SEED=${FUZZ_SEED}`);
  const rnd = testRandom(FUZZ_SEED);
  const f = directorFixture({ rewrites: [{ rules: [{ matches: [{ model: 'm' }], targets: [{ modelRewrite: 'target', weight: 1 }] }] as never }] });
  const inflight = () => f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0);
  const { logger, errors } = errorCounter();
  const corpus = bodyCorpus(rnd, MAX_BODY);
  const counts: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (let n = 0; n < SEQUENCES; n++) {
    const kind = KINDS[Math.floor(rnd() * KINDS.length)]!;
    const messages = sequence(rnd, kind, corpus);
    const where = `seed ${FUZZ_SEED}, sequence ${n} (${kind}: ${messages.map((m) => m.request ?? '?').join(',')})`;
    const call = new FuzzCall();
    let closed = 0;
    const completedBefore = f.completed.length;
    const stream = new ExtProcStream(call, { director: f.director, logger, maxBodyBytes: MAX_BODY, requestBodyMode: pick(rnd, MODES), responseBodyMode: pick(rnd, MODES), onClose: () => closed++ });
    try {
      for (const m of messages) stream.onMessage(m);
      const end = rnd();
      if (end < 0.4) stream.onEnd();
      else if (end < 0.7) stream.onClosed();
      else {
        stream.onEnd();
        stream.onClosed();
      }
    } catch (e) {
      assert.fail(`${where}: threw ${(e as Error).stack}`);
    }
    assert.equal(errors.length, 0, `${where}: logged at error level: ${errors[0]}`);
    for (const code of call.immediate) assert.ok(CLEAR_HTTP.has(code), `${where}: immediate response ${code}`);
    for (const fail of call.fails) assert.match(fail, /^3:ext_proc protocol violation: /, where);
    assert.ok(call.fails.length + call.ended <= 1, `${where}: one end of the call`);
    assert.equal(closed, 1, `${where}: closed once`);
    assert.ok(f.completed.length - completedBefore <= 1, `${where}: ResponseComplete at most once`);
    assert.equal(inflight(), 0, `${where}: in-flight released`);
    counts[kind] = (counts[kind] ?? 0) + 1;
    const outcome = call.fails.length ? 'INVALID_ARGUMENT' : call.immediate.length ? `immediate ${call.immediate[0]}` : call.writes ? 'answered' : 'no answer (reset or observe-only)';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  t.diagnostic(`sequences by kind: ${JSON.stringify(counts)}`);
  t.diagnostic(`outcomes: ${JSON.stringify(outcomes)}`);

  // The picker still routes a normal request.
  const call = new FuzzCall();
  const stream = new ExtProcStream(call, { director: f.director, logger, maxBodyBytes: MAX_BODY, requestBodyMode: 'FULL_DUPLEX_STREAMED', responseBodyMode: 'FULL_DUPLEX_STREAMED' });
  const routed: ProcessingResponse[] = [];
  call.write = (m) => void routed.push(Buffer.isBuffer(m) ? decode(m.subarray(5)) : m);
  stream.onMessage({ request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions' }), end_of_stream: false }, protocol_config: { request_body_mode: 'FULL_DUPLEX_STREAMED', response_body_mode: 'FULL_DUPLEX_STREAMED' } } as ProcessingRequest);
  stream.onMessage(requestBody(Buffer.from('{"model":"m","prompt":"hello"}'), true));
  const dest = routed[0]?.request_headers?.response?.header_mutation?.set_headers?.find((h) => h.header.key === 'x-gateway-destination-endpoint');
  assert.ok(dest, 'a normal request is routed after the fuzz');
  assert.equal(inflight(), 1);
  stream.onEnd();
  assert.equal(inflight(), 0);
});

// ---- byte level: the real server over node:http2

const BYTE_CASES = Number(process.env.EPP_FUZZ_BYTE_CASES ?? 600);
const encode = extProcService().Process!.requestSerialize as (m: ProcessingRequest) => Buffer;
const GRPC_HEADERS = { ':method': 'POST', ':path': PROCESS_PATH, 'content-type': 'application/grpc', te: 'trailers' };

function frame(payload: Buffer, flag = 0, length = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([head, payload]);
}

const BYTE_KINDS = ['valid', 'bit-flipped', 'truncated', 'oversized length', 'compressed', 'random bytes', 'split frames'] as const;

function byteCase(rnd: () => number, kind: (typeof BYTE_KINDS)[number], corpus: Buffer[]): Buffer[] {
  const messages = sequence(rnd, pick(rnd, KINDS), corpus).map((m) => encode(m));
  switch (kind) {
    case 'valid':
      return messages.map((m) => frame(m));
    case 'bit-flipped':
      return messages.map((m) => {
        const b = Buffer.from(m);
        for (let k = 1 + Math.floor(rnd() * 3); k > 0 && b.length > 0; k--) b[Math.floor(rnd() * b.length)]! ^= 1 << Math.floor(rnd() * 8);
        return frame(b);
      });
    case 'truncated': {
      const all = Buffer.concat(messages.map((m) => frame(m)));
      return [all.subarray(0, Math.floor(rnd() * all.length))];
    }
    case 'oversized length':
      return [frame(randomBytes(rnd, 16), 0, pick(rnd, [0xffffffff, 64 * 1024 * 1024 + 1, 0x7fffffff]))];
    case 'compressed':
      return [frame(messages[0] ?? Buffer.alloc(0), 1)];
    case 'random bytes':
      return [randomBytes(rnd, 1 + Math.floor(rnd() * 300))];
    case 'split frames': {
      const all = Buffer.concat(messages.map((m) => frame(m)));
      const out: Buffer[] = [];
      for (let off = 0; off < all.length; ) {
        const n = 1 + Math.floor(rnd() * 40);
        out.push(all.subarray(off, off + n));
        off += n;
      }
      return out;
    }
  }
}

/** Sends `chunks` on a new stream, then half-closes or resets; resolves with the grpc-status seen ('' after a reset). */
function sendRaw(client: http2.ClientHttp2Session, chunks: Buffer[], reset: boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = client.request(GRPC_HEADERS);
    let status = '';
    s.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    s.on('trailers', (tr) => {
      if (tr['grpc-status'] !== undefined) status = String(tr['grpc-status']);
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => resolve(status));
    for (const c of chunks) s.write(c);
    if (reset) s.close(http2.constants.NGHTTP2_CANCEL);
    else s.end();
  });
}

test(`protocol fuzz: ${BYTE_CASES} streams of raw gRPC frames against the real server (seed ${FUZZ_SEED})`, async (t) => {
  t.diagnostic(`EPP_FUZZ_SEED=${FUZZ_SEED}`);
  const rnd = testRandom(FUZZ_SEED + 1);
  const f = directorFixture();
  const inflight = () => f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0);
  const { logger, errors } = errorCounter();
  const server = await startExtProcServer('127.0.0.1', 0, null, { director: f.director, logger, maxBodyBytes: MAX_BODY, requestBodyMode: 'FULL_DUPLEX_STREAMED', responseBodyMode: 'FULL_DUPLEX_STREAMED' });
  const client = http2.connect(`http://127.0.0.1:${server.port}`);
  const envoy = new EnvoyDriver(`127.0.0.1:${server.port}`);
  t.after(async () => {
    client.close();
    envoy.close();
    await server.shutdown(1000);
  });
  const corpus = bodyCorpus(rnd, MAX_BODY);
  const statuses: Record<string, number> = {};
  const BATCH = 8;
  for (let n = 0; n < BYTE_CASES; n += BATCH) {
    const batch: Promise<string>[] = [];
    const names: string[] = [];
    for (let k = n; k < Math.min(n + BATCH, BYTE_CASES); k++) {
      const kind = pick(rnd, BYTE_KINDS);
      const reset = rnd() < 0.2;
      names.push(`seed ${FUZZ_SEED}, byte case ${k} (${kind}${reset ? ', reset' : ''})`);
      batch.push(sendRaw(client, byteCase(rnd, kind, corpus), reset));
    }
    const got = await Promise.all(batch);
    got.forEach((status, i) => {
      // OK, INVALID_ARGUMENT (order), RESOURCE_EXHAUSTED (size), UNIMPLEMENTED (compressed), INTERNAL (undecodable
      // message), or nothing after our own reset.
      assert.ok(['0', '3', '8', '12', '13', ''].includes(status), `${names[i]}: grpc-status ${status}`);
      statuses[status || 'reset by the client'] = (statuses[status || 'reset by the client'] ?? 0) + 1;
    });
  }
  await server.idle();
  assert.equal(server.activeStreams(), 0, 'no stream left open');
  assert.equal(inflight(), 0, 'in-flight released');
  assert.equal(errors.length, 0, `logged at error level: ${errors[0]}`);
  t.diagnostic(`grpc-status counts: ${JSON.stringify(statuses)}`);

  const { session, responses } = await envoy.request({ body: { model: 'm', prompt: 'hello' } });
  assert.ok(mutatedHeader(responses[0]!, 'x-gateway-destination-endpoint'), 'a normal request is routed after the fuzz');
  session.close();
});
