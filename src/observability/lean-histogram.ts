/**
 * A Prometheus histogram for the request path, registered in a prom-client Registry like any of its metrics.
 *
 * prom-client's Histogram costs ~280 ns per observe even on a label child: every call builds a labels
 * object, validates it, hashes it and looks the series up again. At 7 observes per request that was the
 * largest JavaScript item in the picker's profile (4% of its CPU at 200 B bodies, bench/overhead/README.md). Here a
 * child holds its bucket counts in a Float64Array and observe is a bucket search and three additions.
 *
 * The registry reads it through get() / getForPromString(), which return what prom-client's Histogram returns
 * (same values, metric names and label layout), so the exposition is byte-identical and the JSON the same
 * (lean-histogram.test.ts renders both). Only what the picker uses is here: labels() and observe().
 */
import type client from 'prom-client';

export class LeanHistogramChild {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: Float64Array;

  constructor(labels: Readonly<Record<string, string>>, bounds: Float64Array) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // prom-client throws on these; a metric must never fail a request, so they are dropped.
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** The child of `children` for `values` (in `labelNames` order), made by `make` on first use. Shared by the lean metrics. */
export function childFor<T>(children: Map<string, T>, name: string, labelNames: readonly string[], values: readonly string[], make: (labels: Record<string, string>) => T): T {
  if (values.length !== labelNames.length) throw new Error(`${name}: ${values.length} label values for ${labelNames.length} labels`);
  const key = values.join('\u0000');
  let child = children.get(key);
  if (child === undefined) {
    const labels: Record<string, string> = {};
    labelNames.forEach((n, i) => (labels[n] = values[i]!));
    child = make(labels);
    children.set(key, child);
  }
  return child;
}

export interface LeanHistogramConfig {
  name: string;
  help: string;
  labelNames?: readonly string[];
  buckets: readonly number[];
  registers: readonly client.Registry[];
  /** Runs before each render: for series whose counts live elsewhere and are copied into children here. */
  collect?: (h: LeanHistogram) => void;
}

type MetricValue = { labels: Record<string, string | number>; sharedLabels?: Readonly<Record<string, string>>; value: number; metricName: string; exemplar: null | undefined };
type MetricSnapshot = { name: string; help: string; type: string; values: MetricValue[]; aggregator: string };

export class LeanHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly #bounds: Float64Array;
  readonly #children = new Map<string, LeanHistogramChild>();
  /** The series without labels (labelNames empty). */
  readonly #plain: LeanHistogramChild | null;
  readonly #collect: ((h: LeanHistogram) => void) | null;

  constructor(cfg: LeanHistogramConfig) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames ?? [];
    this.#bounds = Float64Array.from([...cfg.buckets].sort((a, b) => a - b));
    this.#collect = cfg.collect ?? null;
    this.#plain = this.labelNames.length === 0 ? new LeanHistogramChild({}, this.#bounds) : null;
    if (this.#plain) this.#children.set('', this.#plain);
    for (const r of cfg.registers) r.registerMetric(this as unknown as client.Metric);
  }

  /** The child for these label values (in labelNames order), created on first use. Resolve it once, off the hot path. */
  labels(...values: string[]): LeanHistogramChild {
    return childFor(this.#children, this.name, this.labelNames, values, (labels) => new LeanHistogramChild(labels, this.#bounds));
  }

  /** Observe on the series without labels. */
  observe(value: number): void {
    if (!this.#plain) throw new Error(`${this.name}: observe() needs labels()`);
    this.#plain.observe(value);
  }

  /** What prom-client's Histogram.get() returns (getMetricsAsJSON): each value's labels merged. */
  async get(): Promise<MetricSnapshot> {
    return this.#snapshot(true);
  }

  /** What the Registry renders the text exposition from (prom-client reads this one first when present). */
  async getForPromString(): Promise<MetricSnapshot> {
    return this.#snapshot(false);
  }

  #snapshot(merged: boolean): MetricSnapshot {
    this.#collect?.(this);
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    const value = (le: number | string | null, shared: Readonly<Record<string, string>>, v: number, metricName: string): MetricValue => {
      // As prom-client: buckets carry exemplar null, sum and count an exemplar key left undefined.
      const own: Record<string, string | number> = le === null ? {} : { le };
      const exemplar = le === null ? undefined : null;
      if (merged) return { labels: { ...own, ...shared }, value: v, metricName, exemplar };
      return { labels: own, sharedLabels: shared, value: v, metricName, exemplar };
    };
    for (const child of this.#children.values()) {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += child.counts[i]!;
        values.push(value(this.#bounds[i]!, child.labels, acc, bucket));
      }
      values.push(value('+Inf', child.labels, child.count, bucket));
      values.push(value(null, child.labels, child.sum, `${this.name}_sum`));
      values.push(value(null, child.labels, child.count, `${this.name}_count`));
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
