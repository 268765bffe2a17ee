/**
 * The shape of one engine's metric configuration: which series carry the queue, running, KV-usage,
 * LoRA and cache-geometry figures. The built-in table is engines.ts.
 */
import type { EngineType } from '../framework/endpoint.ts';

/** One metric name, optionally narrowed to the series whose `label` equals `value` (`name{label="value"}`). */
export interface SeriesSelector {
  readonly name: string;
  readonly label: string;
  readonly value: string;
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
  readonly queued: SeriesSelector;
  readonly running: SeriesSelector;
  /** KV usage in [0,1]; the first selector with any series wins (newer name first, deprecated after). */
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
}

export function series(name: string, label = '', value = ''): SeriesSelector {
  return { name, label, value };
}

/** `name` or `name{label="value"}`, as failure messages and docs print a selector. */
export function selectorText(s: SeriesSelector): string {
  return s.label === '' ? s.name : `${s.name}{${s.label}="${s.value}"}`;
}
