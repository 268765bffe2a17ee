/**
 * Protobuf wire-format primitives for the ext_proc codec: a cursor that reads varints, lengths and skips
 * unknown fields, and the varint/tag helpers the encoder writes with. Only what the ext_proc messages use.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

export class DecodeError extends Error {
  override name = 'DecodeError';
}

/** A read position over one message; nested messages are read by bounding loops with their end offset. */
export class Cursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  reset(buf: Buffer): void {
    this.buf = buf;
    this.pos = 0;
  }

  /** A varint up to 2^53 (tags, lengths, enums, bools, uint32). */
  varint(): number {
    const buf = this.buf;
    if (this.pos >= buf.length) throw new DecodeError('truncated varint');
    let b = buf[this.pos++]!;
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 10; i++) {
      if (this.pos >= buf.length) throw new DecodeError('truncated varint');
      b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw new DecodeError('varint longer than 10 bytes');
  }

  /** Reads a length prefix and returns the end offset of the field, checked against `limit`. */
  end(limit: number): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > limit) throw new DecodeError('length-delimited field runs past its message');
    return end;
  }

  /** Skips the value of a field of wire type `wire` (unknown fields, fields the picker does not read). */
  skip(wire: number, limit: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        break;
      case LEN:
        this.pos = this.end(limit);
        return;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw new DecodeError(`unsupported wire type ${wire}`); // groups (3, 4) are not used by these protos
    }
    if (this.pos > limit) throw new DecodeError('fixed-width field runs past its message');
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** A length-delimited UTF-8 string. */
  string(limit: number): string {
    const end = this.end(limit);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** A length-delimited bytes field as a view into the message (no copy). */
  bytes(limit: number): Buffer {
    const end = this.end(limit);
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  double(limit: number): number {
    if (this.pos + 8 > limit) throw new DecodeError('double runs past its message');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
}

/** Bytes a varint of `n` (0 <= n < 2^53) takes. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  let v = Math.floor(n / 0x10000000);
  while (v > 0) {
    size++;
    v = Math.floor(v / 0x80);
  }
  return size;
}

/** Writes `n` as a varint at `pos`; returns the next position. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = n >= 0x100000000 ? Math.floor(n / 0x80) : n >>> 7;
  }
  buf[pos++] = n;
  return pos;
}

/** Size of a length-delimited field (tag < 16, so one tag byte) holding `len` bytes. */
export function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}
