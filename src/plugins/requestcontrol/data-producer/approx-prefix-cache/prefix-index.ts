/**
 * Approximate prefix-cache index: which endpoint has recently been sent which block hash.
 *
 * Upstream keeps `map[hash]set(pod)` plus one golang-lru per pod (well over 100 bytes per entry in Go; our
 * first linked-LRU version took 35). Here each endpoint slot owns one open-addressing table of words
 * (index-tables.ts): 32-bit words holding a 29-bit fingerprint while the table grows, 16-bit words (home slot
 * + 8-bit remainder, Robin Hood placed) once it is at its full size, both with a 3-bit generation tag.
 *
 * Recency is generational instead of a linked LRU (8 bytes of links plus 12 of key per entry):
 *  - new and re-added blocks go to the current generation; when it holds capacity/8 entries the next tag
 *    becomes current;
 *  - an add past capacity drops the oldest generation, at most capacity/8 entries at a time;
 *  - if the next tag still holds old entries while the slot is under capacity (refreshes drained the younger
 *    generations), they are merged into the next-oldest generation, not dropped.
 * So nothing is dropped under capacity, the newest capacity/8 blocks are always held, a slot filled by new
 * blocks keeps between 7/8 of its capacity and all of it, and capacities up to 4 are exact LRU. On a skewed
 * block stream it gets 95% of exact LRU's hits (prefix-index.test.ts requires 93%).
 *
 * Memory: 2 bytes / 0.8 = 2.5 bytes per entry at capacity for capacities over ~400 blocks (70 MB for 1,000
 * endpoints x 31,250 blocks), 5 below; a table starts at an eighth of its full size in the 32-bit form, so a
 * quiet endpoint holds little, and turns narrow when it grows to full size. Drops and merges pass over the
 * whole table (into a reused scratch array), about 20 word operations per added block, amortised. Lookups and
 * adds allocate nothing once the tables have grown.
 */
import {
  FP_MASK,
  NARROW_MIN_SIZE,
  NARROW_TAG_MASK,
  NONE,
  REM_SHIFT,
  TAG_SHIFT,
  fingerprint,
  fingerprintOf,
  findNarrow,
  findWide,
  homeOf,
  insertNarrow,
  insertWide,
  narrowHome,
  remainderOf,
} from './index-tables.ts';

const GENERATIONS = 8;
const MAX_LOAD = 0.8;
const MIN_TABLE_SIZE = 64;
const MIN_SLOTS = 16;
const EMPTY_WIDE: Uint32Array = new Uint32Array(0);
const EMPTY_NARROW: Uint16Array = new Uint16Array(0);

export class PrefixIndex {
  #live = 0;

  // ---- endpoint slots: a slot's table is wide or narrow; the other one is empty.
  readonly #slotByKey = new Map<string, number>();
  #wide: Uint32Array[] = [];
  #narrow: Uint16Array[] = [];
  /** Table size once the slot holds its capacity: the most the table grows to. */
  #fullSize = new Int32Array(MIN_SLOTS);
  #capacity = new Int32Array(MIN_SLOTS);
  /** Entries one generation takes before the next becomes current: ceil(capacity / 8). */
  #genLimit = new Int32Array(MIN_SLOTS);
  #count = new Int32Array(MIN_SLOTS);
  #current = new Int32Array(MIN_SLOTS);
  /** Entries per (slot, generation), at slot * 8 + generation. */
  #genCount = new Int32Array(MIN_SLOTS * GENERATIONS);
  #slotTop = 0;
  readonly #freeSlots: number[] = [];
  #wideScratch = EMPTY_WIDE;
  #narrowScratch = EMPTY_NARROW;
  #dropTurn = 0;

  /** Number of (block, endpoint) entries held. */
  get entries(): number {
    return this.#live;
  }

  get endpointCount(): number {
    return this.#slotByKey.size;
  }

