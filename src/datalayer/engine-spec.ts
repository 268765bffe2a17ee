/**
 * The shape of one engine's metric configuration: which series carry the queue, running, KV-usage,
 * LoRA and cache-geometry figures. The built-in table is engines.ts.
 */
import type { EngineMetricConfig } from '../framework/datalayer.ts';
import type { EngineType } from '../framework/endpoint.ts';

/**
 * One metric name, optionally narrowed to the series whose `label` equals `value` (`name{label="value"}`), and
 * whose labels also match `more` (engineConfigs specs with several matchers: `name{a="1",b="2"}`).
 */
export interface SeriesSelector {
  readonly name: string;
  readonly label: string;
  readonly value: string;
  /** Further label matchers as [label, value]; usually none. */
  readonly more?: readonly (readonly [string, string])[];
}

/** An `*_info` gauge whose labels carry the KV cache geometry. */
export interface CacheInfoSelector {
  readonly name: string;
  readonly blockSizeLabel: string;
  readonly numBlocksLabel: string;
}

export interface EngineSpec {
  readonly engine: EngineType;
  /** HTTP path of the Prometheus text page. */
  readonly path: string;
  /** undefined: the engine does not expose it (an engineConfigs entry with that spec ''); not required then. */
  readonly queued: SeriesSelector | undefined;
  readonly running: SeriesSelector | undefined;
  /**
   * KV usage in [0,1]; the first selector with any series wins (newer name first, deprecated after). Empty: not
   * exposed (upstream's non-LLM `triton`), not required.
   */
  readonly kvUsage: readonly SeriesSelector[];
  /**
   * Label naming an independent scheduler inside one server (vLLM data-parallel `engine`, SGLang
   * `dp_rank`): queued/running are summed across its values and maxed within one value (SGLang tp ranks
   * of one dp rank repeat the same number). '' = every series is summed.
   */
  readonly rankLabel: string;
  /** vLLM `lora_requests_info`; '' = the engine exposes no LoRA state. */
  readonly loraInfo: string;
  /** Adapter residency, one series per loaded adapter named by `adapter_name` (vLLM #54830); '' = not exposed. */
  readonly loraLoaded?: string;
  readonly cacheInfo: CacheInfoSelector | undefined;
  /** Gauges giving the cache geometry directly (TensorRT-LLM). */
  readonly blockSize: SeriesSelector | undefined;
  readonly numBlocks: SeriesSelector | undefined;
  /** engineConfigs customMetrics: the first matching series' value, written as the endpoint attribute `key`. */
  readonly custom: readonly CustomMetricSpec[];
}

export interface CustomMetricSpec {
  readonly attributeKey: string;
  /** The endpoint attribute key: `<attributeKey>/core-metrics-extractor` (upstream ScalarMetricDataKey). */
  readonly key: string;
  readonly selector: SeriesSelector;
}

/** The producer under whose name custom metrics are published (upstream MetricsExtractorType). */
export const CUSTOM_METRICS_PRODUCER = 'core-metrics-extractor';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A PromQL instant-vector selector as engineConfigs spell them (upstream parseStringToSpec): `name`, or
 * `name{label=value}` / `name{label="value"}`, several matchers comma-separated. '' = undefined (not exposed).
 * Throws with the reason.
 */
export function parseMetricSpec(spec: string): SeriesSelector | undefined {
  if (spec.trim() === '') return undefined;
  const m = /^\s*([^\s{]+)\s*(?:\{([^}]*)\})?\s*$/.exec(spec);
  if (m === null || !METRIC_NAME.test(m[1]!)) throw new Error(`not a valid metric specification: ${JSON.stringify(spec)}`);
  const block = (m[2] ?? '').trim();
  if (block === '') return series(m[1]!);
  const pairs = block.split(',').filter((p) => p.trim() !== '');
  const matchers = pairs.map((pair) => {
    const lm = /^\s*([^\s=]+)\s*=\s*(?:"([^"]*)"|([^",}\s]+))\s*$/.exec(pair);
    if (lm === null || !LABEL_NAME.test(lm[1]!)) throw new Error(`invalid label pair ${JSON.stringify(pair)} in specification: ${JSON.stringify(spec)}`);
    return [lm[1]!, lm[2] ?? lm[3] ?? ''] as const;
  });
  const [first, ...more] = matchers;
  if (first === undefined) return series(m[1]!);
  const sel = series(m[1]!, first[0], first[1]);
  return more.length === 0 ? sel : { ...sel, more };
}

/**
 * The spec of an engineConfigs entry. It replaces a built-in engine of the same name wholly (as upstream), keeping
 * only what is not a metric name: the page path and the data-parallel rank label.
 */
export function engineSpecFromConfig(c: EngineMetricConfig, builtIn: EngineSpec | undefined): EngineSpec {
  const cacheInfo = parseMetricSpec(c.cacheInfoSpec);
  const kv = parseMetricSpec(c.kvUsageSpec);
  const custom = c.customMetrics.map((m) => {
    const selector = parseMetricSpec(m.metricSpec);
    if (selector === undefined) throw new Error(`custom metric ${JSON.stringify(m.attributeKey)} spec cannot be empty`);
    return { attributeKey: m.attributeKey, key: `${m.attributeKey}/${CUSTOM_METRICS_PRODUCER}`, selector };
  });
  return {
    engine: c.name,
    path: builtIn?.path ?? '/metrics',
    queued: parseMetricSpec(c.queuedRequestsSpec),
    running: parseMetricSpec(c.runningRequestsSpec),
    kvUsage: kv === undefined ? [] : [kv],
    rankLabel: builtIn?.rankLabel ?? '',
    loraInfo: parseMetricSpec(c.loraSpec)?.name ?? '',
    cacheInfo: cacheInfo === undefined ? undefined : { name: cacheInfo.name, blockSizeLabel: c.cacheBlockSizeLabelName || 'block_size', numBlocksLabel: c.cacheNumBlocksLabelName || 'num_gpu_blocks' },
    blockSize: parseMetricSpec(c.cacheBlockSizeSpec),
    numBlocks: parseMetricSpec(c.cacheNumBlocksSpec),
    custom,
  };
}

export function series(name: string, label = '', value = ''): SeriesSelector {
  return { name, label, value };
}

/** `name` or `name{label="value"}`, as failure messages and docs print a selector. */
export function selectorText(s: SeriesSelector): string {
  if (s.label === '') return s.name;
  const more = (s.more ?? []).map(([l, v]) => `,${l}="${v}"`).join('');
  return `${s.name}{${s.label}="${s.value}"${more}}`;
}

const NO_MORE: readonly (readonly [string, string])[] = [];

/** The selector's further matchers ([] for most). */
export function moreMatchers(s: SeriesSelector): readonly (readonly [string, string])[] {
  return s.more ?? NO_MORE;
}
