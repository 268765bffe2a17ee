/**
 * Encodes a ProcessingResponse (the proto.ts object shape messages.ts builds, the same one proto-loader
 * takes) straight to wire bytes: one pass to size every nested message, one allocation, one pass to write.
 * Like protobufjs, a field is written when its property is present and not null (even a default value), and
 * fields go out in field-number order. Enum fields take the enum name or its number; HttpStatus codes take
 * numbers or the names in proto/envoy/type/v3/http_status.proto. streamed_immediate_response is not
 * supported (the picker does not send it) and throws.
 *
 * `headroom` leaves that many bytes free at the front of the result (a transport writes its frame header
 * there and sends one buffer).
 */
import type { CommonResponse, HeaderMutation, HeaderValue, HeaderValueOption, ImmediateResponse, ProcessingResponse, StreamedBodyResponse } from './proto.ts';
import { SizeList, sizeStruct, strSize, writeStr, writeStruct } from './struct.ts';
import { LEN, lenFieldSize, VARINT, varintSize, writeVarint } from './wire.ts';

/** The response fields the encoder does not implement, beyond the ones it does. */
type Extra = {
  mode_override?: Partial<Record<(typeof MODE_FIELDS)[number], string | number>>;
  override_message_timeout?: { seconds?: number | string; nanos?: number };
  request_drain?: boolean;
  streamed_immediate_response?: unknown;
};
export type EncodableResponse = ProcessingResponse & Extra;

const RESPONSE_STATUS: Record<string, number> = { CONTINUE: 0, CONTINUE_AND_REPLACE: 1 };
const APPEND_ACTION: Record<string, number> = { APPEND_IF_EXISTS_OR_ADD: 0, ADD_IF_ABSENT: 1, OVERWRITE_IF_EXISTS_OR_ADD: 2, OVERWRITE_IF_EXISTS: 3 };
const HEADER_SEND_MODE: Record<string, number> = { DEFAULT: 0, SEND: 1, SKIP: 2 };
const BODY_SEND_MODE: Record<string, number> = { NONE: 0, STREAMED: 1, BUFFERED: 2, BUFFERED_PARTIAL: 3, FULL_DUPLEX_STREAMED: 4, GRPC: 5 };
const HTTP_STATUS: Record<string, number> = {
  Empty: 0, Continue: 100, OK: 200, BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, PayloadTooLarge: 413,
  TooManyRequests: 429, InternalServerError: 500, NotImplemented: 501, BadGateway: 502, ServiceUnavailable: 503, GatewayTimeout: 504,
};
const MODE_FIELDS = ['request_header_mode', 'response_header_mode', 'request_body_mode', 'response_body_mode', 'request_trailer_mode', 'response_trailer_mode'] as const;

/** Reused across calls: encoding is synchronous and not re-entrant. */
const sizes = new SizeList();

export function encodeProcessingResponse(m: EncodableResponse, headroom = 0): Buffer {
  if (m.streamed_immediate_response != null) throw new Error('encodeProcessingResponse: streamed_immediate_response is not supported');
  const sl = sizes;
  sl.reset();
  const size = sizeResponse(m, sl);
  const buf = Buffer.allocUnsafe(headroom + size);
  const end = writeResponse(m, buf, headroom, sl);
  if (end !== buf.length) throw new Error(`encodeProcessingResponse: wrote ${end - headroom} of ${size} bytes`); // a sizing bug, never input
  return buf;
}

function present<T>(v: T | undefined | null): v is T {
  return v !== undefined && v !== null;
}

function enumValue(v: string | number, table: Record<string, number>, what: string): number {
  if (typeof v === 'number') return v;
  const n = table[v];
  if (n === undefined) throw new Error(`encodeProcessingResponse: unknown ${what} ${JSON.stringify(v)}`);
  return n;
}

function bytesLen(b: Uint8Array): number {
  return b.length;
}

// ---------------------------------------------------------------- sizes (pre-order slots, see struct.ts)

function sizeResponse(m: EncodableResponse, sl: SizeList): number {
  let size = 0;
  if (m.request_headers) size += lenFieldSize(sizeWrapped(m.request_headers.response, sl));
  if (m.response_headers) size += lenFieldSize(sizeWrapped(m.response_headers.response, sl));
  if (m.request_body) size += lenFieldSize(sizeWrapped(m.request_body.response, sl));
  if (m.response_body) size += lenFieldSize(sizeWrapped(m.response_body.response, sl));
  if (m.request_trailers) size += lenFieldSize(sizeTrailers(m.request_trailers.header_mutation, sl));
  if (m.response_trailers) size += lenFieldSize(sizeTrailers(m.response_trailers.header_mutation, sl));
  if (m.immediate_response) size += lenFieldSize(sizeImmediate(m.immediate_response, sl));
  if (m.dynamic_metadata) size += lenFieldSize(sizeStruct(m.dynamic_metadata, sl));
  if (m.mode_override) size += lenFieldSize(sizeModeOverride(m.mode_override, sl));
  if (m.override_message_timeout) size += lenFieldSize(sizeDuration(m.override_message_timeout, sl));
  if (present(m.request_drain)) size += 2;
  return size;
}

