/**
 * The messages the load driver sends, encoded once with the proto-loader serializer (the same protos as the
 * servers) and framed for gRPC. Per request the driver only copies the request-headers frame and writes a
 * fresh x-request-id into it, as Envoy generates one per request.
 *
 * A request is an OpenAI chat completion (system + user message) padded to the body size under test; a few
 * variants share the system prompt, so the prefix index sees both hits and misses. The response is a ~300 B
 * chat completion with usage.
 */
import { extProcClientConstructor, type BodySendMode, type ProcessingRequest } from '../../../src/extproc/codec/proto.ts';
import { frame } from './grpc-frames.ts';

export const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const REQUEST_ID_TEMPLATE = '5f0c1a2b-7d3e-4f60-8a9b-000000000000';
const VARIANTS = 16;

export interface Workload {
  mode: BodySendMode;
  bodyBytes: number;
  /** Framed request_headers message with protocol_config; copy before patching the id. */
  requestHeaders: Buffer;
  /** Offset of the 12 hex digits of the x-request-id inside requestHeaders. */
  requestIdAt: number;
  /** Per variant: framed request_body messages (FULL_DUPLEX: two chunks for large bodies; BUFFERED: one). */
  bodies: Buffer[][];
  /** Framed response_headers message (end_of_stream false). */
  responseHeaders: Buffer;
  /** Framed response_body message with end_of_stream. */
  responseBody: Buffer;
}

function serializer(): (m: ProcessingRequest) => Buffer {
  const def = extProcClientConstructor().service.Process!;
  return def.requestSerialize as (m: ProcessingRequest) => Buffer;
}

function headerMap(h: [string, string][]) {
  return { headers: h.map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
}

/** Deterministic filler text: words from a small vocabulary, seeded. */
function words(chars: number, seed: number): string {
  const vocab = ['the', 'model', 'server', 'routes', 'each', 'request', 'to', 'a', 'pod', 'with', 'cache', 'prefix', 'queue', 'token', 'latency', 'gateway', 'endpoint', 'picker', 'load', 'score'];
  let s = seed >>> 0 || 1;
  const out: string[] = [];
  let n = 0;
  while (n <= chars) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const w = vocab[(s >>> 0) % vocab.length]!;
    out.push(w);
    n += w.length + 1;
  }
  return out.join(' ').slice(0, chars);
}

/** A chat-completions body of exactly `bytes` bytes (bytes >= ~180). */
export function chatBody(bytes: number, variant: number): Buffer {
  const shell = (system: string, user: string) =>
    JSON.stringify({ model: MODEL, messages: [{ role: 'system', content: system }, { role: 'user', content: user }], max_tokens: 128, temperature: 0.7 });
  const fixed = Buffer.byteLength(shell('', ''));
  const room = Math.max(8, bytes - fixed);
  const system = words(Math.floor(room / 2), 7);
  const user = `${variant}: ${words(room - system.length - `${variant}: `.length, 1000 + variant)}`;
  const out = Buffer.from(shell(system, user));
  if (out.length !== bytes && bytes >= fixed + 8) throw new Error(`chat body is ${out.length} B, wanted ${bytes}`);
  return out;
}

const RESPONSE_JSON = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'Requests go to the least loaded pod that holds the prefix.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 50, completion_tokens: 12, total_tokens: 62 },
});

export function buildWorkload(mode: BodySendMode, bodyBytes: number): Workload {
  const encode = serializer();
  const bodies: Buffer[][] = [];
  for (let v = 0; v < VARIANTS; v++) {
    const body = chatBody(bodyBytes, v);
    // Envoy forwards a body as the downstream reads deliver it: 16 KB pieces here for large bodies.
    const pieces = mode === 'FULL_DUPLEX_STREAMED' && body.length > 16_384 ? [body.subarray(0, 16_384), body.subarray(16_384)] : [body];
    bodies.push(pieces.map((p, i) => frame(encode({ request_body: { body: p, end_of_stream: i === pieces.length - 1 } }))));
  }
  const requestHeaders = frame(
    encode({
      request_headers: {
        headers: headerMap([
          [':authority', 'gateway.example.com'],
          [':path', '/v1/chat/completions'],
          [':method', 'POST'],
          [':scheme', 'http'],
          ['user-agent', 'OpenAI/Python 1.54.0'],
          ['content-type', 'application/json'],
          ['content-length', String(bodyBytes)],
          ['accept', 'application/json'],
          ['authorization', 'Bearer sk-bench-0123456789abcdef'],
          ['x-forwarded-proto', 'http'],
          ['x-request-id', REQUEST_ID_TEMPLATE],
        ]),
        end_of_stream: false,
      },
      protocol_config: { request_body_mode: mode, response_body_mode: mode },
    }),
  );
  const requestIdAt = requestHeaders.indexOf(REQUEST_ID_TEMPLATE) + REQUEST_ID_TEMPLATE.length - 12;
  const responseHeaders = frame(
    encode({
      response_headers: {
        headers: headerMap([
          [':status', '200'],
          ['content-type', 'application/json'],
          ['content-length', String(RESPONSE_JSON.length)],
          ['date', 'Tue, 03 Feb 2026 10:00:00 GMT'],
          ['server', 'uvicorn'],
          ['x-envoy-upstream-service-time', '412'],
        ]),
        end_of_stream: false,
      },
    }),
  );
  const responseBody = frame(encode({ response_body: { body: Buffer.from(RESPONSE_JSON), end_of_stream: true } }));
  return { mode, bodyBytes, requestHeaders, requestIdAt, bodies, responseHeaders, responseBody };
}

const HEX = '0123456789abcdef';

/** A copy of the request-headers frame with request number `n` in the x-request-id. */
export function requestHeadersFor(w: Workload, n: number): Buffer {
  const out = Buffer.allocUnsafe(w.requestHeaders.length);
  w.requestHeaders.copy(out);
  let v = n;
  for (let i = 11; i >= 0; i--) {
    out[w.requestIdAt + i] = HEX.charCodeAt(v & 15);
    v = Math.floor(v / 16);
  }
  return out;
}
