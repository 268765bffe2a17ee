/**
 * Renders an engine's state as vLLM V1 serves it on /metrics: the same names, types, label sets (sorted, as
 * new prometheus_client prints them), `_total`/`_created` counter pairs, histogram `_bucket`/`_count`/`_sum`,
 * and prometheus_client's float formatting (`5.0`, `1.394703e+06`), so a scraper sees no difference.
 */
import type { AdapterRegistry } from './adapters.ts';
import type { Engine } from './engine.ts';
import type { Histogram } from './engine-stats.ts';

export interface MetricsContext {
  engine: Engine;
  /** LoRA series ever reported: label string -> unix seconds of last update (vLLM keeps one series per combination). */
  loraSeries: Map<string, number>;
  /** Whether LoRA is enabled (vllm:lora_requests_info only exists then). */
  loraEnabled: boolean;
  /** Unix seconds for the LoRA series timestamp (virtual in the fast simulation). */
  nowSeconds: () => number;
  /** Registered adapters: vllm:lora_adapter_loaded (vLLM #54830) is rendered from it when present. */
  adapters?: AdapterRegistry;
  /** Only what an endpoint picker reads (gauges, LoRA info, cache config): the fast simulation scrapes often. */
  pickerOnly?: boolean;
}

/** Most LoRA label combinations kept; vLLM keeps all, which grows without bound. */
const MAX_LORA_SERIES = 64;

export function renderMetrics(ctx: MetricsContext): string {
  const e = ctx.engine;
  const s = e.stats;
  const cfg = e.config;
  const base = `engine="0",model_name="${escapeLabel(cfg.modelName)}"`;
  const created = py(s.createdAt);
  const out: string[] = [];
  const gauge = (name: string, help: string, value: number): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}{${base}} ${py(value)}`);
  };
  const counter = (name: string, help: string, samples: [string, number][]): void => {
    out.push(`# HELP ${name}_total ${help}`, `# TYPE ${name}_total counter`);
    for (const [labels, v] of samples) out.push(`${name}_total{${labels}} ${py(v)}`);
    out.push(`# HELP ${name}_created ${help}`, `# TYPE ${name}_created gauge`);
    for (const [labels] of samples) out.push(`${name}_created{${labels}} ${created}`);
  };
  const histogram = (name: string, help: string, h: Histogram): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    let cum = 0;
    for (let i = 0; i <= h.bounds.length; i++) {
      cum += h.counts[i] as number;
      const le = i < h.bounds.length ? py(h.bounds[i] as number) : '+Inf';
      out.push(`${name}_bucket{engine="0",le="${le}",model_name="${escapeLabel(cfg.modelName)}"} ${py(cum)}`);
    }
    out.push(`${name}_count{${base}} ${py(h.count)}`, `${name}_sum{${base}} ${py(h.sum)}`);
    out.push(`# HELP ${name}_created ${help}`, `# TYPE ${name}_created gauge`, `${name}_created{${base}} ${created}`);
  };

  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', e.numRunning);
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', e.numWaiting);
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', e.kvUsage());
  if (!ctx.pickerOnly) fullMetrics(ctx, counter, histogram);
  renderLoraAndCache(ctx, out);
  return out.join('\n') + '\n';
}

type CounterFn = (name: string, help: string, samples: [string, number][]) => void;
type HistogramFn = (name: string, help: string, h: Histogram) => void;

function fullMetrics(ctx: MetricsContext, counter: CounterFn, histogram: HistogramFn): void {
  const s = ctx.engine.stats;
  const cfg = ctx.engine.config;
  const base = `engine="0",model_name="${escapeLabel(cfg.modelName)}"`;
  counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.', [[base, s.prefixQueries]]);
  counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.', [[base, s.prefixHits]]);
  counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', [[base, s.preemptions]]);
  counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', [[base, s.promptTokens]]);
  counter('vllm:prompt_tokens_cached', 'Number of cached prompt tokens (local cache hits).', [[base, s.prefixHits]]);
  counter('vllm:generation_tokens', 'Number of generation tokens processed.', [[base, s.generationTokens]]);
  counter('vllm:request_success', 'Count of successfully processed requests.', [
    [`engine="0",finished_reason="stop",model_name="${escapeLabel(cfg.modelName)}"`, s.finishedStop],
    [`engine="0",finished_reason="length",model_name="${escapeLabel(cfg.modelName)}"`, s.finishedLength],
    [`engine="0",finished_reason="abort",model_name="${escapeLabel(cfg.modelName)}"`, s.finishedAbort],
  ]);
  histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', s.ttft);
  histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', s.itl);
  histogram('vllm:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', s.tpot);
  histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', s.e2e);
  histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', s.queueTime);
}

