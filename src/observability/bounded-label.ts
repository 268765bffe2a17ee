/**
 * A cap on the distinct values one request-derived label may take, as llm-d Router bounds model_name /
 * target_model_name and fairness_id (pkg/epp/metrics/cardinality.go, #1909, #2119): the first `max` values
 * are admitted and keep their name for good; later ones fold into "other". Pinned values (names configured
 * in InferenceModelRewrite rules) always keep their name and take no slot. '' is never folded.
 *
 * Tighter than upstream's 1000: each admitted model name carries ~250 series (every per-request histogram,
 * under both metric names), so 1000 client-chosen names of 200 characters made /metrics 200 MB and a scrape
 * block the event loop for 3.6 s. 100 names, and values no longer than 128 characters (a longer one folds),
 * keep the worst case near 6 MB; configured names are pinned and never count.
 */
export const MAX_LABEL_VALUES = 100;
export const MAX_LABEL_LENGTH = 128;
export const OVERFLOW_VALUE = 'other';

export class BoundedLabel {
  readonly max: number;
  readonly #seen = new Set<string>();
  readonly #pinned = new Set<string>();

  constructor(max = MAX_LABEL_VALUES) {
    this.max = max;
  }

  /** `v` when pinned, already admitted or there is room (then admitted); otherwise "other". */
  bound(v: string): string {
    if (v === '' || this.#pinned.has(v) || this.#seen.has(v)) return v;
    if (this.#seen.size >= this.max || v.length > MAX_LABEL_LENGTH) return OVERFLOW_VALUE;
    this.#seen.add(v);
    return v;
  }

  /** Always admitted without a slot; pins are never removed (a series once emitted stays, as upstream). */
  pin(v: string): boolean {
    if (v === '' || this.#pinned.has(v)) return false;
    this.#pinned.add(v);
    return true;
  }

  isPinned(v: string): boolean {
    return this.#pinned.has(v);
  }

  get admitted(): number {
    return this.#seen.size;
  }
}
