/**
 * Prefix block hashing: a hash chain over fixed-size character blocks of the prompt, so a match on block i
 * implies blocks 0..i-1 match too.
 *
 * The hash is 64 bits kept as two int32 lanes (a MurmurHash3-style x86 mix on two lanes with cross-mixing in
 * the finaliser), read straight from UTF-16 code units with charCodeAt: no TextEncoder copy, no BigInt, and
 * the halves stay small integers in V8 (no heap-number boxing when stored in Int32Array or passed to a
 * call). Collision odds for N live entries are about N^2 / 2^65: 3e-7 at 3 million entries (100 servers at
 * the default LRU capacity). Not cryptographic, like upstream's xxhash64; the index is not keyed by
 * anything a client could use to read another client's data.
 */

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
const C3 = 0x85ebca6b | 0;
const C4 = 0xc2b2ae35 | 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, C3);
  h ^= h >>> 13;
  h = Math.imul(h, C4);
  return h ^ (h >>> 16);
}

/** Hashes text[start, end) seeded with (seedHi, seedLo); writes the two lanes to outHi[at], outLo[at]. */
export function hashRange(
  text: string,
  start: number,
  end: number,
  seedHi: number,
  seedLo: number,
  outHi: Int32Array,
  outLo: Int32Array,
  at: number,
): void {
  let h1 = seedHi | 0;
  let h2 = (seedLo ^ 0x9e3779b9) | 0;
  let i = start;
  const pairsEnd = start + ((end - start) & ~1);
  // Two UTF-16 units per 32-bit word.
  for (; i < pairsEnd; i += 2) {
    const k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    let k1 = Math.imul(k, C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k, C3);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C4);
    h2 ^= k2;
    h2 = (Math.imul((h2 << 17) | (h2 >>> 15), 5) + 0x38b34ae5) | 0;
  }
  if (i < end) {
    const k = text.charCodeAt(i);
    let k1 = Math.imul(k, C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    let k2 = Math.imul(k, C3);
    h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C4);
  }
  const len = end - start;
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  outHi[at] = h1;
  outLo[at] = h2;
}

const SEED_HI = 0x5eed1234 | 0;
const SEED_LO = 0x0badc0de | 0;

const SEED_SCRATCH_HI = new Int32Array(1);
const SEED_SCRATCH_LO = new Int32Array(1);

/**
 * Chain seed from the target model and the cache salt: requests for different models or salts never share
 * blocks. Writes the seed to out[0] (hi) and out[1] (lo).
 */
export function seedHash(model: string, salt: string, out: Int32Array): void {
  hashRange(model, 0, model.length, SEED_HI, SEED_LO, SEED_SCRATCH_HI, SEED_SCRATCH_LO, 0);
  hashRange(salt, 0, salt.length, SEED_SCRATCH_HI[0]!, SEED_SCRATCH_LO[0]!, SEED_SCRATCH_HI, SEED_SCRATCH_LO, 0);
  out[0] = SEED_SCRATCH_HI[0]!;
  out[1] = SEED_SCRATCH_LO[0]!;
}

/**
 * Hashes the prompt into at most `maxBlocks` chained blocks of `blockChars` characters, the trailing
 * partial block included. Returns the block count; 0 when the prompt is shorter than one block.
 * outHi/outLo must hold at least maxBlocks entries.
 */
export function hashPromptBlocks(
  text: string,
  blockChars: number,
  maxBlocks: number,
  seedHi: number,
  seedLo: number,
  outHi: Int32Array,
  outLo: Int32Array,
): number {
  const total = text.length;
  if (total < blockChars || maxBlocks <= 0) return 0;
  const limit = total < maxBlocks * blockChars ? total : maxBlocks * blockChars;
  let hi = seedHi;
  let lo = seedLo;
  let blocks = 0;
  for (let start = 0; start < limit; start += blockChars) {
    const end = start + blockChars < limit ? start + blockChars : limit;
    hashRange(text, start, end, hi, lo, outHi, outLo, blocks);
    hi = outHi[blocks]!;
    lo = outLo[blocks]!;
    blocks++;
  }
  return blocks;
}
