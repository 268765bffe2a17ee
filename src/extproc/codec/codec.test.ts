/**
 * The codec against the proto-loader serializers built from the same protos: every request shape Envoy sends
 * is encoded by proto-loader and decoded by ours; every response the picker sends is encoded by ours and must
 * be byte-identical to proto-loader's encoding and decode back to the same object. Unknown fields from a
 * newer Envoy are appended at every nesting level and must be skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extProcService, type ProcessingRequest, type ProcessingResponse } from './proto.ts';
import * as msg from '../messages.ts';
import { EppError, type ErrorCode } from '../../requestcontrol/errors.ts';
import { decodeProcessingRequest } from './decode-request.ts';
import { encodeProcessingResponse, type EncodableResponse } from './encode-response.ts';
import { DecodeError } from './wire.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD, streamedBodyHead } from './streamed-body.ts';

const def = extProcService().Process!;
const plEncodeRequest = def.requestSerialize as (m: ProcessingRequest) => Buffer;
const plDecodeRequest = def.requestDeserialize as (b: Buffer) => ProcessingRequest;
const plEncodeResponse = def.responseSerialize as (m: ProcessingResponse) => Buffer;
const plDecodeResponse = def.responseDeserialize as (b: Buffer) => ProcessingResponse;

const headerMap = (h: [string, string][], raw = true) => ({ headers: h.map(([key, v]) => (raw ? { key, raw_value: Buffer.from(v) } : { key, value: v })) });
const list = (...values: string[]) => ({ listValue: { values: values.map((stringValue) => ({ stringValue })) } });

const REQUESTS: Record<string, ProcessingRequest> = {
  'request headers, raw_value, protocol_config, subset hint': {
    request_headers: { headers: headerMap([[':path', '/v1/chat/completions'], [':method', 'POST'], ['x-request-id', 'ab-12'], ['x-unicode', 'héllo ☃']]), end_of_stream: false },
    protocol_config: { request_body_mode: 'FULL_DUPLEX_STREAMED', response_body_mode: 'BUFFERED', send_body_without_waiting_for_header_response: true },
    metadata_context: { filter_metadata: { 'envoy.lb.subset_hint': { fields: { 'x-gateway-destination-endpoint-subset': list('10.0.0.1:8000', '10.0.0.2:8000') } } } },
  },
  'request headers with value (send_header_raw_value off), end_of_stream': {
    request_headers: { headers: headerMap([[':path', '/v1/models'], ['accept', '*/*']], false), end_of_stream: true },
  },
  'observability mode': { request_headers: { headers: headerMap([[':path', '/x']]) }, observability_mode: true },
  'attributes are skipped, the rest decodes': {
    request_headers: { headers: headerMap([[':path', '/x']]) },
    ...({ attributes: { 'envoy.filters.http.ext_proc': { fields: { 'request.path': { stringValue: '/x' } } } } } as object),
  },
  'request body chunk': { request_body: { body: Buffer.from('{"model":"m","prompt":"hi"}'), end_of_stream: true } },
  'large request body': { request_body: { body: Buffer.alloc(200_000, 0x61), end_of_stream: false } },
  'empty request body': { request_body: { body: Buffer.alloc(0), end_of_stream: true } },
  'request trailers': { request_trailers: { trailers: headerMap([['x-t', '1']]) } },
  'response headers with served endpoint': {
    response_headers: { headers: headerMap([[':status', '200'], ['content-type', 'application/json']]), end_of_stream: false },
    metadata_context: { filter_metadata: { 'envoy.lb': { fields: { 'x-gateway-destination-endpoint-served': { stringValue: '10.0.0.2:8000' } } } } },
  },
  'response body': { response_body: { body: Buffer.from('data: {"usage":null}\n\n'), end_of_stream: false } },
  'response trailers, empty map': { response_trailers: { trailers: { headers: [] } } },
  'struct value kinds': {
    response_headers: { headers: headerMap([[':status', '200']]) },
    metadata_context: {
      filter_metadata: {
        ns: {
          fields: {
            n: { numberValue: 1.5 },
            b: { boolValue: false },
            z: { nullValue: 'NULL_VALUE' },
            s: { structValue: { fields: { inner: list('a', ''), deep: { structValue: { fields: {} } } } } },
          },
        },
      },
    },
  },
};

