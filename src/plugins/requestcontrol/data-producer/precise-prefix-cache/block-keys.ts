/**
 * Request keys of KV blocks, computed as llm-d-kv-cache computes them (kvblock/token_processor.go, default
 * "cbor-fnv" algorithm): tokens are cut into full blocks of `blockSizeTokens` (a partial tail is not hashed) and
 * chained as key_i = FNV-64a(CBOR_canonical([key_{i-1}, block_i tokens, null])), starting from
 * key_-1 = FNV-64a(CBOR([FNV-64a(hashSeed), null, modelName])). The picker hashes request tokens and event
 * tokens alike, so the engine's own hash algorithm never has to be reproduced.
 */

export interface BlockKeyConfig {
  readonly blockSizeTokens: number;
  /** Upstream hashSeed (aligned with the engines' PYTHONHASHSEED by the deployer). */
  readonly hashSeed: string;
}

export const DEFAULT_BLOCK_KEY_CONFIG: BlockKeyConfig = { blockSizeTokens: 16, hashSeed: '' };

const FNV_OFFSET = [0x2325, 0x8422, 0x9ce4, 0xcbf2] as const;
const CBOR_NULL = 0xf6;
const ENCODER = new TextEncoder();

/** FNV-64a in four 16-bit limbs (no BigInt on the per-byte path). */
class Fnv64a {
  h0 = 0;
  h1 = 0;
  h2 = 0;
  h3 = 0;
  reset(): void {
    this.h0 = FNV_OFFSET[0];
    this.h1 = FNV_OFFSET[1];
    this.h2 = FNV_OFFSET[2];
    this.h3 = FNV_OFFSET[3];
  }
  update(bytes: Uint8Array, len: number): void {
    let h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3;
    for (let i = 0; i < len; i++) {
      h0 ^= bytes[i] as number;
      // h * (2^40 + 0x1b3) mod 2^64: the 2^40 term adds limb k, shifted 8 bits, into limb k+2.
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3 + (t0 >>> 16);
      const t2 = h2 * 0x1b3 + (t1 >>> 16) + (h0 << 8);
      const t3 = h3 * 0x1b3 + Math.floor(t2 / 65536) + (h1 << 8);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }
  digest(): bigint {
    return (BigInt(this.h3 * 65536 + this.h2) << 32n) | BigInt(this.h1 * 65536 + this.h0);
  }
}

/** FNV-64a of `bytes` (exported for tests against the published vectors). */
export function fnv64a(bytes: Uint8Array): bigint {
  const h = new Fnv64a();
  h.reset();
  h.update(bytes, bytes.length);
  return h.digest();
}

/** Canonical CBOR writer for the three shapes the chain hashes: unsigned ints, arrays, text and null. */
class CborWriter {
  buf = new Uint8Array(1024);
  len = 0;
  #ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  head(major: number, value: number | bigint): void {
    this.#ensure(9);
    const m = major << 5;
    const b = this.buf;
    if (typeof value === 'bigint' && value > 0xffffffffn) {
      b[this.len++] = m | 27;
      const hi = Number(value >> 32n);
      const lo = Number(value & 0xffffffffn);
      this.#u32(hi);
      this.#u32(lo);
      return;
    }
    const v = Number(value);
    if (v < 24) b[this.len++] = m | v;
    else if (v < 0x100) {
      b[this.len++] = m | 24;
      b[this.len++] = v;
    } else if (v < 0x10000) {
      b[this.len++] = m | 25;
      b[this.len++] = v >>> 8;
      b[this.len++] = v & 0xff;
    } else {
      b[this.len++] = m | 26;
      this.#u32(v);
    }
  }
  #u32(v: number): void {
    const b = this.buf;
    b[this.len++] = (v >>> 24) & 0xff;
    b[this.len++] = (v >>> 16) & 0xff;
    b[this.len++] = (v >>> 8) & 0xff;
    b[this.len++] = v & 0xff;
  }
  byte(v: number): void {
    this.#ensure(1);
    this.buf[this.len++] = v;
  }
  text(s: string): void {
    const bytes = ENCODER.encode(s);
    this.head(3, bytes.length);
    this.#ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
}

/** Computes request keys for token sequences; one instance per producer (reuses its buffers). */
export class BlockKeyHasher {
  readonly config: BlockKeyConfig;
  readonly #fnv = new Fnv64a();
  readonly #cbor = new CborWriter();
  readonly #initHash: bigint;
  readonly #modelRoots = new Map<string, bigint>();

  constructor(config: BlockKeyConfig = DEFAULT_BLOCK_KEY_CONFIG) {
    if (!(config.blockSizeTokens > 0)) throw new Error(`blockSizeTokens must be > 0, got ${config.blockSizeTokens}`);
    this.config = config;
    this.#initHash = fnv64a(ENCODER.encode(config.hashSeed));
  }

  get blockSizeTokens(): number {
    return this.config.blockSizeTokens;
  }

  /** The chain's root for `model`: hash(initHash, null, model). */
  root(model: string): bigint {
    let r = this.#modelRoots.get(model);
    if (r === undefined) {
      const w = this.#cbor;
      w.len = 0;
      w.head(4, 3);
      w.head(0, this.#initHash);
      w.byte(CBOR_NULL);
      w.text(model);
      r = this.#digest();
      if (this.#modelRoots.size < 1024) this.#modelRoots.set(model, r);
    }
    return r;
  }

  /**
   * Keys of the full blocks of `tokens`, chained from `parent` (a key returned earlier) or, when parent is
   * null, from the root of `model`. At most `maxBlocks` keys.
   */
  keys(tokens: ArrayLike<number>, model: string, parent: bigint | null = null, maxBlocks = Infinity): bigint[] {
    const bs = this.config.blockSizeTokens;
    const n = Math.min(Math.floor(tokens.length / bs), maxBlocks);
    const out = new Array<bigint>(n);
    let prev = parent ?? this.root(model);
    const w = this.#cbor;
    for (let i = 0; i < n; i++) {
      w.len = 0;
      w.head(4, 3);
      w.head(0, prev);
      w.head(4, bs);
      for (let j = i * bs, end = j + bs; j < end; j++) w.head(0, tokens[j] as number);
      w.byte(CBOR_NULL);
      prev = this.#digest();
      out[i] = prev;
    }
    return out;
  }

  #digest(): bigint {
    this.#fnv.reset();
    this.#fnv.update(this.#cbor.buf, this.#cbor.len);
    return this.#fnv.digest();
  }
}