  /** Bytes held by the tables, for the memory benchmark. */
  get tableBytes(): number {
    let bytes = this.#wideScratch.byteLength + this.#narrowScratch.byteLength;
    for (const t of this.#wide) bytes += t.byteLength;
    for (const t of this.#narrow) bytes += t.byteLength;
    return bytes;
  }

  /** Slot of an endpoint key, or -1 when the index holds nothing for it. */
  slotOf(key: string): number {
    const s = this.#slotByKey.get(key);
    return s === undefined ? NONE : s;
  }

  /** Slot for `key`, created with `capacity` entries when new. */
  ensureSlot(key: string, capacity: number): number {
    const existing = this.#slotByKey.get(key);
    if (existing !== undefined) return existing;
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#slotTop++;
      if (slot >= this.#capacity.length) this.#growSlots();
    }
    this.#slotByKey.set(key, slot);
    this.#reset(slot, capacity);
    return slot;
  }

  capacityOf(slot: number): number {
    return this.#capacity[slot]!;
  }

  sizeOf(slot: number): number {
    return this.#count[slot]!;
  }

  /**
   * Changes a slot's capacity. When it shrinks, the oldest generations are dropped whole until the rest fit;
   * if the current generation alone is still over, it is halved by fingerprint until it fits. A narrow table
   * cannot be re-homed at another size (it keeps homes, not fingerprints), so a slot that has one starts
   * empty: with autoTune a new capacity means a new num_gpu_blocks, i.e. a restarted server whose cache is
   * empty anyway.
   */
  setCapacity(slot: number, capacity: number): void {
    if (this.#narrow[slot]!.length > 0) {
      if (Math.max(1, Math.floor(capacity)) !== this.#capacity[slot]) this.#reset(slot, capacity);
      return;
    }
    this.#setLimits(slot, capacity);
    const cap = this.#capacity[slot]!;
    const base = slot * GENERATIONS;
    const cur = this.#current[slot]!;
    for (let k = 1; k < GENERATIONS && this.#count[slot]! > cap; k++) {
      const g = (cur + k) % GENERATIONS;
      if (this.#genCount[base + g]! > 0) this.#rebuild(slot, this.#wide[slot]!.length, g);
    }
    // Every word left is ≡ 0 mod 2^j, so dropping those ≡ 2^j mod 2^(j+1) halves what is left.
    for (let j = 0; j < TAG_SHIFT && this.#count[slot]! > cap; j++) this.#rebuild(slot, this.#wide[slot]!.length, cur, 2 ** (j + 1), 2 ** j);
    if (this.#wide[slot]!.length > this.#fullSize[slot]!) this.#rebuild(slot, this.#fullSize[slot]!, NONE);
  }

  has(slot: number, hi: number, lo: number): boolean {
    return this.#find(slot, fingerprint(hi, lo)) !== NONE;
  }

  /** has() for a block whose fingerprint (index-tables.ts `fingerprint`) the caller computed once. */
  holds(slot: number, fp: number): boolean {
    return this.#find(slot, fp) !== NONE;
  }

  /**
   * Records block (hi, lo) on the slot as most recently used, dropping the slot's oldest generation when full.
   * Returns whether the slot held the block before (also when making room dropped it and it was re-added).
   */
  add(slot: number, hi: number, lo: number): boolean {
    return this.addFingerprint(slot, fingerprint(hi, lo));
  }

  /** add() of a block by its fingerprint (what replicas exchange). */
  addFingerprint(slot: number, fp: number): boolean {
    // Fast path, the common case of a repeated prompt: the block is already in the current generation.
    const cur = this.#current[slot]!;
    const narrow = this.#narrow[slot]!;
    let at: number;
    if (narrow.length > 0) {
      at = findNarrow(narrow, fp);
      if (at !== NONE && (narrow[at]! & NARROW_TAG_MASK) === cur) return true;
    } else {
      const wide = this.#wide[slot]!;
      at = findWide(wide, fp);
      if (at !== NONE && wide[at]! >>> TAG_SHIFT === cur) return true;
    }
    return this.#addOrRefresh(slot, fp, at);
  }

  /** add() of a block that is absent (`at` NONE) or at `at` in an older generation. */
  #addOrRefresh(slot: number, fp: number, at: number): boolean {
    const base = slot * GENERATIONS;
    let cur = this.#current[slot]!;
    const adding = at === NONE;
    if (this.#genCount[base + cur]! >= this.#genLimit[slot]! || (adding && this.#count[slot]! >= this.#capacity[slot]!)) {
      this.#makeRoom(slot, adding);
      cur = this.#current[slot]!;
      at = this.#find(slot, fp); // the rebuild may have moved or dropped it
    }
    if (at !== NONE) {
      // Refresh: move the entry into the current generation.
      this.#genCount[base + this.#tagAt(slot, at)]!--;
      this.#setTag(slot, at, cur);
      this.#genCount[base + cur]!++;
      return true;
    }
    const wide = this.#wide[slot]!;
    if (wide.length > 0 && this.#count[slot]! + 1 > wide.length * MAX_LOAD && wide.length < this.#fullSize[slot]!) {
      this.#rebuild(slot, this.#fullSize[slot]!, NONE);
    }
    this.#genCount[base + cur]!++;
    this.#count[slot]!++;
    this.#live++;
    const narrow = this.#narrow[slot]!;
    if (narrow.length > 0) this.#dropped(slot, insertNarrow(narrow, homeOf(fp, narrow.length), remainderOf(fp), cur));
    else insertWide(this.#wide[slot]!, (fp | (cur << TAG_SHIFT)) >>> 0);
    return !adding;
  }

  /**
   * Calls `visit` with every fingerprint the slot holds, oldest generation first (a replica's snapshot: added
   * in this order, a peer's slot ends up with the same recency). A narrow word keeps only its home and 8 bits,
   * so a fingerprint with that home and remainder stands in for it: same home and remainder in a table of
   * the same size, i.e. the same entry on a peer with the same capacity.
   */
  forEachFingerprint(slot: number, visit: (fp: number) => void): void {
    const cur = this.#current[slot]!;
    const narrow = this.#narrow[slot]!;
    const wide = this.#wide[slot]!;
    for (let k = 1; k <= GENERATIONS; k++) {
      const g = (cur + k) % GENERATIONS;
      if (this.#genCount[slot * GENERATIONS + g] === 0) continue;
      if (narrow.length > 0) {
        for (let i = 0; i < narrow.length; i++) {
          const w = narrow[i]!;
          if (w !== 0 && (w & NARROW_TAG_MASK) === g) visit(fingerprintOf(narrowHome(narrow, i), w >>> REM_SHIFT, narrow.length));
        }
      } else {
        for (let i = 0; i < wide.length; i++) {
          const w = wide[i]!;
          if (w !== 0 && w >>> TAG_SHIFT === g) visit(w & FP_MASK);
        }
      }
    }
  }

  /** Endpoint keys with a slot. */
  keys(): IterableIterator<string> {
    return this.#slotByKey.keys();
  }

  /** Drops everything held for an endpoint. Returns false when the index held nothing for it. */
  removeEndpoint(key: string): boolean {
    const slot = this.#slotByKey.get(key);
    if (slot === undefined) return false;
    this.#live -= this.#count[slot]!;
    this.#count[slot] = 0;
    this.#wide[slot] = EMPTY_WIDE;
    this.#narrow[slot] = EMPTY_NARROW;
    this.#slotByKey.delete(key);
    this.#freeSlots.push(slot);
    return true;
  }

  // ---------------------------------------------------------------- words of either form

  #find(slot: number, fp: number): number {
    const narrow = this.#narrow[slot]!;
    return narrow.length > 0 ? findNarrow(narrow, fp) : findWide(this.#wide[slot]!, fp);
  }

  #tagAt(slot: number, i: number): number {
    const narrow = this.#narrow[slot]!;
    return narrow.length > 0 ? narrow[i]! & NARROW_TAG_MASK : this.#wide[slot]![i]! >>> TAG_SHIFT;
  }

  #setTag(slot: number, i: number, tag: number): void {
    const narrow = this.#narrow[slot]!;
    if (narrow.length > 0) narrow[i] = (narrow[i]! & ~NARROW_TAG_MASK) | tag;
    else this.#wide[slot]![i] = ((this.#wide[slot]![i]! & FP_MASK) | (tag << TAG_SHIFT)) >>> 0;
  }

  /** Accounts for a word a narrow insert pushed out (tag, or NONE); astronomically rare at load 0.8. */
  #dropped(slot: number, tag: number): void {
    if (tag === NONE) return;
    this.#genCount[slot * GENERATIONS + tag]!--;
    this.#count[slot]!--;
    this.#live--;
  }

  // ---------------------------------------------------------------- generations

  /** Empties a slot and gives it `capacity`: an eighth-size wide table. */
  #reset(slot: number, capacity: number): void {
    this.#live -= this.#count[slot]!;
    this.#count[slot] = 0;
    this.#current[slot] = 0;
    this.#genCount.fill(0, slot * GENERATIONS, slot * GENERATIONS + GENERATIONS);
    this.#setLimits(slot, capacity);
    this.#wide[slot] = new Uint32Array(initialSize(this.#fullSize[slot]!));
    this.#narrow[slot] = EMPTY_NARROW;
  }

  #setLimits(slot: number, capacity: number): void {
    const cap = Math.max(1, Math.floor(capacity));
    this.#capacity[slot] = cap;
    this.#genLimit[slot] = Math.ceil(cap / GENERATIONS);
    // +1 keeps an empty word in every wide table, which ends every probe.
    this.#fullSize[slot] = Math.ceil(cap / MAX_LOAD) + 1;
  }

  /**
   * Makes room for one more entry in the current generation. When `adding` past capacity, the oldest
   * generation is dropped first. A full current generation hands over to the next tag; if that tag still holds
   * the oldest entries (the slot is under capacity, refreshes drained younger generations), they are merged
   * into the next-oldest generation rather than dropped: nothing is lost while the slot is under capacity.
   */
  #makeRoom(slot: number, adding: boolean): void {
    const base = slot * GENERATIONS;
    // A partial drop can miss (no fingerprint in the chosen part): retry, then drop whole generations.
    for (let i = 0; adding && this.#count[slot]! >= this.#capacity[slot]!; i++) this.#dropOldest(slot, i >= 4);
    const cur = this.#current[slot]!;
    if (this.#genCount[base + cur]! < this.#genLimit[slot]!) return;
    const next = (cur + 1) % GENERATIONS;
    if (this.#genCount[base + next]! > 0) {
      // In a 16-bit table a confused add refreshes another block instead of adding one, so a stream of new
      // blocks fills a generation while the count stays a few short of capacity. Merging then (a pass over
      // the whole table, and ever larger generations) took 12% of the churn benchmark: a slot within
      // capacity/64 of full drops its oldest generation instead.
      if (this.#narrow[slot]!.length > 0 && this.#count[slot]! + (this.#genLimit[slot]! >> 3) >= this.#capacity[slot]!) {
        this.#rebuild(slot, this.#narrow[slot]!.length, next);
      } else {
        this.#retag(slot, next, (next + 1) % GENERATIONS);
      }
    }
    this.#current[slot] = next;
  }

  /** Drops the slot's oldest non-empty generation, or part of it (the current one only when it is all there is). */
  #dropOldest(slot: number, whole = false): void {
    const base = slot * GENERATIONS;
    const cur = this.#current[slot]!;
    for (let k = 1; k <= GENERATIONS; k++) {
      const g = (cur + k) % GENERATIONS;
      const n = this.#genCount[base + g]!;
      if (n > 0) {
        // A generation grown by merges is dropped a generation's worth at a time, a part chosen by fingerprint
        // (random within the generation), so one drop never costs more than capacity/8 entries.
        const parts = whole ? 1 : Math.ceil(n / this.#genLimit[slot]!);
        this.#rebuild(slot, this.#sizeOfTable(slot), g, parts, this.#dropTurn++ % parts);
        return;
      }
    }
  }

  /** Moves every entry of generation `from` to generation `to`, in place. */
  #retag(slot: number, from: number, to: number): void {
    const narrow = this.#narrow[slot]!;
    if (narrow.length > 0) {
      for (let i = 0; i < narrow.length; i++) {
        const w = narrow[i]!;
        if (w !== 0 && (w & NARROW_TAG_MASK) === from) narrow[i] = (w & ~NARROW_TAG_MASK) | to;
      }
    } else {
      const wide = this.#wide[slot]!;
      const toBits = to << TAG_SHIFT;
      for (let i = 0; i < wide.length; i++) {
        const w = wide[i]!;
        if (w !== 0 && w >>> TAG_SHIFT === from) wide[i] = ((w & FP_MASK) | toBits) >>> 0;
      }
    }
    const base = slot * GENERATIONS;
    this.#genCount[base + to]! += this.#genCount[base + from]!;
    this.#genCount[base + from] = 0;
  }

  #sizeOfTable(slot: number): number {
    const narrow = this.#narrow[slot]!;
    return narrow.length > 0 ? narrow.length : this.#wide[slot]!.length;
  }

  /**
   * Re-inserts the slot's entries into a table of `size` words, leaving out those of generation `drop` (-1:
   * none) whose fingerprint (remainder, for narrow words) is `part` modulo `parts` (parts 1: the whole
   * generation). The new table is narrow when it is the slot's full size and over NARROW_MIN_SIZE words; a
   * narrow table is only ever rebuilt at its own size.
   */
  #rebuild(slot: number, size: number, drop: number, parts = 1, part = 0): void {
    const base = slot * GENERATIONS;
    this.#genCount.fill(0, base, base + GENERATIONS);
    let kept: number;
    if (size === this.#fullSize[slot]! && size > NARROW_MIN_SIZE) {
      const next = this.#takeNarrowScratch(size);
      const from = this.#narrow[slot]!;
      if (from.length > 0) {
        kept = this.#narrowFromNarrow(from, next, base, drop, parts, part);
        this.#narrowScratch = from; // same size: the next rebuild's scratch
      } else {
        kept = this.#narrowFromWide(this.#wide[slot]!, next, base, drop, parts, part);
        this.#wide[slot] = EMPTY_WIDE;
      }
      this.#narrow[slot] = next;
    } else {
      const old = this.#wide[slot]!;
      const next = this.#takeWideScratch(size);
      kept = this.#wideFromWide(old, next, base, drop, parts, part);
      this.#wide[slot] = next;
      // Keep the old array as the next scratch when it is the size tables usually have.
      if (old.length === size) this.#wideScratch = old;
    }
    this.#live += kept - this.#count[slot]!;
    this.#count[slot] = kept;
  }