/** proto-loader's object, reduced to what our decoder promises (see decode-request.ts). */
function normalize(m: ProcessingRequest): unknown {
  return JSON.parse(
    JSON.stringify(m, (key, v: unknown) => {
      if (key === 'attributes' || key === 'kind') return undefined;
      if (v && typeof v === 'object' && 'key' in v && ('raw_value' in v || 'value' in v)) {
        const h = v as { key: string; value?: string; raw_value?: { data: number[] } | Buffer };
        const raw = h.raw_value ? Buffer.from((h.raw_value as { data?: number[] }).data ?? (h.raw_value as Buffer)).toString('utf8') : '';
        return { key: h.key, value: raw !== '' ? raw : (h.value ?? '') };
      }
      const empty = v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
      if (empty && key === 'trailers') return { headers: [] };
      if (empty && key === 'structValue') return { fields: {} };
      return v;
    }),
  );
}

test('requests: our decoder reads what proto-loader encodes, as proto-loader decodes it', () => {
  for (const [name, m] of Object.entries(REQUESTS)) {
    const wire = plEncodeRequest(m);
    assert.deepEqual(normalize(decodeProcessingRequest(wire)), normalize(plDecodeRequest(wire)), name);
  }
});

test('requests: bodies are views into the message, header values are text', () => {
  const wire = plEncodeRequest(REQUESTS['request body chunk']!);
  const body = decodeProcessingRequest(wire).request_body!.body!;
  assert.equal(body.buffer, wire.buffer);
  const h = decodeProcessingRequest(plEncodeRequest(REQUESTS['request headers, raw_value, protocol_config, subset hint']!)).request_headers!.headers!.headers!;
  assert.deepEqual(h.at(-1), { key: 'x-unicode', value: 'héllo ☃' });
});

/** Unknown fields of every wire type: field 15 varint, 16 fixed64, 17 length-delimited, 18 fixed32, 1000 varint. */
const UNKNOWN = Buffer.concat([
  encodeVarint((15 << 3) | 0), Buffer.from([0x96, 0x01]),
  encodeVarint((16 << 3) | 1), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]),
  encodeVarint((17 << 3) | 2), Buffer.from([3, 0x61, 0x62, 0x63]),
  encodeVarint((18 << 3) | 5), Buffer.from([9, 9, 9, 9]),
  encodeVarint((1000 << 3) | 0), Buffer.from([42]),
]);

/** Re-encodes `wire` with UNKNOWN appended inside every length-delimited field that holds a message. */
function withUnknownFields(wire: Buffer, isMessage: (path: number[]) => boolean, path: number[] = []): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  const varint = () => {
    let r = 0;
    let s = 1;
    for (;;) {
      const b = wire[p++]!;
      r += (b & 0x7f) * s;
      if (b < 0x80) return r;
      s *= 128;
    }
  };
  while (p < wire.length) {
    const start = p;
    const tag = varint();
    const wt = tag & 7;
    if (wt === 2) {
      const len = varint();
      const body = wire.subarray(p, p + len);
      p += len;
      const sub = [...path, tag >>> 3];
      if (isMessage(sub)) {
        const inner = Buffer.concat([withUnknownFields(body, isMessage, sub), UNKNOWN]);
        out.push(encodeTag(tag), encodeVarint(inner.length), inner);
      } else {
        out.push(wire.subarray(start, p));
      }
    } else {
      if (wt === 0) varint();
      else p += wt === 1 ? 8 : 4;
      out.push(wire.subarray(start, p));
    }
  }
  return Buffer.concat(out);
}

function encodeVarint(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}
const encodeTag = encodeVarint;

