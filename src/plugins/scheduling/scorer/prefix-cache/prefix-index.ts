/**
 * Approximate prefix-cache index: which endpoint has recently been sent which block hash.
 *
 * Upstream keeps `map[hash]set(pod)` plus one golang-lru per pod (well over 100 bytes per entry in Go; our
 * previous linked-LRU version took 35). Here each endpoint slot owns one open-addressing table (linear
 * probing, load <= 0.8) of 32-bit words:
 *   bits 0-28  fingerprint: 29 bits mixed from both 32-bit lanes of the block hash (0 means "empty"); its
 *              top bits are also the word's home position, so a rebuild can re-home a word;
 *   bits 29-31 generation tag, 0-7.
 * Two blocks are confused only when their fingerprints agree: about 1e-8 per lookup at full load.
 *
 * Recency is generational instead of a linked LRU (8 bytes of links plus 12 of key per entry):
 *  - new and re-added blocks go to the current generation; when it holds capacity/8 entries the next tag
 *    becomes current;
 *  - an add past capacity drops the oldest generation, at most capacity/8 entries at a time;
 *  - if the next tag still holds old entries while the slot is under capacity (refreshes drained the younger
 *    generations), they are merged into the next-oldest generation, not dropped.
 * So nothing is dropped under capacity, the newest capacity/8 blocks are always held, a slot filled by new
 * blocks keeps between 7/8 of its capacity and all of it, and capacities up to 4 are exact LRU. On a skewed
 * block stream it gets 95.6% of exact LRU's hits (prefix-index.test.ts requires 93%).
 *
 * Memory: 4 bytes / 0.8 = 5 bytes per entry at capacity (28 MB for 1,000 endpoints x 5,623 blocks); a table
 * starts at an eighth of that, so a quiet endpoint holds little. Drops and merges pass over the whole
 * table (into a reused scratch array), about 20 word operations per added block, amortised. Lookups and adds
 * allocate nothing once the tables have grown.
 */

const NONE = -1;
const GENERATIONS = 8;
const TAG_SHIFT = 29;
const FP_MASK = 0x1fffffff;
const FP_RANGE = 2 ** TAG_SHIFT;
const MAX_LOAD = 0.8;
const MIN_TABLE_SIZE = 64;
const MIN_SLOTS = 16;
const EMPTY: Uint32Array = new Uint32Array(0);

export class PrefixIndex {
  #live = 0;