/** HeadersResponse / BodyResponse: {response: CommonResponse}. */
function sizeWrapped(common: CommonResponse | undefined, sl: SizeList): number {
  const slot = sl.reserve();
  return sl.set(slot, common ? lenFieldSize(sizeCommon(common, sl)) : 0);
}

function sizeTrailers(mutation: HeaderMutation | undefined, sl: SizeList): number {
  const slot = sl.reserve();
  return sl.set(slot, mutation ? lenFieldSize(sizeMutation(mutation, sl)) : 0);
}

function sizeCommon(c: CommonResponse & { trailers?: { headers?: HeaderValue[] } }, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (present(c.status)) size += 1 + varintSize(enumValue(c.status, RESPONSE_STATUS, 'CommonResponse.status'));
  if (c.header_mutation) size += lenFieldSize(sizeMutation(c.header_mutation, sl));
  if (c.body_mutation) {
    const bm = c.body_mutation;
    const bmSlot = sl.reserve();
    let b = 0;
    if (present(bm.body)) b += lenFieldSize(bytesLen(bm.body));
    if (present(bm.clear_body)) b += 2;
    if (bm.streamed_response) b += lenFieldSize(sizeStreamed(bm.streamed_response, sl));
    size += lenFieldSize(sl.set(bmSlot, b));
  }
  if (c.trailers) size += lenFieldSize(sizeHeaderMap(c.trailers.headers, sl));
  if (present(c.clear_route_cache)) size += 2;
  return sl.set(slot, size);
}

function sizeStreamed(s: StreamedBodyResponse & { end_of_stream_without_message?: boolean; grpc_message_compressed?: boolean }, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (present(s.body)) size += lenFieldSize(bytesLen(s.body));
  if (present(s.end_of_stream)) size += 2;
  if (present(s.end_of_stream_without_message)) size += 2;
  if (present(s.grpc_message_compressed)) size += 2;
  return sl.set(slot, size);
}

function sizeMutation(hm: HeaderMutation, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (hm.set_headers) for (const o of hm.set_headers) size += lenFieldSize(sizeOption(o, sl));
  if (hm.remove_headers) for (const r of hm.remove_headers) size += lenFieldSize(strSize(r));
  return sl.set(slot, size);
}

function sizeOption(o: HeaderValueOption & { append?: { value?: boolean }; keep_empty_value?: boolean }, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (o.header) size += lenFieldSize(sizeHeaderValue(o.header, sl));
  if (o.append) size += lenFieldSize(present(o.append.value) ? 2 : 0);
  if (present(o.append_action)) size += 1 + varintSize(enumValue(o.append_action, APPEND_ACTION, 'HeaderValueOption.append_action'));
  if (present(o.keep_empty_value)) size += 2;
  return sl.set(slot, size);
}

function sizeHeaderValue(h: HeaderValue, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (present(h.key)) size += lenFieldSize(strSize(h.key));
  if (present(h.value)) size += lenFieldSize(strSize(h.value));
  if (present(h.raw_value)) size += lenFieldSize(bytesLen(h.raw_value));
  return sl.set(slot, size);
}

function sizeHeaderMap(headers: HeaderValue[] | undefined, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (headers) for (const h of headers) size += lenFieldSize(sizeHeaderValue(h, sl));
  return sl.set(slot, size);
}

function sizeImmediate(r: ImmediateResponse & { grpc_status?: { status?: number } }, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (r.status) {
    const code = present(r.status.code) ? enumValue(r.status.code, HTTP_STATUS, 'HttpStatus.code') : -1;
    size += lenFieldSize(sl.set(sl.reserve(), code >= 0 ? 1 + varintSize(code) : 0));
  }
  if (r.headers) size += lenFieldSize(sizeMutation(r.headers, sl));
  if (present(r.body)) size += lenFieldSize(bytesLen(r.body));
  if (r.grpc_status) size += lenFieldSize(sl.set(sl.reserve(), present(r.grpc_status.status) ? 1 + varintSize(r.grpc_status.status) : 0));
  if (present(r.details)) size += lenFieldSize(strSize(r.details));
  return sl.set(slot, size);
}