/** Which length-delimited paths of a ProcessingRequest are messages (the rest are strings and bytes). */
function requestIsMessage(path: number[]): boolean {
  const [top, a, b, c, d] = path;
  if (path.length === 1) return top !== undefined && top >= 2 && top <= 11 && top !== 10;
  if (top! >= 2 && top! <= 3) return path.length === 2 ? a === 1 : path.length === 3 ? b === 1 : false; // HttpHeaders > HeaderMap > HeaderValue
  if (top! >= 6 && top! <= 7) return path.length === 2 ? a === 1 : path.length === 3 ? b === 1 : false;
  if (top === 8) {
    // Metadata > entry > Struct > entry > Value > (struct|list) ...
    if (path.length === 2) return a === 1;
    if (path.length === 3) return b === 2;
    if (path.length === 4) return c === 1;
    if (path.length === 5) return d === 2;
    return false;
  }
  return false;
}

test('requests: unknown fields at every level (a newer Envoy) are skipped', () => {
  for (const [name, m] of Object.entries(REQUESTS)) {
    const wire = plEncodeRequest(m);
    const noisy = Buffer.concat([withUnknownFields(wire, requestIsMessage), UNKNOWN]);
    assert.ok(noisy.length > wire.length);
    assert.deepEqual(normalize(decodeProcessingRequest(noisy)), normalize(plDecodeRequest(wire)), name);
  }
});

test('requests: an enum value from a newer Envoy is kept as its number; malformed input throws DecodeError', () => {
  const wire = plEncodeRequest({ request_headers: {}, protocol_config: { request_body_mode: 'NONE' } });
  // protocol_config {request_body_mode: 9}
  const newer = Buffer.concat([plEncodeRequest({ request_headers: {} }), Buffer.from([(11 << 3) | 2, 2, 0x08, 9])]);
  assert.equal(decodeProcessingRequest(newer).protocol_config!.request_body_mode, 9 as unknown);
  assert.equal(decodeProcessingRequest(wire).protocol_config!.request_body_mode, 'NONE');
  const good = plEncodeRequest(REQUESTS['request body chunk']!);
  assert.throws(() => decodeProcessingRequest(good.subarray(0, good.length - 5)), DecodeError);
  assert.throws(() => decodeProcessingRequest(Buffer.from([0x22, 0x80])), DecodeError);
  assert.throws(() => decodeProcessingRequest(Buffer.from([(3 << 3) | 3])), DecodeError);
});

const ERROR_CODES: ErrorCode[] = ['BAD_REQUEST', 'MODEL_NOT_FOUND', 'BODY_TOO_LARGE', 'SHED', 'ALL_FILTERED', 'SCHEDULING_FAILED', 'NO_ENDPOINT', 'INTERNAL'];