  // The three rebuild loops: they count what they keep into #genCount (at `base`) and return the total.

  #narrowFromNarrow(from: Uint16Array, next: Uint16Array, base: number, drop: number, parts: number, part: number): number {
    let kept = 0;
    for (let i = 0; i < from.length; i++) {
      const w = from[i]!;
      if (w === 0) continue;
      const tag = w & NARROW_TAG_MASK;
      const rem = w >>> REM_SHIFT;
      if (tag !== drop || rem % parts !== part) kept += this.#placeNarrow(next, base, narrowHome(from, i), rem, tag);
    }
    return kept;
  }

  #narrowFromWide(from: Uint32Array, next: Uint16Array, base: number, drop: number, parts: number, part: number): number {
    let kept = 0;
    for (let i = 0; i < from.length; i++) {
      const w = from[i]!;
      if (w === 0) continue;
      const tag = w >>> TAG_SHIFT;
      const fp = w & FP_MASK;
      if (tag !== drop || fp % parts !== part) kept += this.#placeNarrow(next, base, homeOf(fp, next.length), remainderOf(fp), tag);
    }
    return kept;
  }

  #wideFromWide(from: Uint32Array, next: Uint32Array, base: number, drop: number, parts: number, part: number): number {
    let kept = 0;
    for (let i = 0; i < from.length; i++) {
      const w = from[i]!;
      if (w === 0) continue;
      const tag = w >>> TAG_SHIFT;
      if (tag === drop && (w & FP_MASK) % parts === part) continue;
      insertWide(next, w);
      this.#genCount[base + tag]!++;
      kept++;
    }
    return kept;
  }

  /** Inserts one word into a narrow table being rebuilt; returns the change in entries (0 when one was pushed out). */
  #placeNarrow(next: Uint16Array, base: number, home: number, rem: number, tag: number): number {
    this.#genCount[base + tag]!++;
    const lost = insertNarrow(next, home, rem, tag);
    if (lost === NONE) return 1;
    this.#genCount[base + lost]!--;
    return 0;
  }

  /** A zeroed table of `size` words: the scratch array when it has that size (it is then taken), else new. */
  #takeWideScratch(size: number): Uint32Array {
    const s = this.#wideScratch;
    if (s.length !== size) return new Uint32Array(size);
    this.#wideScratch = EMPTY_WIDE;
    return s.fill(0);
  }

  #takeNarrowScratch(size: number): Uint16Array {
    const s = this.#narrowScratch;
    if (s.length !== size) return new Uint16Array(size);
    this.#narrowScratch = EMPTY_NARROW;
    return s.fill(0);
  }

  #growSlots(): void {
    const size = this.#capacity.length * 2;
    this.#fullSize = grow(this.#fullSize, size);
    this.#capacity = grow(this.#capacity, size);
    this.#genLimit = grow(this.#genLimit, size);
    this.#count = grow(this.#count, size);
    this.#current = grow(this.#current, size);
    this.#genCount = grow(this.#genCount, size * GENERATIONS);
  }
}

/**
 * A new slot's table: an eighth of its full size, grown once, straight to full size. Doubling step by step
 * left 20 MB more RSS at 1,000 endpoints: the dropped intermediate arrays fragment the malloc heap.
 */
function initialSize(fullSize: number): number {
  return Math.min(fullSize, Math.max(MIN_TABLE_SIZE, Math.ceil(fullSize / 8)));
}

function grow(a: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
