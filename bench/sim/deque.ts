/** Ring-buffer deque: O(1) push/pop at both ends, grows by doubling. The engine's waiting queue. */
export class Deque<T> {
  #buf: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity = 16) {
    this.#buf = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.#size;
  }

  at(i: number): T {
    return this.#buf[(this.#head + i) % this.#buf.length] as T;
  }

  peekFront(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[this.#head];
  }

  pushBack(x: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#size) % this.#buf.length] = x;
    this.#size++;
  }

  pushFront(x: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1 + this.#buf.length) % this.#buf.length;
    this.#buf[this.#head] = x;
    this.#size++;
  }

  popFront(): T | undefined {
    if (this.#size === 0) return undefined;
    const x = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#size--;
    return x;
  }

  /** Removes the first element identical to `x` (O(n)); returns whether it was present. */
  remove(x: T): boolean {
    for (let i = 0; i < this.#size; i++) {
      if (this.at(i) !== x) continue;
      for (let j = i; j < this.#size - 1; j++) this.#buf[(this.#head + j) % this.#buf.length] = this.at(j + 1);
      this.#buf[(this.#head + this.#size - 1) % this.#buf.length] = undefined;
      this.#size--;
      return true;
    }
    return false;
  }

  #grow(): void {
    const next = new Array<T | undefined>(Math.max(16, this.#buf.length * 2));
    for (let i = 0; i < this.#size; i++) next[i] = this.at(i);
    this.#buf = next;
    this.#head = 0;
  }
}
