/**
 * google.protobuf.Struct / Value / ListValue in the object form protobufjs gives them (camelCase field names:
 * stringValue, structValue, listValue; nullValue as the enum name), read and written by the ext_proc codec.
 * Gateway metadata (subset hints, the served endpoint) and the picker's envoy.lb metadata travel in these.
 */
import type { PbStruct, PbValue } from './proto.ts';
import { Cursor, DecodeError, FIXED64, LEN, lenFieldSize, VARINT, writeVarint } from './wire.ts';

const MAX_DEPTH = 32;

/** Reads a Struct occupying [c.pos, end). */
export function readStruct(c: Cursor, end: number, depth = 0): PbStruct {
  if (depth > MAX_DEPTH) throw new DecodeError('Struct nested too deeply');
  const fields: Record<string, PbValue> = {};
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === ((1 << 3) | LEN)) {
      // map<string, Value> entry: {1: key, 2: value}
      const entryEnd = c.end(end);
      let key = '';
      let value: PbValue = {};
      while (c.pos < entryEnd) {
        const t = c.varint();
        if (t === ((1 << 3) | LEN)) key = c.string(entryEnd);
        else if (t === ((2 << 3) | LEN)) value = readValue(c, c.end(entryEnd), depth + 1);
        else c.skip(t & 7, entryEnd);
      }
      fields[key] = value;
    } else {
      c.skip(tag & 7, end);
    }
  }
  return { fields };
}

function readValue(c: Cursor, end: number, depth: number): PbValue {
  if (depth > MAX_DEPTH) throw new DecodeError('Value nested too deeply');
  const v: PbValue = {};
  while (c.pos < end) {
    const tag = c.varint();
    switch (tag) {
      case (1 << 3) | VARINT:
        c.varint();
        v.nullValue = 'NULL_VALUE';
        break;
      case (2 << 3) | FIXED64:
        v.numberValue = c.double(end);
        break;
      case (3 << 3) | LEN:
        v.stringValue = c.string(end);
        break;
      case (4 << 3) | VARINT:
        v.boolValue = c.bool();
        break;
      case (5 << 3) | LEN:
        v.structValue = readStruct(c, c.end(end), depth + 1);
        break;
      case (6 << 3) | LEN: {
        const listEnd = c.end(end);
        const values: PbValue[] = [];
        while (c.pos < listEnd) {
          const t = c.varint();
          if (t === ((1 << 3) | LEN)) values.push(readValue(c, c.end(listEnd), depth + 1));
          else c.skip(t & 7, listEnd);
        }
        v.listValue = { values };
        break;
      }
      default:
        c.skip(tag & 7, end);
    }
  }
  return v;
}

// ---- encoding. Sizes first: size*() functions record the body size of every nested message in a SizeList,
// in pre-order; write*() functions write a message's body, and the caller writes the child's tag and its length
// (the next recorded size) before calling the child's writer, so the reads follow the same pre-order.

/** Body sizes of nested messages, recorded in pre-order by size*() and read back in the same order. */
export class SizeList {
  sizes: number[] = [];
  n = 0;
  read = 0;

  reset(): void {
    this.n = 0;
    this.read = 0;
  }

  /** Reserves a slot for a message whose size is known after its children were sized. */
  reserve(): number {
    return this.n++;
  }

  set(slot: number, size: number): number {
    this.sizes[slot] = size;
    return size;
  }

  next(): number {
    return this.sizes[this.read++]!;
  }
}

export function strSize(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Writes a length-prefixed UTF-8 string (tag written by the caller). */
export function writeStr(buf: Buffer, pos: number, s: string, bytes: number): number {
  pos = writeVarint(buf, pos, bytes);
  return pos + buf.write(s, pos, 'utf8');
}

/** Body size of a Struct. */
export function sizeStruct(s: PbStruct, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  const fields = s.fields;
  if (fields) {
    for (const key in fields) {
      const entrySlot = sl.reserve();
      const entry = lenFieldSize(strSize(key)) + lenFieldSize(sizeValue(fields[key]!, sl));
      size += lenFieldSize(sl.set(entrySlot, entry));
    }
  }
  return sl.set(slot, size);
}

function sizeValue(v: PbValue, sl: SizeList): number {
  const slot = sl.reserve();
  let size = 0;
  if (v.nullValue !== undefined && v.nullValue !== null) size += 2;
  if (v.numberValue !== undefined && v.numberValue !== null) size += 9;
  if (v.stringValue !== undefined && v.stringValue !== null) size += lenFieldSize(strSize(v.stringValue));
  if (v.boolValue !== undefined && v.boolValue !== null) size += 2;
  if (v.structValue) size += lenFieldSize(sizeStruct(v.structValue, sl));
  if (v.listValue) {
    const listSlot = sl.reserve();
    let list = 0;
    for (const item of v.listValue.values ?? []) list += lenFieldSize(sizeValue(item, sl));
    size += lenFieldSize(sl.set(listSlot, list));
  }
  return sl.set(slot, size);
}

/** Writes a Struct's body at `pos`; returns the next position. */
export function writeStruct(s: PbStruct, buf: Buffer, pos: number, sl: SizeList): number {
  const fields = s.fields;
  if (!fields) return pos;
  for (const key in fields) {
    buf[pos++] = (1 << 3) | LEN;
    pos = writeVarint(buf, pos, sl.next()); // entry
    buf[pos++] = (1 << 3) | LEN;
    pos = writeStr(buf, pos, key, strSize(key));
    buf[pos++] = (2 << 3) | LEN;
    pos = writeVarint(buf, pos, sl.next());
    pos = writeValue(fields[key]!, buf, pos, sl);
  }
  return pos;
}

function writeValue(v: PbValue, buf: Buffer, pos: number, sl: SizeList): number {
  if (v.nullValue !== undefined && v.nullValue !== null) {
    buf[pos++] = (1 << 3) | VARINT;
    buf[pos++] = 0;
  }
  if (v.numberValue !== undefined && v.numberValue !== null) {
    buf[pos++] = (2 << 3) | FIXED64;
    pos = buf.writeDoubleLE(v.numberValue, pos);
  }
  if (v.stringValue !== undefined && v.stringValue !== null) {
    buf[pos++] = (3 << 3) | LEN;
    pos = writeStr(buf, pos, v.stringValue, strSize(v.stringValue));
  }
  if (v.boolValue !== undefined && v.boolValue !== null) {
    buf[pos++] = (4 << 3) | VARINT;
    buf[pos++] = v.boolValue ? 1 : 0;
  }
  if (v.structValue) {
    buf[pos++] = (5 << 3) | LEN;
    pos = writeVarint(buf, pos, sl.next());
    pos = writeStruct(v.structValue, buf, pos, sl);
  }
  if (v.listValue) {
    buf[pos++] = (6 << 3) | LEN;
    pos = writeVarint(buf, pos, sl.next());
    for (const item of v.listValue.values ?? []) {
      buf[pos++] = (1 << 3) | LEN;
      pos = writeVarint(buf, pos, sl.next());
      pos = writeValue(item, buf, pos, sl);
    }
  }
  return pos;
}
