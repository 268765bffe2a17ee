/**
 * A binary min-heap that tracks each item's position, so an item anywhere in it is removed in O(log n) (a
 * cancelled or expired queued request). `less` decides the order; `index`/`setIndex` read and write the item's
 * position field (-1 = not in this heap), so one item can sit in two heaps without a wrapper object.
 */

export class IndexedHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;
  readonly #index: (t: T) => number;
  readonly #setIndex: (t: T, i: number) => void;

  constructor(less: (a: T, b: T) => boolean, index: (t: T) => number, setIndex: (t: T, i: number) => void) {
    this.#less = less;
    this.#index = index;
    this.#setIndex = setIndex;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(t: T): void {
    const items = this.#items;
    items.push(t);
    this.#setIndex(t, items.length - 1);
    this.#up(items.length - 1);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `t` if it is in the heap; returns whether it was. */
  remove(t: T): boolean {
    const i = this.#index(t);
    const items = this.#items;
    if (i < 0 || items[i] !== t) return false;
    this.#setIndex(t, -1);
    const last = items.pop()!;
    if (i === items.length) return true;
    items[i] = last;
    this.#setIndex(last, i);
    this.#down(i);
    this.#up(this.#index(last));
    return true;
  }

  #up(i: number): void {
    const items = this.#items;
    const t = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.#less(t, parent)) break;
      items[i] = parent;
      this.#setIndex(parent, i);
      i = p;
    }
    items[i] = t;
    this.#setIndex(t, i);
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const t = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#less(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!this.#less(child, t)) break;
      items[i] = child;
      this.#setIndex(child, i);
      i = c;
    }
    items[i] = t;
    this.#setIndex(t, i);
  }
}
