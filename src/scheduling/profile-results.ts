/**
 * The profile results of one scheduling cycle, by profile name, reused every cycle. A Map cleared per cycle
 * cost 152 B per schedule() (V8 gives Map.clear a new table), the only allocation of a pick; this keeps the
 * results in arrays indexed by profile, with the order they were set in.
 */
import type { ProfileRunResult } from '../framework/scheduling.ts';

type Result = ProfileRunResult | null;

export class ProfileResultsMap implements ReadonlyMap<string, Result> {
  readonly #index: ReadonlyMap<string, number>;
  readonly #names: readonly string[];
  readonly #values: Result[];
  readonly #set: Uint8Array;
  /** Profile indexes in the order they were set this cycle; the first `#size` are valid. */
  readonly #order: Int32Array;
  #size = 0;

  constructor(names: readonly string[]) {
    this.#names = [...names];
    this.#index = new Map(names.map((n, i) => [n, i]));
    this.#values = names.map(() => null);
    this.#set = new Uint8Array(names.length);
    this.#order = new Int32Array(names.length);
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    for (let i = 0; i < this.#size; i++) this.#set[this.#order[i]!] = 0;
    this.#size = 0;
  }

  /** Records a profile's result; a name that is not one of the profiles is a programming error. */
  set(name: string, value: Result): this {
    const i = this.#index.get(name);
    if (i === undefined) throw new Error(`no scheduling profile named "${name}"`);
    if (this.#set[i] === 0) {
      this.#set[i] = 1;
      this.#order[this.#size++] = i;
    }
    this.#values[i] = value;
    return this;
  }

  get(name: string): Result | undefined {
    const i = this.#index.get(name);
    return i === undefined || this.#set[i] === 0 ? undefined : this.#values[i]!;
  }

  has(name: string): boolean {
    const i = this.#index.get(name);
    return i !== undefined && this.#set[i] === 1;
  }

  forEach(fn: (value: Result, key: string, map: ReadonlyMap<string, Result>) => void): void {
    for (let k = 0; k < this.#size; k++) {
      const i = this.#order[k]!;
      fn(this.#values[i]!, this.#names[i]!, this);
    }
  }

  *entries(): MapIterator<[string, Result]> {
    for (let k = 0; k < this.#size; k++) {
      const i = this.#order[k]!;
      yield [this.#names[i]!, this.#values[i]!];
    }
  }

  *keys(): MapIterator<string> {
    for (let k = 0; k < this.#size; k++) yield this.#names[this.#order[k]!]!;
  }

  *values(): MapIterator<Result> {
    for (let k = 0; k < this.#size; k++) yield this.#values[this.#order[k]!]!;
  }

  [Symbol.iterator](): MapIterator<[string, Result]> {
    return this.entries();
  }
}
