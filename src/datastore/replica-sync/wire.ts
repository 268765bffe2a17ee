/**
 * Byte layout of a sync batch and a snapshot: records of (state key, bytes), length-prefixed.
 * A batch body is the records; an empty body is a heartbeat. A snapshot body starts with the replica ids its
 * sender hears from, so a joiner can expire the ones that turn out to be dead.
 */

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export interface SyncRecord {
  readonly key: string;
  readonly bytes: Uint8Array;
}

function sizeOf(strings: readonly string[], records: readonly SyncRecord[]): number {
  let n = 0;
  for (const s of strings) n += 2 + utf8.encode(s).length;
  for (const r of records) n += 2 + utf8.encode(r.key).length + 4 + r.bytes.length;
  return n;
}

class Writer {
  readonly out: Uint8Array;
  readonly #view: DataView;
  #at = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.#view = new DataView(this.out.buffer);
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.#view.setUint16(this.#at, b.length);
    this.out.set(b, this.#at + 2);
    this.#at += 2 + b.length;
  }
  bytes(b: Uint8Array): void {
    this.#view.setUint32(this.#at, b.length);
    this.out.set(b, this.#at + 4);
    this.#at += 4 + b.length;
  }
  u16(n: number): void {
    this.#view.setUint16(this.#at, n);
    this.#at += 2;
  }
}

class Reader {
  readonly #b: Uint8Array;
  readonly #view: DataView;
  at = 0;
  constructor(b: Uint8Array) {
    this.#b = b;
    this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get done(): boolean {
    return this.at >= this.#b.length;
  }
  string(): string {
    const n = this.#view.getUint16(this.at);
    const s = fromUtf8.decode(this.#b.subarray(this.at + 2, this.at + 2 + n));
    this.at += 2 + n;
    return s;
  }
  bytes(): Uint8Array {
    const n = this.#view.getUint32(this.at);
    if (this.at + 4 + n > this.#b.length) throw new RangeError('sync record past the end of its message');
    const b = this.#b.subarray(this.at + 4, this.at + 4 + n);
    this.at += 4 + n;
    return b;
  }
  u16(): number {
    const n = this.#view.getUint16(this.at);
    this.at += 2;
    return n;
  }
}

export function encodeBatch(records: readonly SyncRecord[]): Uint8Array {
  const w = new Writer(sizeOf([], records));
  for (const r of records) {
    w.string(r.key);
    w.bytes(r.bytes);
  }
  return w.out;
}

export function decodeBatch(body: Uint8Array): SyncRecord[] {
  const r = new Reader(body);
  const records: SyncRecord[] = [];
  while (!r.done) records.push({ key: r.string(), bytes: r.bytes() });
  return records;
}

export function encodeSnapshot(replicas: readonly string[], records: readonly SyncRecord[]): Uint8Array {
  const w = new Writer(2 + sizeOf(replicas, records));
  w.u16(replicas.length);
  for (const id of replicas) w.string(id);
  for (const r of records) {
    w.string(r.key);
    w.bytes(r.bytes);
  }
  return w.out;
}

export function decodeSnapshot(body: Uint8Array): { replicas: string[]; records: SyncRecord[] } {
  const r = new Reader(body);
  const replicas: string[] = [];
  for (let n = r.u16(); n > 0; n--) replicas.push(r.string());
  const records: SyncRecord[] = [];
  while (!r.done) records.push({ key: r.string(), bytes: r.bytes() });
  return { replicas, records };
}
