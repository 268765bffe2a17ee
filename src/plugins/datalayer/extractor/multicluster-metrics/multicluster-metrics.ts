/**
 * multicluster-metrics-extractor (upstream datalayer/extractor/metrics multicluster.go, Alpha): from a peer's pool
 * metrics page, its average KV-cache utilization and queue size, as the producer-agnostic attributes
 * `llm-d.ai/multicluster-kv-cache-utilization` and `llm-d.ai/multicluster-queue-size` the multicluster scorers
 * read. Parameters: `kvCacheUtilizationMetric` (llm_d_epp_average_kv_cache_utilization), `queueSizeMetric`
 * (llm_d_epp_average_queue_size), as selectors (`name` or `name{label=value}`). A missing metric is an error; the
 * other is still written.
 */
import type { PageExtractor } from '../../../../framework/datalayer.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { moreMatchers, parseMetricSpec, selectorText, type SeriesSelector } from '../../../../datalayer/engine-spec.ts';
import { matchesMore } from '../../../../datalayer/extractor.ts';
import { labelValue, PromScanner, type SampleSink } from '../../../../datalayer/prom-text.ts';
import { stringParam } from '../../string-param.ts';

export const MULTICLUSTER_METRICS_EXTRACTOR_TYPE = 'multicluster-metrics-extractor';
export const MULTICLUSTER_KV_CACHE_UTILIZATION_KEY = 'llm-d.ai/multicluster-kv-cache-utilization';
export const MULTICLUSTER_QUEUE_SIZE_KEY = 'llm-d.ai/multicluster-queue-size';

export class MulticlusterMetricsExtractor implements PageExtractor, SampleSink {
  readonly type = MULTICLUSTER_METRICS_EXTRACTOR_TYPE;
  readonly name: string;
  readonly dataExtractor = true as const;
  readonly produces = [MULTICLUSTER_KV_CACHE_UTILIZATION_KEY, MULTICLUSTER_QUEUE_SIZE_KEY];
  readonly #selectors: readonly SeriesSelector[];
  readonly #scanner: PromScanner;
  readonly #values = [NaN, NaN];

  constructor(name: string, kv: SeriesSelector, queue: SeriesSelector) {
    this.name = name;
    this.#selectors = [kv, queue];
    this.#scanner = new PromScanner(kv.name === queue.name ? [kv.name] : [kv.name, queue.name]);
  }

  extract(endpoint: Endpoint, page: string): void {
    this.#values[0] = NaN;
    this.#values[1] = NaN;
    this.#scanner.scan(page, this);
    const missing: string[] = [];
    for (let i = 0; i < 2; i++) {
      const v = this.#values[i]!;
      if (Number.isNaN(v)) missing.push(selectorText(this.#selectors[i]!));
      else endpoint.attributes.set(this.produces[i]!, v);
    }
    if (missing.length > 0) throw new Error(`no matching metric found for ${missing.join(', ')}`);
  }

  sample(nameIndex: number, page: string, ls: number, le: number, value: number): void {
    const name = this.#scanner.names[nameIndex]!;
    for (let i = 0; i < 2; i++) {
      const s = this.#selectors[i]!;
      if (s.name !== name || !Number.isNaN(this.#values[i]!)) continue;
      if (s.label !== '' && labelValue(page, ls, le, s.label) !== s.value) continue;
      if (!matchesMore(page, ls, le, moreMatchers(s))) continue;
      this.#values[i] = value;
    }
  }
}

function selector(name: string, p: Record<string, unknown>, key: string, def: string): SeriesSelector {
  const text = stringParam(name, p, key, '') || def;
  try {
    return parseMetricSpec(text)!;
  } catch (err) {
    throw new PluginConfigError(name, key, (err as Error).message);
  }
}

export function createMulticlusterMetricsExtractor(name: string, params: unknown, _handle: PluginHandle): MulticlusterMetricsExtractor {
  const p = readParams(name, params, ['kvCacheUtilizationMetric', 'queueSizeMetric']);
  return new MulticlusterMetricsExtractor(
    name,
    selector(name, p, 'kvCacheUtilizationMetric', 'llm_d_epp_average_kv_cache_utilization'),
    selector(name, p, 'queueSizeMetric', 'llm_d_epp_average_queue_size'),
  );
}
