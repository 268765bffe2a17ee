/**
 * Which series each model-server engine exposes for the picker's metrics (the llm-d-router / GIE default
 * engine configs, reference model-server-metrics.md section 4), and where its Prometheus page lives.
 * The extraction itself is engine-agnostic (extractor.ts); an engine is only this table.
 */
import type { EngineType } from '../framework/endpoint.ts';
import type { EngineMetricConfig } from '../framework/datalayer.ts';
import { engineSpecFromConfig, series, type EngineSpec } from './engine-spec.ts';
import { MetricsExtractor } from './extractor.ts';

const METRICS_PATH = '/metrics';

export const ENGINE_SPECS: Readonly<Record<string, EngineSpec>> = {
  vllm: {
    engine: 'vllm',
    path: METRICS_PATH,
    queued: series('vllm:num_requests_waiting'),
    running: series('vllm:num_requests_running'),
    // gpu_cache_usage_perc: V0 and V1 <= 0.10 (deprecated in 0.9, absent in 0.30.0).
    kvUsage: [series('vllm:kv_cache_usage_perc'), series('vllm:gpu_cache_usage_perc')],
    rankLabel: 'engine',
    loraInfo: 'vllm:lora_requests_info',
    loraLoaded: 'vllm:lora_adapter_loaded',
    cacheInfo: { name: 'vllm:cache_config_info', blockSizeLabel: 'block_size', numBlocksLabel: 'num_gpu_blocks' },
    blockSize: undefined,
    numBlocks: undefined,
    custom: [],
  },
  sglang: {
    engine: 'sglang',
    path: METRICS_PATH,
    queued: series('sglang:num_queue_reqs'),
    running: series('sglang:num_running_reqs'),
    kvUsage: [series('sglang:token_usage')],
    rankLabel: 'dp_rank',
    loraInfo: '',
    cacheInfo: { name: 'sglang:cache_config_info', blockSizeLabel: 'page_size', numBlocksLabel: 'num_pages' },
    blockSize: undefined,
    numBlocks: undefined,
    custom: [],
  },
  'trtllm-serve': {
    engine: 'trtllm-serve',
    // trtllm-serve's /metrics is JSON iteration stats; the Prometheus text is here.
    path: '/prometheus/metrics',
    queued: series('trtllm_num_requests_waiting'),
    running: series('trtllm_num_requests_running'),
    kvUsage: [series('trtllm_kv_cache_utilization')],
    rankLabel: '',
    loraInfo: '',
    cacheInfo: undefined,
    blockSize: series('trtllm_kv_cache_tokens_per_block'),
    numBlocks: series('trtllm_kv_cache_max_blocks'),
    custom: [],
  },
  'triton-tensorrt-llm': {
    engine: 'triton-tensorrt-llm',
    path: METRICS_PATH,
    queued: series('nv_trt_llm_request_metrics', 'request_type', 'waiting'),
    running: series('nv_trt_llm_request_metrics', 'request_type', 'scheduled'),
    kvUsage: [series('nv_trt_llm_kv_cache_block_metrics', 'kv_cache_block_type', 'fraction')],
    rankLabel: '',
    loraInfo: '',
    cacheInfo: undefined,
    blockSize: series('nv_trt_llm_kv_cache_block_metrics', 'kv_cache_block_type', 'tokens_per'),
    numBlocks: series('nv_trt_llm_kv_cache_block_metrics', 'kv_cache_block_type', 'max'),
    custom: [],
  },
  // Triton Inference Server for non-LLM models (KServe v2): queue figures only, no KV cache.
  triton: {
    engine: 'triton',
    path: METRICS_PATH,
    queued: series('nv_inference_pending_request_count'),
    running: series('nv_inference_exec_count'),
    kvUsage: [],
    rankLabel: '',
    loraInfo: '',
    cacheInfo: undefined,
    blockSize: undefined,
    numBlocks: undefined,
    custom: [],
  },
};

/**
 * The engines a picker knows: the built-in ones, each replaced or joined by the core-metrics-extractor's
 * `engineConfigs`. Holds the shared extractor of each engine: extraction is synchronous, so one instance (with
 * its scratch state) serves every endpoint of that engine.
 */
export class EngineTable {
  readonly #specs = new Map<EngineType, EngineSpec>();
  readonly #extractors = new Map<EngineType, MetricsExtractor>();

  /** Throws when a config's metric spec does not parse (the plugin factory has checked them already). */
  constructor(configs: readonly EngineMetricConfig[] = []) {
    for (const [name, spec] of Object.entries(ENGINE_SPECS)) this.#specs.set(name, spec);
    for (const c of configs) this.#specs.set(c.name, engineSpecFromConfig(c, ENGINE_SPECS[c.name]));
  }

  names(): EngineType[] {
    return [...this.#specs.keys()];
  }

  has(engine: EngineType): boolean {
    return this.#specs.has(engine);
  }

  /** The spec of `engine`; an unknown engine (not possible once the datastore maps labels) is vllm's. */
  spec(engine: EngineType): EngineSpec {
    return this.#specs.get(engine) ?? ENGINE_SPECS['vllm']!;
  }

  extractor(engine: EngineType): MetricsExtractor {
    let e = this.#extractors.get(engine);
    if (!e) {
      e = new MetricsExtractor(this.spec(engine));
      this.#extractors.set(engine, e);
    }
    return e;
  }
}

/** The built-in engines, no engineConfigs. */
export const BUILT_IN_ENGINES = new EngineTable();

/** The shared extractor of a built-in engine. */
export function extractorFor(engine: EngineType): MetricsExtractor {
  return BUILT_IN_ENGINES.extractor(engine);
}
