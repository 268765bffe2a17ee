/**
 * The live page's recent decisions: a bounded ring of explained requests. It asks for an explanation only
 * while a page is open, and then at most once per `sampleIntervalMs`, so the request path pays one boolean
 * test (page closed) or one clock read (page open) per request, and a full explain a few times a second.
 */
import type { Explanation } from '../../framework/explain.ts';
import type { DecisionSink } from '../../requestcontrol/explain.ts';

export class DecisionRing implements DecisionSink {
  /** Set by the live hub while at least one page is open. */
  active = false;
  readonly #items: (Explanation | undefined)[];
  #next = 0;
  #size = 0;
  #nextSampleAt = 0;
  readonly #intervalMs: number;
  readonly #now: () => number;

  constructor(capacity = 64, sampleIntervalMs = 200, now: () => number = () => performance.now()) {
    this.#items = new Array<Explanation | undefined>(capacity).fill(undefined);
    this.#intervalMs = sampleIntervalMs;
    this.#now = now;
  }

  want(): boolean {
    if (!this.active) return false;
    const t = this.#now();
    if (t < this.#nextSampleAt) return false;
    this.#nextSampleAt = t + this.#intervalMs;
    return true;
  }

  add(e: Explanation): void {
    this.#items[this.#next] = e;
    this.#next = (this.#next + 1) % this.#items.length;
    if (this.#size < this.#items.length) this.#size++;
  }

  /** Newest first, at most `max`. */
  recent(max = this.#items.length): Explanation[] {
    const out: Explanation[] = [];
    const cap = this.#items.length;
    for (let i = 1; i <= Math.min(max, this.#size); i++) out.push(this.#items[(this.#next - i + cap) % cap]!);
    return out;
  }
}