function sizeModeOverride(mo: NonNullable<Extra['mode_override']>, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  for (let i = 0; i < MODE_FIELDS.length; i++) {
    const v = mo[MODE_FIELDS[i]!];
    if (present(v)) size += 1 + varintSize(enumValue(v, i === 2 || i === 3 ? BODY_SEND_MODE : HEADER_SEND_MODE, `ProcessingMode.${MODE_FIELDS[i]}`));
  }
  return sl.set(slot, size);
}

function sizeDuration(d: NonNullable<Extra['override_message_timeout']>, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (present(d.seconds)) size += 1 + varintSize(durationSeconds(d.seconds));
  if (present(d.nanos)) size += 1 + varintSize(d.nanos);
  return sl.set(slot, size);
}

function durationSeconds(s: number | string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`encodeProcessingResponse: unsupported Duration.seconds ${s}`);
  return n;
}

// ---------------------------------------------------------------- writes (same order as the sizes)

function tagLen(buf: Buffer, pos: number, field: number, sl: SizeList): number {
  buf[pos++] = (field << 3) | LEN;
  return writeVarint(buf, pos, sl.next());
}

function writeBool(buf: Buffer, pos: number, field: number, v: boolean): number {
  buf[pos++] = (field << 3) | VARINT;
  buf[pos++] = v ? 1 : 0;
  return pos;
}

function writeEnum(buf: Buffer, pos: number, field: number, v: number): number {
  buf[pos++] = (field << 3) | VARINT;
  return writeVarint(buf, pos, v);
}

