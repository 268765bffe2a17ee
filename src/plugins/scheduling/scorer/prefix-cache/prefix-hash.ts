/**
 * Prefix block hashing: a hash chain over fixed-size character blocks of the prompt, so a match on block i
 * implies blocks 0..i-1 match too.
 *
 * The hash is 64 bits kept as two int32 lanes (two lanes of the MurmurHash3 x86_128 round, cross-mixed each
 * round and in the finaliser), read straight from UTF-16 code units with charCodeAt: no TextEncoder copy, no BigInt, and
 * the halves stay small integers in V8 (no heap-number boxing when stored in Int32Array or passed to a
 * call). Collision odds for N live entries are about N^2 / 2^65: 3e-7 at 3 million entries (100 servers at
 * the default LRU capacity). Not cryptographic, like upstream's xxhash64; the index is not keyed by
 * anything a client could use to read another client's data.
 */

// MurmurHash3 x86_128 constants; two of its four 32-bit lanes are used.
const C1 = 0x239b961b | 0;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5 | 0;
const F1 = 0x85ebca6b | 0;
const F2 = 0xc2b2ae35 | 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, F1);
  h ^= h >>> 13;
  h = Math.imul(h, F2);
  return h ^ (h >>> 16);
}

/**
 * The text being hashed as UTF-16 code units, two per 32-bit word (unit 2i in the low half of word i, as
 * on every little-endian machine Node runs on): Buffer.write(text, 'utf16le') fills it at ~20 G units/s,
 * and the hash loop then reads typed-array words instead of calling charCodeAt per unit (about 2x faster,
 * bench/pick.bench.ts). Grown on demand, never shrunk; hashing is synchronous, so one is shared.
 */
let words = new Int32Array(8 * 1024);
let wordBytes = Buffer.from(words.buffer);

function ensureUnits(units: number): void {
  if (words.length * 2 >= units + 2) return;
  words = new Int32Array(Math.ceil((units + 2) / 2 / 4096) * 4096);
  wordBytes = Buffer.from(words.buffer);
}

/**
 * Hashes `n` UTF-16 units starting at unit 2 * w0 of `words`, seeded with (seedHi, seedLo); writes the two
 * lanes to outHi[at], outLo[at]. Four units per round, one 32-bit word into each lane, each lane adding the
 * other after its mix (the MurmurHash3 x86_128 round, on two lanes).
 */
function hashWords(w: Int32Array, w0: number, n: number, seedHi: number, seedLo: number, outHi: Int32Array, outLo: Int32Array, at: number): void {
  let h1 = seedHi | 0;
  let h2 = (seedLo ^ 0x9e3779b9) | 0;
  let j = w0;
  const roundsEnd = w0 + ((n >>> 2) << 1);
  for (; j < roundsEnd; j += 2) {
    let k1 = Math.imul(w[j]!, C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;
    let k2 = Math.imul(w[j + 1]!, C2);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C3);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (h2 + h1) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
  }
  // 0-3 trailing units: up to two into lane 1, the third into lane 2.
  const rest = n & 3;
  if (rest > 0) {
    let k1 = Math.imul(rest > 1 ? w[j]! : w[j]! & 0xffff, C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    if (rest > 2) {
      let k2 = Math.imul(w[j + 1]! & 0xffff, C2);
      h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C3);
    }
  }
  h1 ^= n;
  h2 ^= n;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  outHi[at] = h1;
  outLo[at] = h2;
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
  const n = end - start;
  ensureUnits(n);
  wordBytes.write(start === 0 && end === text.length ? text : text.slice(start, end), 0, n * 2, 'utf16le');
  hashWords(words, 0, n, seedHi, seedLo, outHi, outLo, at);
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
  // Even blocks start on word boundaries: encode the window once. Odd ones (an unusual config) go one by one.
  const aligned = (blockChars & 1) === 0;
  if (aligned) {
    ensureUnits(limit);
    wordBytes.write(text, 0, limit * 2, 'utf16le');
  }
  let hi = seedHi;
  let lo = seedLo;
  let blocks = 0;
  for (let start = 0; start < limit; start += blockChars) {
    const end = start + blockChars < limit ? start + blockChars : limit;
    if (aligned) hashWords(words, start >>> 1, end - start, hi, lo, outHi, outLo, blocks);
    else hashRange(text, start, end, hi, lo, outHi, outLo, blocks);
    hi = outHi[blocks]!;
    lo = outLo[blocks]!;
    blocks++;
  }
  return blocks;
}
