/**
 * Prometheus counters and gauges for the request path, registered in a prom-client Registry like any metric.
 *
 * A prom-client Counter or Gauge child re-hashes its label values on every inc()/dec() (the child is
 * `inc.bind(this, labels)`). With the canonical llm_d_epp_* families emitted beside the legacy ones a request
 * makes six such calls; here a child is a number field and inc() one addition. Exposition and JSON are what
 * prom-client renders for the same series (lean-scalar.test.ts compares both). Only what the picker uses is
 * here: labels(), inc(), dec(), set(), and an optional collect() run before each read.
 */
import type client from 'prom-client';
import { childFor } from './lean-histogram.ts';

export class LeanScalarChild {
  readonly labels: Readonly<Record<string, string>>;
  value = 0;
  constructor(labels: Readonly<Record<string, string>>) {
    this.labels = labels;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
  set(v: number): void {
    this.value = v;
  }
}

export interface LeanScalarConfig {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers: readonly client.Registry[];
  /** Runs before every read (gauges computed at scrape time). */
  collect?: (this: LeanScalar) => void;
}

type Snapshot = { name: string; help: string; type: string; values: { value: number; labels: Record<string, string> }[]; aggregator: string };

export class LeanScalar {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly #children = new Map<string, LeanScalarChild>();
  readonly #collect: ((this: LeanScalar) => void) | undefined;

  constructor(type: 'counter' | 'gauge', cfg: LeanScalarConfig) {
    this.type = type;
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames ?? [];
    this.#collect = cfg.collect;
    // As prom-client: a metric without labels shows 0 before anything is recorded.
    if (this.labelNames.length === 0) this.#children.set('', new LeanScalarChild({}));
    for (const r of cfg.registers) r.registerMetric(this as unknown as client.Metric);
  }

  /** The child for these label values (in labelNames order), created on first use. Resolve it off the hot path. */
  labels(...values: string[]): LeanScalarChild {
    return childFor(this.#children, this.name, this.labelNames, values, (labels) => new LeanScalarChild(labels));
  }

  /** The series without labels. */
  get plain(): LeanScalarChild {
    if (this.labelNames.length > 0) throw new Error(`${this.name}: needs labels()`);
    return this.#children.get('')!;
  }

  /** Drops every labelled series (gauges rebuilt at each read). */
  reset(): void {
    if (this.labelNames.length === 0) this.#children.get('')!.value = 0;
    else this.#children.clear();
  }

  async get(): Promise<Snapshot> {
    this.#collect?.call(this);
    const values: Snapshot['values'] = [];
    for (const c of this.#children.values()) values.push({ value: c.value, labels: { ...c.labels } });
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }
}
