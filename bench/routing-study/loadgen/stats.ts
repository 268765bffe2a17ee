/** Percentiles and summaries as vLLM's benchmark computes them (numpy `percentile`, linear interpolation). */

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Percentile q in [0,100] of an ascending-sorted array (NaN when empty). */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** p50/p90/p99/mean of `values` (copied and sorted; the input is left alone). */
export function summarize(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
  return {
    p50: round3(percentileSorted(sorted, 50)),
    p90: round3(percentileSorted(sorted, 90)),
    p99: round3(percentileSorted(sorted, 99)),
    mean: round3(sorted.length ? sum / sorted.length : NaN),
  };
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return values.length ? s / values.length : NaN;
}

export function round3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
}

/**
 * Pooled inter-token latencies can number tens of millions in a fast-mode run, so they go into a log-bucketed
 * histogram (1% relative resolution) instead of an array. Percentiles are read back from bucket midpoints.
 */
export class LogHistogram {
  readonly #counts: Float64Array;
  readonly #min: number;
  readonly #ratio: number;
  #n = 0;
  #sum = 0;

  /** Covers [min, min·(1+step)^buckets); values below land in bucket 0, above in the last. */
  constructor(min = 0.01, step = 0.01, buckets = 2000) {
    this.#counts = new Float64Array(buckets);
    this.#min = min;
    this.#ratio = Math.log1p(step);
  }

  add(x: number): void {
    const i = x <= this.#min ? 0 : Math.min(this.#counts.length - 1, Math.floor(Math.log(x / this.#min) / this.#ratio));
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#n++;
    this.#sum += x;
  }

  get count(): number {
    return this.#n;
  }

  percentile(q: number): number {
    if (this.#n === 0) return NaN;
    const target = (q / 100) * (this.#n - 1);
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i] as number;
      if (seen > target) return this.#min * Math.exp((i + 0.5) * this.#ratio);
    }
    return this.#min * Math.exp(this.#counts.length * this.#ratio);
  }

  summary(): Percentiles {
    return {
      p50: round3(this.percentile(50)),
      p90: round3(this.percentile(90)),
      p99: round3(this.percentile(99)),
      mean: round3(this.#n ? this.#sum / this.#n : NaN),
    };
  }
}
