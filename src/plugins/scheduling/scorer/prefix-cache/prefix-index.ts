/**
 * Approximate prefix-cache index: which endpoint has recently been sent which block hash.
 *
 * Upstream keeps `map[hash]set(pod)` plus one golang-lru per pod. Here every (hash, endpoint) membership is
 * one node in typed arrays:
 *  - an open-addressing table (linear probing, load <= 1/2, backward-shift deletion) keyed by
 *    (hashHi, hashLo, slot) answers "does endpoint `slot` hold this block" in O(1) with no allocation;
 *  - a doubly linked LRU list per endpoint slot bounds memory: adding past the slot's capacity evicts its
 *    least recently added node, which also leaves the table.
 * Memory per entry: 20 bytes of node arrays plus 8-16 of table (load kept in (1/4, 1/2]), up to twice that
 * just after a doubling: 37.6 bytes at 100 endpoints x 31,250 entries (117 MB of arrays, 1.2 MB per endpoint).
 * Bounded by the sum of the per-endpoint capacities; arrays are never shrunk and freed nodes are reused.
 */

const NONE = -1;
const MIN_TABLE_SIZE = 1024;
const MIN_NODES = 512;
const MIN_SLOTS = 16;

export class PrefixIndex {
  // ---- nodes: one per (block hash, endpoint slot) membership
  #nodeHi = new Int32Array(MIN_NODES);
  #nodeLo = new Int32Array(MIN_NODES);
  #nodeSlot = new Int32Array(MIN_NODES);
  /** LRU links within the slot's list; #next doubles as the free-list link. */
  #prev = new Int32Array(MIN_NODES);
  #next = new Int32Array(MIN_NODES);
  #nodeTop = 0;
  #freeNode = NONE;
  #live = 0;

  // ---- table of node ids
  #table = new Int32Array(MIN_TABLE_SIZE).fill(NONE);
  #mask = MIN_TABLE_SIZE - 1;

  // ---- endpoint slots
  readonly #slotByKey = new Map<string, number>();
  #head = new Int32Array(MIN_SLOTS);
  #tail = new Int32Array(MIN_SLOTS);
  #count = new Int32Array(MIN_SLOTS);
  #capacity = new Int32Array(MIN_SLOTS);
  #slotTop = 0;
  readonly #freeSlots: number[] = [];

  /** Number of (block, endpoint) entries held. */
  get entries(): number {
    return this.#live;
  }

  get endpointCount(): number {
    return this.#slotByKey.size;
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
      if (slot >= this.#head.length) this.#growSlots();
    }
    this.#slotByKey.set(key, slot);
    this.#head[slot] = NONE;
    this.#tail[slot] = NONE;
    this.#count[slot] = 0;
    this.#capacity[slot] = Math.max(1, capacity);
    return slot;
  }

  capacityOf(slot: number): number {
    return this.#capacity[slot]!;
  }

  sizeOf(slot: number): number {
    return this.#count[slot]!;
  }

