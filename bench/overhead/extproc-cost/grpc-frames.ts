/**
 * gRPC length-prefixed framing and a minimal ProcessingResponse reader for the load driver. The driver sends
 * pre-encoded messages and only needs to know which kind of response arrived and whether it ended a body, so
 * it walks the few fields it needs instead of decoding whole messages (its CPU competes with the server's).
 */

/** `msg` with the 5-byte gRPC prefix (uncompressed flag, big-endian length). */
export function frame(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/** Reassembles gRPC messages from DATA chunks, which may split or join messages arbitrarily. */
export class FrameReader {
  #pending: Buffer | null = null;

  /** Calls onMessage for every complete message in the bytes seen so far. */
  push(chunk: Buffer, onMessage: (msg: Buffer) => void): void {
    const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = null;
    let off = 0;
    while (buf.length - off >= 5) {
      const len = buf.readUInt32BE(off + 1);
      if (buf.length - off - 5 < len) break;
      onMessage(buf.subarray(off + 5, off + 5 + len));
      off += 5 + len;
    }
    if (off < buf.length) this.#pending = buf.subarray(off);
  }
}

// ProcessingResponse oneof field numbers.
export const R_REQUEST_HEADERS = 1;
export const R_RESPONSE_HEADERS = 2;
export const R_REQUEST_BODY = 3;
export const R_RESPONSE_BODY = 4;
export const R_REQUEST_TRAILERS = 5;
export const R_RESPONSE_TRAILERS = 6;
export const R_IMMEDIATE = 7;
const F_DYNAMIC_METADATA = 8;

/** Classification of one ProcessingResponse. */
export interface ResponseKind {
  /** The oneof field number (R_*); 0 when none is set. */
  kind: number;
  /** A streamed body response with end_of_stream, or a non-streamed body response. */
  bodyEnd: boolean;
  /** dynamic_metadata present (the picker's routing decision carries it). */
  routed: boolean;
}

/** Reads the oneof case of a ProcessingResponse and, for body responses, whether the body ended. */
export function classify(msg: Buffer, out: ResponseKind): void {
  out.kind = 0;
  out.bodyEnd = false;
  out.routed = false;
  const c = { pos: 0 };
  while (c.pos < msg.length) {
    const tag = varint(msg, c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      skip(msg, c, wire);
      continue;
    }
    const len = varint(msg, c);
    const start = c.pos;
    c.pos += len;
    if (field === F_DYNAMIC_METADATA) {
      out.routed = true;
    } else if ((field >= 1 && field <= 7) || field === 11) {
      out.kind = field;
      if (field === R_REQUEST_BODY || field === R_RESPONSE_BODY) out.bodyEnd = bodyEnds(msg, start, start + len);
    }
  }
}

/** BodyResponse -> CommonResponse(1) -> BodyMutation(3) -> StreamedBodyResponse(3) -> end_of_stream(2). */
function bodyEnds(msg: Buffer, start: number, end: number): boolean {
  const common = sub(msg, start, end, 1);
  if (!common) return true; // empty BodyResponse: a BUFFERED/STREAMED answer, one per body message
  const mutation = sub(msg, common[0], common[1], 3);
  if (!mutation) return true;
  const streamed = sub(msg, mutation[0], mutation[1], 3);
  if (!streamed) return true; // replaced body (non-streamed)
  const c = { pos: streamed[0] };
  while (c.pos < streamed[1]) {
    const tag = varint(msg, c);
    if (tag === ((2 << 3) | 0)) return varint(msg, c) !== 0;
    skip(msg, c, tag & 7);
  }
  return false;
}

/** Bounds of the first length-delimited field `want` within [start, end). */
function sub(msg: Buffer, start: number, end: number, want: number): [number, number] | null {
  const c = { pos: start };
  while (c.pos < end) {
    const tag = varint(msg, c);
    if ((tag & 7) === 2) {
      const len = varint(msg, c);
      if (tag >>> 3 === want) return [c.pos, c.pos + len];
      c.pos += len;
    } else {
      skip(msg, c, tag & 7);
    }
  }
  return null;
}

function varint(buf: Buffer, c: { pos: number }): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const b = buf[c.pos++]!;
    if (shift < 28) result |= (b & 0x7f) << shift;
    else result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result;
    shift += 7;
  }
  throw new Error('bad varint');
}

function skip(buf: Buffer, c: { pos: number }, wire: number): void {
  if (wire === 0) varint(buf, c);
  else if (wire === 1) c.pos += 8;
  else if (wire === 5) c.pos += 4;
  else if (wire === 2) {
    const len = varint(buf, c); // read first: `c.pos += varint(...)` would add to the pre-read position
    c.pos += len;
  }
  else throw new Error(`unsupported wire type ${wire}`);
}
