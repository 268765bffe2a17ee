/**
 * vLLM's KV block pool with automatic prefix caching (V1 `BlockPool` semantics):
 * - `numBlocks` blocks of `blockSize` tokens; a request holds a block table (list of block ids).
 * - A full prompt block gets its chained hash once computed; equal hashes are reused by later requests.
 * - Freed blocks keep their hash and wait in an LRU free queue; allocation takes the least recently freed
 *   block and evicts its hash. Usage = 1 − free/total, so cached-but-free blocks count as free (as vLLM).
 * Typed arrays and an intrusive doubly linked free list keep every operation O(1) per block.
 */
const NONE = -1;

/** Receives the cache's changes as vLLM's KV events (kv-events.ts KvEventPublisher, or an in-process index). */
export interface KvCacheEventSink {
  stored(hashes: readonly number[], parent: number | null, tokens: ArrayLike<number>, blockSize: number, lora: string): void;
  removed(hashes: readonly number[]): void;
  cleared(): void;
}

export class KvCache {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly #ref: Int32Array;
  readonly #hash: Float64Array;
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #cached = new Map<number, number>();
  #head = NONE;
  #tail = NONE;
  #free = 0;
  /** Cached hashes dropped to make room (LRU evictions). */
  evictions = 0;
  /** Of the blocks counted by the last match(), how many sat in the free queue. */
  lastMatchFree = 0;
  /** Told of evictions (the engine reports stores, which need the request's tokens). */
  events: KvCacheEventSink | null = null;

  constructor(numBlocks: number, blockSize: number) {
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.#ref = new Int32Array(numBlocks);
    this.#hash = new Float64Array(numBlocks).fill(NONE);
    this.#prev = new Int32Array(numBlocks).fill(NONE);
    this.#next = new Int32Array(numBlocks).fill(NONE);
    for (let b = 0; b < numBlocks; b++) this.#pushTail(b);
  }

  get freeBlocks(): number {
    return this.#free;
  }

  /** Fraction of blocks held by requests, in [0,1] (vllm:kv_cache_usage_perc). */
  usage(): number {
    return 1 - this.#free / this.numBlocks;
  }

  /** Blocks needed to hold `tokens` tokens. */
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /** Length of the longest run of leading `hashes` (at most `limit`) resident in the cache. */
  match(hashes: readonly number[], limit: number): number {
    const n = Math.min(limit, hashes.length);
    let free = 0;
    let i = 0;
    for (; i < n; i++) {
      const b = this.#cached.get(hashes[i] as number);
      if (b === undefined) break;
      if (this.#ref[b] === 0) free++;
    }
    this.lastMatchFree = free;
    return i;
  }

  /** Takes a reference on the first `count` blocks of `hashes` (all resident) and appends them to `table`. */
  acquireCached(hashes: readonly number[], count: number, table: number[]): void {
    for (let i = 0; i < count; i++) {
      const b = this.#cached.get(hashes[i] as number) as number;
      if (this.#ref[b] === 0) this.#unlink(b);
      this.#ref[b] = (this.#ref[b] as number) + 1;
      table.push(b);
    }
  }

  /** Appends `n` fresh blocks to `table`, evicting least recently freed cached blocks. Caller checks freeBlocks. */
  allocate(n: number, table: number[]): void {
    for (let i = 0; i < n; i++) {
      const b = this.#head;
      this.#unlink(b);
      const h = this.#hash[b] as number;
      if (h !== NONE) {
        if (this.#cached.get(h) === b) this.#cached.delete(h);
        this.#hash[b] = NONE;
        this.evictions++;
        this.events?.removed([h]);
      }
      this.#ref[b] = 1;
      table.push(b);
    }
  }

  /** Marks `block` (full, computed) as holding prefix `hash`; false when the hash was already resident (kept on its first block). */
  register(block: number, hash: number): boolean {
    if (this.#cached.has(hash)) return false;
    this.#cached.set(hash, block);
    this.#hash[block] = hash;
    return true;
  }

  /**
   * Drops the references of a block table, last block first (vLLM frees in reverse so a prompt's tail is
   * evicted before its head). Blocks with no hash go to the front of the free queue: they cache nothing.
   */
  release(table: number[]): void {
    for (let i = table.length - 1; i >= 0; i--) {
      const b = table[i] as number;
      const r = (this.#ref[b] as number) - 1;
      this.#ref[b] = r;
      if (r > 0) continue;
      if (this.#hash[b] === NONE) this.#pushHead(b);
      else this.#pushTail(b);
    }
    table.length = 0;
  }

  /** Resident cached hashes (for tests and metrics). */
  get cachedBlocks(): number {
    return this.#cached.size;
  }

  #pushTail(b: number): void {
    this.#prev[b] = this.#tail;
    this.#next[b] = NONE;
    if (this.#tail !== NONE) this.#next[this.#tail] = b;
    else this.#head = b;
    this.#tail = b;
    this.#free++;
  }

  #pushHead(b: number): void {
    this.#next[b] = this.#head;
    this.#prev[b] = NONE;
    if (this.#head !== NONE) this.#prev[this.#head] = b;
    else this.#tail = b;
    this.#head = b;
    this.#free++;
  }

  #unlink(b: number): void {
    const p = this.#prev[b] as number;
    const n = this.#next[b] as number;
    if (p !== NONE) this.#next[p] = n;
    else this.#head = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail = p;
    this.#prev[b] = NONE;
    this.#next[b] = NONE;
    this.#free--;
  }
}