function writeBytes(buf: Buffer, pos: number, field: number, b: Uint8Array): number {
  buf[pos++] = (field << 3) | LEN;
  pos = writeVarint(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

function writeString(buf: Buffer, pos: number, field: number, s: string): number {
  buf[pos++] = (field << 3) | LEN;
  return writeStr(buf, pos, s, strSize(s));
}

function writeResponse(m: EncodableResponse, buf: Buffer, pos: number, sl: SizeList): number {
  if (m.request_headers) pos = writeWrapped(m.request_headers.response, buf, tagLen(buf, pos, 1, sl), sl);
  if (m.response_headers) pos = writeWrapped(m.response_headers.response, buf, tagLen(buf, pos, 2, sl), sl);
  if (m.request_body) pos = writeWrapped(m.request_body.response, buf, tagLen(buf, pos, 3, sl), sl);
  if (m.response_body) pos = writeWrapped(m.response_body.response, buf, tagLen(buf, pos, 4, sl), sl);
  if (m.request_trailers) pos = writeTrailers(m.request_trailers.header_mutation, buf, tagLen(buf, pos, 5, sl), sl);
  if (m.response_trailers) pos = writeTrailers(m.response_trailers.header_mutation, buf, tagLen(buf, pos, 6, sl), sl);
  if (m.immediate_response) pos = writeImmediate(m.immediate_response, buf, tagLen(buf, pos, 7, sl), sl);
  if (m.dynamic_metadata) pos = writeStruct(m.dynamic_metadata, buf, tagLen(buf, pos, 8, sl), sl);
  if (m.mode_override) pos = writeModeOverride(m.mode_override, buf, tagLen(buf, pos, 9, sl));
  if (m.override_message_timeout) {
    const d = m.override_message_timeout;
    pos = tagLen(buf, pos, 10, sl);
    if (present(d.seconds)) pos = writeEnum(buf, pos, 1, durationSeconds(d.seconds));
    if (present(d.nanos)) pos = writeEnum(buf, pos, 2, d.nanos);
  }
  if (present(m.request_drain)) pos = writeBool(buf, pos, 12, m.request_drain);
  return pos;
}

function writeWrapped(common: CommonResponse | undefined, buf: Buffer, pos: number, sl: SizeList): number {
  return common ? writeCommon(common, buf, tagLen(buf, pos, 1, sl), sl) : pos;
}

function writeTrailers(mutation: HeaderMutation | undefined, buf: Buffer, pos: number, sl: SizeList): number {
  return mutation ? writeMutation(mutation, buf, tagLen(buf, pos, 1, sl), sl) : pos;
}

function writeCommon(c: CommonResponse & { trailers?: { headers?: HeaderValue[] } }, buf: Buffer, pos: number, sl: SizeList): number {
  if (present(c.status)) pos = writeEnum(buf, pos, 1, enumValue(c.status, RESPONSE_STATUS, 'CommonResponse.status'));
  if (c.header_mutation) pos = writeMutation(c.header_mutation, buf, tagLen(buf, pos, 2, sl), sl);
  if (c.body_mutation) {
    const bm = c.body_mutation;
    pos = tagLen(buf, pos, 3, sl);
    if (present(bm.body)) pos = writeBytes(buf, pos, 1, bm.body);
    if (present(bm.clear_body)) pos = writeBool(buf, pos, 2, bm.clear_body);
    if (bm.streamed_response) pos = writeStreamed(bm.streamed_response, buf, tagLen(buf, pos, 3, sl));
  }
  if (c.trailers) pos = writeHeaderMap(c.trailers.headers, buf, tagLen(buf, pos, 4, sl), sl);
  if (present(c.clear_route_cache)) pos = writeBool(buf, pos, 5, c.clear_route_cache);
  return pos;
}

function writeStreamed(s: StreamedBodyResponse & { end_of_stream_without_message?: boolean; grpc_message_compressed?: boolean }, buf: Buffer, pos: number): number {
  if (present(s.body)) pos = writeBytes(buf, pos, 1, s.body);
  if (present(s.end_of_stream)) pos = writeBool(buf, pos, 2, s.end_of_stream);
  if (present(s.end_of_stream_without_message)) pos = writeBool(buf, pos, 3, s.end_of_stream_without_message);
  if (present(s.grpc_message_compressed)) pos = writeBool(buf, pos, 4, s.grpc_message_compressed);
  return pos;
}

function writeMutation(hm: HeaderMutation, buf: Buffer, pos: number, sl: SizeList): number {
  if (hm.set_headers) for (const o of hm.set_headers) pos = writeOption(o, buf, tagLen(buf, pos, 1, sl), sl);
  if (hm.remove_headers) for (const r of hm.remove_headers) pos = writeString(buf, pos, 2, r);
  return pos;
}

function writeOption(o: HeaderValueOption & { append?: { value?: boolean }; keep_empty_value?: boolean }, buf: Buffer, pos: number, sl: SizeList): number {
  if (o.header) pos = writeHeaderValue(o.header, buf, tagLen(buf, pos, 1, sl));
  if (o.append) {
    buf[pos++] = (2 << 3) | LEN;
    const hasValue = present(o.append.value);
    buf[pos++] = hasValue ? 2 : 0;
    if (hasValue) pos = writeBool(buf, pos, 1, o.append.value!);
  }
  if (present(o.append_action)) pos = writeEnum(buf, pos, 3, enumValue(o.append_action, APPEND_ACTION, 'HeaderValueOption.append_action'));
  if (present(o.keep_empty_value)) pos = writeBool(buf, pos, 4, o.keep_empty_value);
  return pos;
}

function writeHeaderValue(h: HeaderValue, buf: Buffer, pos: number): number {
  if (present(h.key)) pos = writeString(buf, pos, 1, h.key);
  if (present(h.value)) pos = writeString(buf, pos, 2, h.value);
  if (present(h.raw_value)) pos = writeBytes(buf, pos, 3, h.raw_value);
  return pos;
}

function writeHeaderMap(headers: HeaderValue[] | undefined, buf: Buffer, pos: number, sl: SizeList): number {
  if (headers) for (const h of headers) pos = writeHeaderValue(h, buf, tagLen(buf, pos, 1, sl));
  return pos;
}

function writeImmediate(r: ImmediateResponse & { grpc_status?: { status?: number } }, buf: Buffer, pos: number, sl: SizeList): number {
  if (r.status) {
    pos = tagLen(buf, pos, 1, sl);
    if (present(r.status.code)) pos = writeEnum(buf, pos, 1, enumValue(r.status.code, HTTP_STATUS, 'HttpStatus.code'));
  }
  if (r.headers) pos = writeMutation(r.headers, buf, tagLen(buf, pos, 2, sl), sl);
  if (present(r.body)) pos = writeBytes(buf, pos, 3, r.body);
  if (r.grpc_status) {
    pos = tagLen(buf, pos, 4, sl);
    if (present(r.grpc_status.status)) pos = writeEnum(buf, pos, 1, r.grpc_status.status);
  }
  if (present(r.details)) pos = writeString(buf, pos, 5, r.details);
  return pos;
}

function writeModeOverride(mo: NonNullable<Extra['mode_override']>, buf: Buffer, pos: number): number {
  for (let i = 0; i < MODE_FIELDS.length; i++) {
    const v = mo[MODE_FIELDS[i]!];
    if (present(v)) pos = writeEnum(buf, pos, i + 1, enumValue(v, i === 2 || i === 3 ? BODY_SEND_MODE : HEADER_SEND_MODE, `ProcessingMode.${MODE_FIELDS[i]}`));
  }
  return pos;
}