  /** Changes a slot's capacity, evicting the least recently added entries when it shrinks. */
  setCapacity(slot: number, capacity: number): void {
    const cap = Math.max(1, capacity);
    this.#capacity[slot] = cap;
    while (this.#count[slot]! > cap) this.#evictTail(slot);
  }

  has(slot: number, hi: number, lo: number): boolean {
    return this.#find(slot, hi, lo) !== NONE;
  }

  /** Records block (hi, lo) on the slot as most recently used, evicting the slot's oldest entry when full. */
  add(slot: number, hi: number, lo: number): void {
    const found = this.#find(slot, hi, lo);
    if (found !== NONE) {
      if (this.#head[slot] !== found) {
        this.#unlink(found);
        this.#pushHead(found, slot);
      }
      return;
    }
    if (this.#count[slot]! >= this.#capacity[slot]!) this.#evictTail(slot);
    if ((this.#live + 1) * 2 > this.#table.length) this.#growTable();
    const node = this.#allocNode();
    this.#nodeHi[node] = hi;
    this.#nodeLo[node] = lo;
    this.#nodeSlot[node] = slot;
    this.#tableInsert(node);
    this.#pushHead(node, slot);
    this.#count[slot]!++;
    this.#live++;
  }

  /** Drops everything held for an endpoint. Returns false when the index held nothing for it. */
  removeEndpoint(key: string): boolean {
    const slot = this.#slotByKey.get(key);
    if (slot === undefined) return false;
    let node = this.#head[slot]!;
    while (node !== NONE) {
      const next = this.#next[node]!;
      this.#tableDelete(node);
      this.#freeNodeId(node);
      node = next;
    }
    this.#live -= this.#count[slot]!;
    this.#head[slot] = NONE;
    this.#tail[slot] = NONE;
    this.#count[slot] = 0;
    this.#slotByKey.delete(key);
    this.#freeSlots.push(slot);
    return true;
  }

  // ---------------------------------------------------------------- table

  #ideal(hi: number, lo: number, slot: number): number {
    // lo is already a well-mixed hash; the slot term spreads one block held by many endpoints.
    return (lo ^ (hi >>> 11) ^ Math.imul(slot + 1, 0x9e3779b1)) & this.#mask;
  }

  #find(slot: number, hi: number, lo: number): number {
    const table = this.#table;
    const mask = this.#mask;
    let i = this.#ideal(hi, lo, slot);
    for (;;) {
      const node = table[i]!;
      if (node === NONE) return NONE;
      if (this.#nodeLo[node] === lo && this.#nodeHi[node] === hi && this.#nodeSlot[node] === slot) return node;
      i = (i + 1) & mask;
    }
  }

  #tableInsert(node: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = this.#ideal(this.#nodeHi[node]!, this.#nodeLo[node]!, this.#nodeSlot[node]!);
    while (table[i] !== NONE) i = (i + 1) & mask;
    table[i] = node;
  }

  #tableDelete(node: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = this.#ideal(this.#nodeHi[node]!, this.#nodeLo[node]!, this.#nodeSlot[node]!);
    while (table[i] !== node) i = (i + 1) & mask;
    // Backward-shift: move later entries of the probe run into the hole unless their ideal position lies
    // cyclically in (hole, j]; no tombstones, so probe runs never lengthen over time.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const other = table[j]!;
      if (other === NONE) break;
      const k = this.#ideal(this.#nodeHi[other]!, this.#nodeLo[other]!, this.#nodeSlot[other]!);
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!stays) {
        table[i] = other;
        i = j;
      }
    }
    table[i] = NONE;
  }

  #growTable(): void {
    const old = this.#table;
    this.#table = new Int32Array(old.length * 2).fill(NONE);
    this.#mask = this.#table.length - 1;
    for (let i = 0; i < old.length; i++) {
      const node = old[i]!;
      if (node !== NONE) this.#tableInsert(node);
    }
  }

  // ---------------------------------------------------------------- nodes and LRU lists

  #allocNode(): number {
    const free = this.#freeNode;
    if (free !== NONE) {
      this.#freeNode = this.#next[free]!;
      return free;
    }
    if (this.#nodeTop === this.#nodeHi.length) this.#growNodes();
    return this.#nodeTop++;
  }

  #freeNodeId(node: number): void {
    this.#nodeSlot[node] = NONE;
    this.#next[node] = this.#freeNode;
    this.#freeNode = node;
  }

  #evictTail(slot: number): void {
    const node = this.#tail[slot]!;
    if (node === NONE) return;
    this.#unlink(node);
    this.#tableDelete(node);
    this.#freeNodeId(node);
    this.#count[slot]!--;
    this.#live--;
  }

  #unlink(node: number): void {
    const slot = this.#nodeSlot[node]!;
    const p = this.#prev[node]!;
    const n = this.#next[node]!;
    if (p !== NONE) this.#next[p] = n;
    else this.#head[slot] = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail[slot] = p;
  }

  #pushHead(node: number, slot: number): void {
    const h = this.#head[slot]!;
    this.#prev[node] = NONE;
    this.#next[node] = h;
    if (h !== NONE) this.#prev[h] = node;
    else this.#tail[slot] = node;
    this.#head[slot] = node;
  }

  #growNodes(): void {
    const size = this.#nodeHi.length * 2;
    this.#nodeHi = grow(this.#nodeHi, size);
    this.#nodeLo = grow(this.#nodeLo, size);
    this.#nodeSlot = grow(this.#nodeSlot, size);
    this.#prev = grow(this.#prev, size);
    this.#next = grow(this.#next, size);
  }

  #growSlots(): void {
    const size = this.#head.length * 2;
    this.#head = grow(this.#head, size);
    this.#tail = grow(this.#tail, size);
    this.#count = grow(this.#count, size);
    this.#capacity = grow(this.#capacity, size);
  }
}

function grow(a: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
