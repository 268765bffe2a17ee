/**
 * Keeps the k best (key, tie) pairs seen so far, best first, in preallocated typed arrays: partial selection
 * in O(n·k) with no sort and no allocation. Pickers use it only for k > 1; k = 1 is a plain argmax loop.
 * `tie` is a random draw per candidate so equal keys come out in uniformly random order.
 */
export class TopK {
  readonly k: number;
  #size = 0;
  readonly #idx: Int32Array;
  readonly #key: Float64Array;
  readonly #tie: Float64Array;

  constructor(k: number) {
    this.k = k;
    this.#idx = new Int32Array(k);
    this.#key = new Float64Array(k);
    this.#tie = new Float64Array(k);
  }

  reset(): void {
    this.#size = 0;
  }

  get size(): number {
    return this.#size;
  }

  /** Writes the candidates of the (at most k) best to out[0..], best first; returns how many. */
  writeBest<T>(candidates: readonly T[], k: number, out: T[]): number {
    const m = this.#size < k ? this.#size : k;
    for (let j = 0; j < m; j++) out[j] = candidates[this.#idx[j]!]!;
    return m;
  }

  offer(index: number, key: number, tie: number): void {
    const idx = this.#idx;
    const keys = this.#key;
    const ties = this.#tie;
    let pos = this.#size;
    if (pos === this.k) {
      // Full: only enter if better than the current worst.
      const lk = keys[pos - 1]!;
      if (key < lk || (key === lk && tie <= ties[pos - 1]!)) return;
      pos--;
    } else {
      this.#size++;
    }
    // Insertion: shift worse entries down one place.
    while (pos > 0) {
      const pk = keys[pos - 1]!;
      if (pk > key || (pk === key && ties[pos - 1]! >= tie)) break;
      idx[pos] = idx[pos - 1]!;
      keys[pos] = pk;
      ties[pos] = ties[pos - 1]!;
      pos--;
    }
    idx[pos] = index;
    keys[pos] = key;
    ties[pos] = tie;
  }
}