const RESPONSES: Record<string, EncodableResponse> = {
  'routed headers': msg.routedHeadersResponse([msg.setHeader(msg.DESTINATION_HEADER, '10.0.0.1:8000,10.0.0.2:8000'), msg.setHeader('x-request-id', 'gen-1')], '10.0.0.1:8000,10.0.0.2:8000'),
  'routed headers with endpoint scores (--emit-endpoint-scores)': msg.routedHeadersResponse([msg.setHeader(msg.DESTINATION_HEADER, '10.0.0.1:8000')], '10.0.0.1:8000', { '10.0.0.1:8000': 4.25, '10.0.0.2:8000': 0, '[fd00::1]:8000': 1e-9 }),
  'routed body with endpoint scores': msg.routedBodyResponse([], '10.0.0.2:8000', Buffer.from('{"model":"x"}'), { '10.0.0.2:8000': 7 }),
  'routed body with rewritten body': msg.routedBodyResponse([msg.setHeader(msg.DESTINATION_HEADER, '10.0.0.1:8000'), msg.setHeader('content-length', '20')], '10.0.0.1:8000', Buffer.from('{"model":"target-1"}')),
  'routed body': msg.routedBodyResponse([msg.setHeader(msg.DESTINATION_HEADER, '10.0.0.1:8000')], '10.0.0.1:8000', null),
  'continue request headers': msg.CONTINUE_REQUEST_HEADERS,
  'continue request body': msg.CONTINUE_REQUEST_BODY,
  'continue response headers': msg.CONTINUE_RESPONSE_HEADERS,
  'continue response body': msg.CONTINUE_RESPONSE_BODY,
  'request trailers': msg.REQUEST_TRAILERS_RESPONSE,
  'response trailers': msg.RESPONSE_TRAILERS_RESPONSE,
  'streamed request chunk': msg.streamedRequestBody(Buffer.from('{"model":"m"}'), false),
  'streamed request last chunk (62,000 B)': msg.streamedRequestBody(Buffer.alloc(msg.MAX_STREAMED_CHUNK, 0x62), true),
  'streamed empty response chunk': msg.streamedResponseBody(Buffer.alloc(0), true),
  'replaced response body': msg.replacedResponseBody(Buffer.from('{"model":"client-name"}')),
  'every field the encoder knows': {
    request_body: {
      response: {
        status: 'CONTINUE_AND_REPLACE',
        header_mutation: {
          set_headers: [
            { header: { key: 'x-a', value: 'text' }, append: { value: true }, append_action: 'ADD_IF_ABSENT', keep_empty_value: true } as never,
            { header: { key: 'x-b', raw_value: Buffer.from([0, 255]) }, append: {}, append_action: 3 } as never,
          ],
          remove_headers: ['x-old', 'x-older'],
        },
        body_mutation: { clear_body: true },
        clear_route_cache: false,
        ...({ trailers: { headers: [{ key: 'x-tr', raw_value: Buffer.from('1') }] } } as object),
      },
    },
    dynamic_metadata: { fields: { ns: { structValue: { fields: { n: { numberValue: -2.25 }, b: { boolValue: true }, z: { nullValue: 'NULL_VALUE' }, l: { listValue: { values: [{ stringValue: 'x' }, { listValue: { values: [] } }] } } } } } } },
    mode_override: { request_header_mode: 'SEND', response_body_mode: 'STREAMED', response_trailer_mode: 2 },
    override_message_timeout: { seconds: 3, nanos: 500_000_000 },
    request_drain: true,
  },
  'immediate response with grpc status': {
    immediate_response: { status: { code: 'TooManyRequests' }, body: Buffer.from('slow down'), details: 'shed', ...({ grpc_status: { status: 8 } } as object) },
  },
};
for (const code of ERROR_CODES) RESPONSES[`immediate error ${code}`] = msg.immediateError(new EppError(code, `message for ${code}`));

test('responses: our encoding is byte-identical to proto-loader and decodes to the same object', () => {
  for (const [name, m] of Object.entries(RESPONSES)) {
    const ours = encodeProcessingResponse(m);
    const theirs = plEncodeResponse(m);
    assert.deepEqual(ours, theirs, name);
    assert.deepEqual(plDecodeResponse(ours), plDecodeResponse(theirs), name);
  }
});

test('responses: headroom is left free at the front; unsupported fields and unknown enum names throw', () => {
  const m = RESPONSES['routed headers']!;
  const framed = encodeProcessingResponse(m, 5);
  assert.deepEqual(framed.subarray(5), plEncodeResponse(m));
  assert.throws(() => encodeProcessingResponse({ streamed_immediate_response: {} }), /not supported/);
  assert.throws(() => encodeProcessingResponse({ request_headers: { response: { status: 'MAYBE' } } }), /unknown CommonResponse.status/);
});

test('streamed body head + the chunk decode as the regular streamed body response (any size, both phases)', () => {
  for (const size of [0, 1, 127, 128, 5000, 16_384, msg.MAX_STREAMED_CHUNK, 200_000]) {
    for (const eos of [true, false]) {
      const body = Buffer.alloc(size, 0x5a);
      for (const [field, build] of [[REQUEST_BODY_FIELD, msg.streamedRequestBody], [RESPONSE_BODY_FIELD, msg.streamedResponseBody]] as const) {
        const head = streamedBodyHead(field, size, eos);
        const wire = Buffer.concat([head, body]);
        assert.equal(wire.readUInt32BE(1), wire.length - 5, 'gRPC frame length');
        assert.equal(wire[0], 0, 'not compressed');
        assert.deepEqual(plDecodeResponse(wire.subarray(5)), plDecodeResponse(plEncodeResponse(build(body, eos))), `${field} ${size} ${eos}`);
      }
    }
  }
});
