/**
 * Decodes a ProcessingRequest straight from the wire into the object shape the stream reads (proto.ts
 * ProcessingRequest, the same names proto-loader produces), in one pass with no intermediate message objects.
 *
 * Differences from the proto-loader path, all on purpose:
 *  - a header's value is the UTF-8 text of raw_value when raw_value is non-empty (what Envoy sends), else
 *    `value`; it lands in `value` and raw_value is left out (readers want text, and this skips a Buffer per
 *    header);
 *  - bodies are views into the received message, not copies;
 *  - attributes, typed metadata and HttpHeaders.attributes (deprecated) are skipped: the picker reads none;
 *  - nested oneof discriminators other than `request` (Value.kind, BodyMutation.mutation) are not set.
 * Unknown fields, including any a newer Envoy adds, are skipped by wire type, as proto3 requires.
 * codec.test.ts checks it against the proto-loader decoder on every message shape Envoy sends.
 */
import type { BodySendMode, HeaderMap, HeaderValue, HttpBody, HttpHeaders, PbStruct, ProcessingRequest } from './proto.ts';
import { readStruct } from './struct.ts';
import { Cursor, LEN, VARINT } from './wire.ts';

const REQUEST_CASES = [undefined, undefined, 'request_headers', 'response_headers', 'request_body', 'response_body', 'request_trailers', 'response_trailers'] as const;
const BODY_SEND_MODES: readonly BodySendMode[] = ['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED', 'GRPC'];

// Tags (field << 3 | wire type) of ProcessingRequest.
const T_METADATA = (8 << 3) | LEN;
const T_OBSERVABILITY = (10 << 3) | VARINT;
const T_PROTOCOL_CONFIG = (11 << 3) | LEN;

/** Reused across calls: decoding is synchronous and not re-entrant. */
const cursor = new Cursor();

export function decodeProcessingRequest(buf: Buffer): ProcessingRequest {
  const c = cursor;
  c.reset(buf);
  const end = buf.length;
  const m: ProcessingRequest = {};
  while (c.pos < end) {
    const tag = c.varint();
    const field = tag >>> 3;
    if (field >= 2 && field <= 7 && (tag & 7) === LEN) {
      const msgEnd = c.end(end);
      m.request = REQUEST_CASES[field];
      switch (field) {
        case 2:
          m.request_headers = readHttpHeaders(c, msgEnd);
          break;
        case 3:
          m.response_headers = readHttpHeaders(c, msgEnd);
          break;
        case 4:
          m.request_body = readHttpBody(c, msgEnd);
          break;
        case 5:
          m.response_body = readHttpBody(c, msgEnd);
          break;
        case 6:
          m.request_trailers = { trailers: readTrailers(c, msgEnd) };
          break;
        default:
          m.response_trailers = { trailers: readTrailers(c, msgEnd) };
      }
    } else if (tag === T_METADATA) {
      m.metadata_context = { filter_metadata: readMetadata(c, c.end(end)) };
    } else if (tag === T_OBSERVABILITY) {
      m.observability_mode = c.bool();
    } else if (tag === T_PROTOCOL_CONFIG) {
      m.protocol_config = readProtocolConfig(c, c.end(end));
    } else {
      c.skip(tag & 7, end);
    }
  }
  return m;
}

function readHttpHeaders(c: Cursor, end: number): HttpHeaders {
  const h: HttpHeaders = {};
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | LEN)) h.headers = readHeaderMap(c, c.end(end));
    else if (tag === ((3 << 3) | VARINT)) h.end_of_stream = c.bool();
    else c.skip(tag & 7, end);
  }
  return h;
}

function readHeaderMap(c: Cursor, end: number): HeaderMap {
  const headers: HeaderValue[] = [];
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | LEN)) headers.push(readHeaderValue(c, c.end(end)));
    else c.skip(tag & 7, end);
  }
  return { headers };
}

function readHeaderValue(c: Cursor, end: number): HeaderValue {
  let key = '';
  let value = '';
  let raw = '';
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | LEN)) key = c.string(end);
    else if (tag === ((2 << 3) | LEN)) value = c.string(end);
    else if (tag === ((3 << 3) | LEN)) raw = c.string(end);
    else c.skip(tag & 7, end);
  }
  return { key, value: raw !== '' ? raw : value };
}

function readHttpBody(c: Cursor, end: number): HttpBody {
  const b: HttpBody = {};
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | LEN)) b.body = c.bytes(end);
    else if (tag === ((2 << 3) | VARINT)) b.end_of_stream = c.bool();
    else c.skip(tag & 7, end); // end_of_stream_without_message, grpc_message_compressed: GRPC mode only
  }
  return b;
}

function readTrailers(c: Cursor, end: number): HeaderMap | undefined {
  let map: HeaderMap | undefined;
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | LEN)) map = readHeaderMap(c, c.end(end));
    else c.skip(tag & 7, end);
  }
  return map;
}

/** Metadata.filter_metadata (map<string, Struct>); typed_filter_metadata is skipped. */
function readMetadata(c: Cursor, end: number): Record<string, PbStruct> {
  const out: Record<string, PbStruct> = {};
  while (c.pos < end) {
    const tag = c.varint();
    if (tag !== ((1 << 3) | LEN)) {
      c.skip(tag & 7, end);
      continue;
    }
    const entryEnd = c.end(end);
    let key = '';
    let value: PbStruct = { fields: {} };
    while (c.pos < entryEnd) {
      const t = c.varint();
      if (t === ((1 << 3) | LEN)) key = c.string(entryEnd);
      else if (t === ((2 << 3) | LEN)) value = readStruct(c, c.end(entryEnd));
      else c.skip(t & 7, entryEnd);
    }
    out[key] = value;
  }
  return out;
}

function readProtocolConfig(c: Cursor, end: number): NonNullable<ProcessingRequest['protocol_config']> {
  const p: NonNullable<ProcessingRequest['protocol_config']> = {};
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | VARINT)) p.request_body_mode = bodySendMode(c.varint());
    else if (tag === ((2 << 3) | VARINT)) p.response_body_mode = bodySendMode(c.varint());
    else if (tag === ((3 << 3) | VARINT)) p.send_body_without_waiting_for_header_response = c.bool();
    else c.skip(tag & 7, end);
  }
  return p;
}

/** Enum value to name; a value from a newer Envoy is kept as its number (proto3 open enums). */
function bodySendMode(v: number): BodySendMode {
  return BODY_SEND_MODES[v] ?? (v as unknown as BodySendMode);
}
