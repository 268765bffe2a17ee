/**
 * The two word tables of PrefixIndex (open addressing, load <= 0.8, 0 = empty), as pure functions.
 *
 * Wide (Uint32Array), for tables still growing and for small capacities:
 *   bits 0-28  fingerprint: 29 bits of the block hash; its top bits scaled to the table are the home slot, so
 *              a wide table can be rebuilt at any size from its words alone;
 *   bits 29-31 generation tag. Linear probing. Two blocks are confused only when all 29 bits agree.
 *
 * Narrow (Uint16Array), for tables at their full size above NARROW_MIN_SIZE words: 2 bytes a word, half of wide.
 *   bits 0-2   generation tag;
 *   bits 3-7   displacement: how far the word sits past its home slot (Robin Hood insertion keeps it small:
 *              a simulation of 31,250 blocks at load 0.8 never went past 22; a word pushed past 31 is dropped);
 *   bits 8-15  remainder: 8 more bits of the fingerprint (never 0).
 *   The home slot stands for the fingerprint's top bits, the remainder for 8 of the rest: two blocks are
 *   confused when they share a home slot and a remainder, ~0.3% of lookups of an absent block at full load
 *   (a cache-affinity estimate survives that; the scorer's matched run grows by one block at most).
 *   A narrow table can be rebuilt at its own size only (homes are known, not the fingerprints).
 */

export const NONE = -1;
export const TAG_SHIFT = 29;
export const FP_MASK = 0x1fffffff;
const FP_RANGE = 2 ** TAG_SHIFT;
export const NARROW_TAG_MASK = 7;
const DISP_SHIFT = 3;
const DISP_MASK = 31 << DISP_SHIFT;
const MAX_DISP = 31;
export const REM_SHIFT = 8;
/** Full-size tables above this many words are narrow (below, the 2 bytes saved are not worth a second form). */
export const NARROW_MIN_SIZE = 512;

/** 29-bit fingerprint of a block hash, from both lanes (0 is reserved for "empty"). */
export function fingerprint(hi: number, lo: number): number {
  return (hi ^ Math.imul(lo, 0x9e3779b1)) >>> (32 - TAG_SHIFT) || 1;
}

/** Home slot in [0, size): fp × size / 2^29, exact in doubles for any table size. */
export function homeOf(fp: number, size: number): number {
  return ((fp * size) / FP_RANGE) >>> 0;
}

/**
 * The narrow word's remainder: 8 bits of the fingerprint, never 0, taken from the top of fp × 2^32/φ: a
 * fingerprint's own low bits are poorly mixed when block hashes are (sequential test keys left them odd 87%
 * of the time), while the top bits of the product depend on all of them.
 */
export function remainderOf(fp: number): number {
  return Math.imul(fp, 0x9e3779b1) >>> 24 || 1;
}

/**
 * A fingerprint with this home (in a table of `size` words) and narrow remainder: the first in the home's
 * range whose remainder matches (about 256 tries; used only to snapshot a narrow table).
 */
export function fingerprintOf(home: number, rem: number, size: number): number {
  let fp = Math.ceil((home * FP_RANGE) / size) || 1;
  for (; fp < FP_RANGE && homeOf(fp, size) === home; fp++) if (remainderOf(fp) === rem) return fp;
  return Math.ceil((home * FP_RANGE) / size) || 1; // no such fingerprint: keep the home at least
}

// ---------------------------------------------------------------- wide

export function findWide(table: Uint32Array, fp: number): number {
  const size = table.length;
  if (size === 0) return NONE;
  let i = homeOf(fp, size);
  for (;;) {
    const w = table[i]!;
    if (w === 0) return NONE;
    if ((w & FP_MASK) === fp) return i;
    if (++i === size) i = 0;
  }
}

/** Inserts a wide word (fingerprint | tag << 29); the table has an empty word. */
export function insertWide(table: Uint32Array, word: number): void {
  const size = table.length;
  let i = homeOf(word & FP_MASK, size);
  while (table[i] !== 0) if (++i === size) i = 0;
  table[i] = word;
}

// ---------------------------------------------------------------- narrow

export function findNarrow(table: Uint16Array, fp: number): number {
  const size = table.length;
  const rem = remainderOf(fp);
  let i = homeOf(fp, size);
  for (let d = 0; d <= MAX_DISP; d++) {
    const w = table[i]!;
    if (w === 0) return NONE;
    const wd = (w >>> DISP_SHIFT) & MAX_DISP;
    // Robin Hood order: a word closer to its home than we are to ours means ours is not further on.
    if (wd < d) return NONE;
    if (wd === d && w >>> REM_SHIFT === rem) return i;
    if (++i === size) i = 0;
  }
  return NONE;
}

/** Home slot of the narrow word at `i`. */
export function narrowHome(table: Uint16Array, i: number): number {
  const home = i - ((table[i]! >>> DISP_SHIFT) & MAX_DISP);
  return home < 0 ? home + table.length : home;
}

/**
 * Robin Hood insert of (home, remainder, tag): a word further from its home takes the slot of one closer to
 * its own, which moves on. Returns the tag of a word pushed past the displacement limit and dropped (it may
 * be the new one), or NONE.
 */
export function insertNarrow(table: Uint16Array, home: number, rem: number, tag: number): number {
  const size = table.length;
  let carry = (rem << REM_SHIFT) | tag;
  let i = home;
  for (let d = 0; ; ) {
    const w = table[i]!;
    if (w === 0) {
      table[i] = carry | (d << DISP_SHIFT);
      return NONE;
    }
    const wd = (w >>> DISP_SHIFT) & MAX_DISP;
    if (wd < d) {
      table[i] = carry | (d << DISP_SHIFT);
      carry = w & ~DISP_MASK;
      d = wd;
    }
    if (++i === size) i = 0;
    if (++d > MAX_DISP) return carry & NARROW_TAG_MASK;
  }
}
