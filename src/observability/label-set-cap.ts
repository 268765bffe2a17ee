/**
 * A cap on how many label combinations a group of series may take (issue 14, finding 1). BoundedLabel caps each
 * client-chosen label on its own, but their product is what /metrics carries: 20 model names x 20 fairness ids
 * made it 97 MB and one render block the event loop 1.4 s (bench/overhead/exposition.bench.ts). The first `max`
 * combinations are admitted for good; past them the caller folds into "other". The first refusal logs one line.
 */
export class LabelSetCap {
  readonly max: number;
  readonly #seen = new Set<string>();
  readonly #what: string;
  readonly #warn: ((msg: string) => void) | undefined;
  #warned = false;

  constructor(max: number, what: string, warn?: (msg: string) => void) {
    this.max = max;
    this.#what = what;
    this.#warn = warn;
  }

  /** Whether `key` is (now) admitted. */
  admit(key: string): boolean {
    if (this.#seen.has(key)) return true;
    if (this.#seen.size < this.max) {
      this.#seen.add(key);
      return true;
    }
    if (!this.#warned) {
      this.#warned = true;
      this.#warn?.(`${this.#what}: ${this.max} label combinations reached; further ones fold into "other"`);
    }
    return false;
  }

  get size(): number {
    return this.#seen.size;
  }
}