  // ---- endpoint slots
  readonly #slotByKey = new Map<string, number>();
  #tables: Uint32Array[] = [];
  /** Table size once the slot holds its capacity: the most the table grows to. */
  #fullSize = new Int32Array(MIN_SLOTS);
  #capacity = new Int32Array(MIN_SLOTS);
  /** Entries one generation takes before the next becomes current: ceil(capacity / 4). */
  #genLimit = new Int32Array(MIN_SLOTS);
  #count = new Int32Array(MIN_SLOTS);
  #current = new Int32Array(MIN_SLOTS);
  /** Entries per (slot, generation), at slot * 4 + generation. */
  #genCount = new Int32Array(MIN_SLOTS * GENERATIONS);
  #slotTop = 0;
  readonly #freeSlots: number[] = [];
  #scratch = EMPTY;
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
    let bytes = this.#scratch.byteLength;
    for (const t of this.#tables) bytes += t.byteLength;
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
    this.#count[slot] = 0;
    this.#current[slot] = 0;
    this.#genCount.fill(0, slot * GENERATIONS, slot * GENERATIONS + GENERATIONS);
    this.#setLimits(slot, capacity);
    this.#tables[slot] = new Uint32Array(initialSize(this.#fullSize[slot]!));
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
   * if the current generation alone is still over, it is halved by fingerprint until it fits.
   */
  setCapacity(slot: number, capacity: number): void {
    this.#setLimits(slot, capacity);
    const cap = this.#capacity[slot]!;
    const base = slot * GENERATIONS;
    const cur = this.#current[slot]!;
    for (let k = 1; k < GENERATIONS && this.#count[slot]! > cap; k++) {
      const g = (cur + k) % GENERATIONS;
      if (this.#genCount[base + g]! > 0) this.#rebuild(slot, this.#tables[slot]!.length, g);
    }
    // Every word left is ≡ 0 mod 2^j, so dropping those ≡ 2^j mod 2^(j+1) halves what is left.
    for (let j = 0; j < TAG_SHIFT && this.#count[slot]! > cap; j++) this.#rebuild(slot, this.#tables[slot]!.length, cur, 2 ** (j + 1), 2 ** j);
    if (this.#tables[slot]!.length > this.#fullSize[slot]!) this.#rebuild(slot, this.#fullSize[slot]!, NONE);
  }

  has(slot: number, hi: number, lo: number): boolean {
    return find(this.#tables[slot]!, hi, lo) !== NONE;
  }

  /**
   * Records block (hi, lo) on the slot as most recently used, dropping the slot's oldest generation when full.
   * Returns whether the slot held the block before (also when making room dropped it and it was re-added).
   */
  add(slot: number, hi: number, lo: number): boolean {
    const base = slot * GENERATIONS;
    let table = this.#tables[slot]!;
    let at = find(table, hi, lo);
    let cur = this.#current[slot]!;
    if (at !== NONE && table[at]! >>> TAG_SHIFT === cur) return true;
    const adding = at === NONE;
    if (this.#genCount[base + cur]! >= this.#genLimit[slot]! || (adding && this.#count[slot]! >= this.#capacity[slot]!)) {
      this.#makeRoom(slot, adding);
      cur = this.#current[slot]!;
      table = this.#tables[slot]!;
      at = find(table, hi, lo); // the rebuild may have moved or dropped it
    }
    if (at !== NONE) {
      // Refresh: move the entry into the current generation.
      this.#genCount[base + (table[at]! >>> TAG_SHIFT)]!--;
      table[at] = (table[at]! & FP_MASK) | (cur << TAG_SHIFT);
      this.#genCount[base + cur]!++;
      return true;
    }
    if (this.#count[slot]! + 1 > table.length * MAX_LOAD && table.length < this.#fullSize[slot]!) {
      this.#rebuild(slot, this.#fullSize[slot]!, NONE);
      table = this.#tables[slot]!;
    }
    insert(table, hi, lo, cur);
    this.#genCount[base + cur]!++;
    this.#count[slot]!++;
    this.#live++;
    return !adding;
  }

  /** Drops everything held for an endpoint. Returns false when the index held nothing for it. */
  removeEndpoint(key: string): boolean {
    const slot = this.#slotByKey.get(key);
    if (slot === undefined) return false;
    this.#live -= this.#count[slot]!;
    this.#count[slot] = 0;
    this.#tables[slot] = EMPTY;
    this.#slotByKey.delete(key);
    this.#freeSlots.push(slot);
    return true;
  }

  // ---------------------------------------------------------------- generations

  #setLimits(slot: number, capacity: number): void {
    const cap = Math.max(1, Math.floor(capacity));
    this.#capacity[slot] = cap;
    this.#genLimit[slot] = Math.ceil(cap / GENERATIONS);
    // +1 keeps an empty word in every table, which ends every probe.
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
    if (this.#genCount[base + next]! > 0) this.#retag(slot, next, (next + 1) % GENERATIONS);
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
        // (random within the generation), so one drop never costs more than capacity/4 entries.
        const parts = whole ? 1 : Math.ceil(n / this.#genLimit[slot]!);
        this.#rebuild(slot, this.#tables[slot]!.length, g, parts, this.#dropTurn++ % parts);
        return;
      }
    }
  }

  /** Moves every entry of generation `from` to generation `to`, in place. */
  #retag(slot: number, from: number, to: number): void {
    const table = this.#tables[slot]!;
    const toBits = to << TAG_SHIFT;
    for (let i = 0; i < table.length; i++) {
      const w = table[i]!;
      if (w !== 0 && w >>> TAG_SHIFT === from) table[i] = (w & FP_MASK) | toBits;
    }
    const base = slot * GENERATIONS;
    this.#genCount[base + to]! += this.#genCount[base + from]!;
    this.#genCount[base + from] = 0;
  }

  /**
   * Re-inserts the slot's entries into a table of `size` words, leaving out those of generation `drop` (-1:
   * none) whose fingerprint is `part` modulo `parts` (parts 1: the whole generation).
   */
  #rebuild(slot: number, size: number, drop: number, parts = 1, part = 0): void {
    const old = this.#tables[slot]!;
    let next = this.#scratch;
    if (next.length === size) next.fill(0);
    else next = new Uint32Array(size);
    const base = slot * GENERATIONS;
    this.#genCount.fill(0, base, base + GENERATIONS);
    let kept = 0;
    for (let i = 0; i < old.length; i++) {
      const w = old[i]!;
      if (w === 0) continue;
      const tag = w >>> TAG_SHIFT;
      if (tag === drop && (w & FP_MASK) % parts === part) continue;
      insertWord(next, w);
      this.#genCount[base + tag]!++;
      kept++;
    }
    this.#live += kept - this.#count[slot]!;
    this.#count[slot] = kept;
    this.#tables[slot] = next;
    // Keep the old array as the next scratch when it is the size tables usually have.
    this.#scratch = old.length === size ? old : next === this.#scratch ? EMPTY : this.#scratch;
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

// ---------------------------------------------------------------- table words

/**
 * 30-bit fingerprint of a block hash, from both lanes (0 is reserved for "empty"). The home position is taken
 * from the fingerprint itself (its top bits scaled to the table), so a rebuild can re-home a stored word.
 */
function fingerprint(hi: number, lo: number): number {
  return (hi ^ Math.imul(lo, 0x9e3779b1)) >>> (32 - TAG_SHIFT) || 1;
}

/** Home position in [0, size): fp × size / 2^30, exact in doubles for any table size. */
function home(fp: number, size: number): number {
  return ((fp * size) / FP_RANGE) >>> 0;
}

function find(table: Uint32Array, hi: number, lo: number): number {
  const size = table.length;
  if (size === 0) return NONE;
  const fp = fingerprint(hi, lo);
  let i = home(fp, size);
  for (;;) {
    const w = table[i]!;
    if (w === 0) return NONE;
    if ((w & FP_MASK) === fp) return i;
    if (++i === size) i = 0;
  }
}

function insert(table: Uint32Array, hi: number, lo: number, tag: number): void {
  insertWord(table, (fingerprint(hi, lo) | (tag << TAG_SHIFT)) >>> 0);
}

function insertWord(table: Uint32Array, word: number): void {
  const size = table.length;
  let i = home(word & FP_MASK, size);
  while (table[i] !== 0) if (++i === size) i = 0;
  table[i] = word;
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