function renderLoraAndCache(ctx: MetricsContext, out: string[]): void {
  const e = ctx.engine;
  const cfg = e.config;
  if (ctx.loraEnabled) {
    const key = `max_lora="${cfg.maxLoras}",running_lora_adapters="${e.runningAdapters().join(',')}",waiting_lora_adapters="${e.waitingAdapters().join(',')}"`;
    ctx.loraSeries.delete(key);
    ctx.loraSeries.set(key, ctx.nowSeconds());
    if (ctx.loraSeries.size > MAX_LORA_SERIES) ctx.loraSeries.delete(ctx.loraSeries.keys().next().value as string);
    out.push('# HELP vllm:lora_requests_info Running stats on lora requests.', '# TYPE vllm:lora_requests_info gauge');
    for (const [labels, ts] of ctx.loraSeries) out.push(`vllm:lora_requests_info{${labels}} ${py(ts)}`);
    if (ctx.adapters) renderResidency(ctx.adapters, e, out);
  }

  out.push(
    '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig',
    '# TYPE vllm:cache_config_info gauge',
    `vllm:cache_config_info{block_size="${cfg.blockSize}",cache_dtype="auto",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_cpu_blocks="None",num_gpu_blocks="${cfg.numGpuBlocks}",prefix_caching_hash_algo="sha256"} 1.0`,
  );
}

/**
 * Adapter residency as vLLM #54830 exposes it: one `vllm:lora_adapter_loaded{adapter_name, level, pinned}` 1 per
 * resident adapter (level gpu when in a GPU slot, else cpu), and the GPU slot count and use.
 */
function renderResidency(adapters: AdapterRegistry, e: Engine, out: string[]): void {
  const gpu = e.gpuAdapters();
  out.push('# HELP vllm:lora_adapter_loaded LoRA adapters resident in the worker caches (1 while loaded).', '# TYPE vllm:lora_adapter_loaded gauge');
  for (const name of adapters.names()) {
    out.push(`vllm:lora_adapter_loaded{adapter_name="${escapeLabel(name)}",level="${gpu.includes(name) ? 'gpu' : 'cpu'}",pinned="false"} 1.0`);
  }
  out.push('# HELP vllm:num_gpu_loaded_lora_adapters Number of LoRA adapters resident in GPU slots.', '# TYPE vllm:num_gpu_loaded_lora_adapters gauge');
  out.push(`vllm:num_gpu_loaded_lora_adapters ${py(gpu.length)}`);
  out.push('# HELP vllm:max_gpu_lora_adapters Number of GPU LoRA slots (max_loras).', '# TYPE vllm:max_gpu_lora_adapters gauge');
  out.push(`vllm:max_gpu_lora_adapters ${py(e.config.maxLoras)}`);
}

/** prometheus_client floatToGoString: Python repr, with values >= 1e6 written as mantissa e+0N. */
export function py(d: number): string {
  if (d === Infinity) return '+Inf';
  if (d === -Infinity) return '-Inf';
  if (Number.isNaN(d)) return 'NaN';
  const s = Number.isInteger(d) && Math.abs(d) < 1e16 ? `${d}.0` : String(d);
  const dot = s.indexOf('.');
  if (d > 0 && dot > 6 && !s.includes('e')) {
    const mantissa = `${s[0]}.${s.slice(1, dot)}${s.slice(dot + 1)}`.replace(/[0.]+$/, '');
    return `${mantissa}e+0${dot - 1}`;
  }
  return s;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
