/**
 * Prefix block hashing: a hash chain over fixed-size blocks of the prompt's UTF-8 bytes, so a match on block i
 * implies blocks 0..i-1 match too. Blocks are bytes, not characters: for ASCII (JSON bodies mostly are) the
 * same thing, and upstream's block size is itself tokens x 4 "characters" of a byte-oriented estimate.
 *
 * The hash is 64 bits kept as two int32 lanes (two lanes of the MurmurHash3 x86_128 round, cross-mixed each
 * round and in the finaliser): no BigInt, and the halves stay small integers in V8 (no heap-number boxing
 * when stored in Int32Array or passed to a call). Collision odds for N live entries are about N^2 / 2^65:
 * 3e-7 at 3 million entries (100 servers at the default LRU capacity). Not cryptographic, like upstream's
 * xxhash64; the index is not keyed by anything a client could use to read another client's data.
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
 * The bytes being hashed, four per 32-bit word (little-endian, as every machine Node runs on):
 * Buffer.write(text, 'utf8') fills it (a copy for one-byte strings), and the hash loop reads typed-array
 * words, 8 bytes a round. UTF-8 against the UTF-16 units used before: half the bytes for ASCII, so half the
 * rounds and half the copy (bench/overhead/README.md). Grown on demand, never shrunk; hashing is synchronous, so one
 * is shared.
 */
let words = new Int32Array(8 * 1024);
let wordBytes = Buffer.from(words.buffer);
/** Where blocks of a size that is not a multiple of 4 are copied to be hashed from a word boundary. */
let blockWords = new Int32Array(64);
let blockBytes = Buffer.from(blockWords.buffer);

function ensureBytes(bytes: number): void {
  if (wordBytes.length >= bytes + 8) return;
  words = new Int32Array(Math.ceil((bytes + 8) / 4 / 4096) * 4096);
  wordBytes = Buffer.from(words.buffer);
}

/** Little-endian mask of the low `b` bytes of a word, b in 0..4. */
function lowBytes(w: number, b: number): number {
  return b >= 4 ? w : b <= 0 ? 0 : w & ((1 << (b << 3)) - 1);
}

/**
 * Hashes `n` bytes starting at word `w0` of `w`, seeded with (seedHi, seedLo); writes the two lanes to
 * outHi[at], outLo[at]. Eight bytes per round, one 32-bit word into each lane, each lane adding the other
 * after its mix (the MurmurHash3 x86_128 round, on two lanes).
 */
function hashWords(w: Int32Array, w0: number, n: number, seedHi: number, seedLo: number, outHi: Int32Array, outLo: Int32Array, at: number): void {
  let h1 = seedHi | 0;
  let h2 = (seedLo ^ 0x9e3779b9) | 0;
  let j = w0;
  const roundsEnd = w0 + ((n >>> 3) << 1);
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
  // 0-7 trailing bytes: up to four into lane 1, the rest into lane 2.
  const rest = n & 7;
  if (rest > 0) {
    let k1 = Math.imul(lowBytes(w[j]!, rest), C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    if (rest > 4) {
      let k2 = Math.imul(lowBytes(w[j + 1]!, rest - 4), C2);
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

/** Hashes bytes[start, end) seeded with (seedHi, seedLo); writes the two lanes to outHi[at], outLo[at]. */
export function hashBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  seedHi: number,
  seedLo: number,
  outHi: Int32Array,
  outLo: Int32Array,
  at: number,
): void {
  const n = end - start;
  if (blockBytes.length < n + 8) {
    blockWords = new Int32Array(Math.ceil((n + 8) / 4));
    blockBytes = Buffer.from(blockWords.buffer);
  }
  blockBytes.set(bytes.subarray(start, end), 0);
  hashWords(blockWords, 0, n, seedHi, seedLo, outHi, outLo, at);
}

/** Hashes the UTF-8 bytes of `text` seeded with (seedHi, seedLo); writes the lanes to outHi[at], outLo[at]. */
function hashText(text: string, seedHi: number, seedLo: number, outHi: Int32Array, outLo: Int32Array, at: number): void {
  ensureBytes(text.length * 3);
  const n = wordBytes.write(text, 0, 'utf8');
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
  hashText(model, SEED_HI, SEED_LO, SEED_SCRATCH_HI, SEED_SCRATCH_LO, 0);
  hashText(salt, SEED_SCRATCH_HI[0]!, SEED_SCRATCH_LO[0]!, SEED_SCRATCH_HI, SEED_SCRATCH_LO, 0);
  out[0] = SEED_SCRATCH_HI[0]!;
  out[1] = SEED_SCRATCH_LO[0]!;
}

/**
 * Hashes the prompt's UTF-8 bytes into at most `maxBlocks` chained blocks of `blockSize` bytes, the trailing
 * partial block included. Returns the block count; 0 when the prompt is shorter than one block.
 * outHi/outLo must hold at least maxBlocks entries.
 */
export function hashPromptBlocks(
  text: string,
  blockSize: number,
  maxBlocks: number,
  seedHi: number,
  seedLo: number,
  outHi: Int32Array,
  outLo: Int32Array,
): number {
  // A UTF-8 encoding is at least as long as the string: a short string cannot fill a block.
  if (text.length < blockSize / 3 || maxBlocks <= 0) return 0;
  const window = maxBlocks * blockSize;
  ensureBytes(window + 4);
  // Encodes only the window. write() stops at a character boundary, so 3 bytes more let the character that
  // straddles the window's end in whole, and the window is then cut at exactly `window` bytes.
  const written = wordBytes.write(text, 0, window + 3, 'utf8');
  const limit = written < window ? written : window;
  if (limit < blockSize) return 0;
  // Blocks that start on word boundaries are hashed in place; other sizes (a legacy config) are copied.
  const aligned = (blockSize & 3) === 0;
  let hi = seedHi;
  let lo = seedLo;
  let blocks = 0;
  for (let start = 0; start < limit; start += blockSize) {
    const end = start + blockSize < limit ? start + blockSize : limit;
    if (aligned) hashWords(words, start >>> 2, end - start, hi, lo, outHi, outLo, blocks);
    else hashBytes(wordBytes, start, end, hi, lo, outHi, outLo, blocks);
    hi = outHi[blocks]!;
    lo = outLo[blocks]!;
    blocks++;
  }
  return blocks;
}
