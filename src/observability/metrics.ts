/**
 * The picker's Prometheus metrics (prom-client), with the upstream names where they exist. Per-request
 * label children are cached by model so the request path does no label hashing after the first request.
 * Histograms observed per request or per scrape are LeanHistograms (same exposition, ~20x cheaper observe).
 */
import client from 'prom-client';
import type { DatastoreReader } from '../datastore/datastore.ts';
import { LeanHistogram, type LeanHistogramChild } from './lean-histogram.ts';

const TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072];
const LATENCY_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
const SCHED_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];
const SIZE_BUCKETS = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const NTPOT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 1, 2, 5];

export interface ModelMetrics {
  requests: client.Counter.Internal;
  duration: LeanHistogramChild;
  requestSize: LeanHistogramChild;
  responseSize: LeanHistogramChild;
  inputTokens: LeanHistogramChild;
  outputTokens: LeanHistogramChild;
  cachedTokens: LeanHistogramChild;
  ntpot: LeanHistogramChild;
  running: client.Gauge.Internal<string>;
}

export class PickerMetrics {
  readonly registry = new client.Registry();
  readonly requestTotal: client.Counter<string>;
  readonly requestErrors: client.Counter<string>;
  readonly requestDuration: LeanHistogram;
  readonly requestSizes: LeanHistogram;
  readonly responseSizes: LeanHistogram;
  readonly inputTokens: LeanHistogram;
  readonly outputTokens: LeanHistogram;
  readonly cachedTokens: LeanHistogram;
  readonly ntpot: LeanHistogram;
  readonly runningRequests: client.Gauge<string>;
  readonly schedulerE2e: LeanHistogram;
  readonly schedulerAttempts: client.Counter<string>;
  readonly pluginDurations: LeanHistogram;
  #pluginChildren = new Map<string, LeanHistogramChild>();
  readonly prefixIndexerSize: client.Gauge<string>;
  readonly rewriteDecisions: client.Counter<string>;
  readonly scrapes: client.Counter<string>;
  readonly scrapeDuration: LeanHistogram;
  readonly resourceReloads: client.Counter<string>;
  readonly shed: client.Counter<string>;
  #children = new Map<string, ModelMetrics>();
  #schedSuccess: client.Counter.Internal;
  #schedFailure: client.Counter.Internal;

  constructor(datastore: DatastoreReader, opts: { stalenessMs: number; now: () => number; prefixIndexSize?: () => number }) {
    const registers = [this.registry];
    const model = ['model_name', 'target_model_name'];
    this.requestTotal = new client.Counter({ name: 'inference_objective_request_total', help: 'Counter of inference objective requests broken out for each model and target model.', labelNames: [...model, 'priority'], registers });
    this.requestErrors = new client.Counter({ name: 'inference_objective_request_error_total', help: 'Counter of inference objective requests errors broken out for each model and target model.', labelNames: [...model, 'error_code'], registers });
    this.requestDuration = new LeanHistogram({ name: 'inference_objective_request_duration_seconds', help: 'Inference objective response latency distribution in seconds for each model and target model.', labelNames: model, buckets: LATENCY_BUCKETS, registers });
    this.requestSizes = new LeanHistogram({ name: 'inference_objective_request_sizes', help: 'Inference objective requests size distribution in bytes for each model and target model.', labelNames: model, buckets: SIZE_BUCKETS, registers });
    this.responseSizes = new LeanHistogram({ name: 'inference_objective_response_sizes', help: 'Inference objective responses size distribution in bytes for each model and target model.', labelNames: model, buckets: SIZE_BUCKETS, registers });
    this.inputTokens = new LeanHistogram({ name: 'inference_objective_input_tokens', help: 'Inference objective input token count distribution for requests in each model.', labelNames: model, buckets: TOKEN_BUCKETS, registers });
    this.outputTokens = new LeanHistogram({ name: 'inference_objective_output_tokens', help: 'Inference objective output token count distribution for requests in each model.', labelNames: model, buckets: TOKEN_BUCKETS, registers });
    this.cachedTokens = new LeanHistogram({ name: 'inference_objective_prompt_cached_tokens', help: 'Inference objective prompt cached token count distribution for requests in each model.', labelNames: model, buckets: TOKEN_BUCKETS, registers });
    this.ntpot = new LeanHistogram({ name: 'inference_objective_normalized_time_per_output_token_seconds', help: 'Inference objective latency divided by number of output tokens in seconds for each model and target model.', labelNames: model, buckets: NTPOT_BUCKETS, registers });
    this.runningRequests = new client.Gauge({ name: 'inference_objective_running_requests', help: 'Inference objective number of running requests in each model.', labelNames: ['model_name'], registers });
    this.schedulerE2e = new LeanHistogram({ name: 'inference_extension_scheduler_e2e_duration_seconds', help: 'End-to-end scheduling latency distribution in seconds.', buckets: SCHED_BUCKETS, registers });
    this.schedulerAttempts = new client.Counter({ name: 'inference_extension_scheduler_attempts_total', help: 'Total number of scheduling attempts.', labelNames: ['status'], registers });
    this.pluginDurations = new LeanHistogram({ name: 'inference_extension_plugin_duration_seconds', help: 'Plugin processing latency distribution in seconds for each extension point, plugin type and plugin name.', labelNames: ['extension_point', 'plugin_type', 'plugin_name'], buckets: SCHED_BUCKETS, registers });
    this.prefixIndexerSize = new client.Gauge({ name: 'inference_extension_prefix_indexer_size', help: 'Size of the prefix indexer (block hashes held across all endpoints).', registers, collect() { if (opts.prefixIndexSize) this.set(opts.prefixIndexSize()); } });
    this.rewriteDecisions = new client.Counter({ name: 'inference_extension_model_rewrite_decisions_total', help: 'Total number of model rewrite decisions.', labelNames: ['model_rewrite_name', 'model_name', 'target_model'], registers });
    this.shed = new client.Counter({ name: 'inference_extension_shed_requests_total', help: 'Sheddable requests rejected with 429 because the pool was saturated.', labelNames: ['model_name'], registers });
    this.scrapes = new client.Counter({ name: 'inference_extension_model_server_scrapes_total', help: 'Model-server metric scrapes by result (success, failure).', labelNames: ['result'], registers });
    this.scrapeDuration = new LeanHistogram({ name: 'inference_extension_model_server_scrape_duration_seconds', help: 'Model-server metric scrape latency in seconds.', buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers });
    this.resourceReloads = new client.Counter({ name: 'inference_extension_resources_reload_total', help: 'Standalone resources file loads by result (applied, rejected).', labelNames: ['result'], registers });
    this.#schedSuccess = this.schedulerAttempts.labels('success');
    this.#schedFailure = this.schedulerAttempts.labels('failure');

    new client.Gauge({ name: 'inference_extension_info', help: 'General information of the current build.', labelNames: ['commit', 'build_ref'], registers }).labels(process.env.EPP_COMMIT ?? 'unknown', process.env.EPP_BUILD_REF ?? 'unknown').set(1);
    registerPoolGauges(this.registry, datastore, opts);
  }

  /** Label children for one (model, target) pair, created once. */
  forModel(model: string, target: string): ModelMetrics {
    const key = `${model}\u0000${target}`;
    let c = this.#children.get(key);
    if (!c) {
      c = {
        requests: this.requestTotal.labels(model, target, '0'),
        duration: this.requestDuration.labels(model, target),
        requestSize: this.requestSizes.labels(model, target),
        responseSize: this.responseSizes.labels(model, target),
        inputTokens: this.inputTokens.labels(model, target),
        outputTokens: this.outputTokens.labels(model, target),
        cachedTokens: this.cachedTokens.labels(model, target),
        ntpot: this.ntpot.labels(model, target),
        running: this.runningRequests.labels(model),
      };
      if (this.#children.size < 10_000) this.#children.set(key, c);
    }
    return c;
  }

  /** The plugin-duration child for one plugin, created once. */
  pluginDuration(point: string, type: string, name: string): LeanHistogramChild {
    const key = `${point}/${type}/${name}`;
    let c = this.#pluginChildren.get(key);
    if (!c) this.#pluginChildren.set(key, (c = this.pluginDurations.labels(point, type, name)));
    return c;
  }

  schedulingDone(ok: boolean, seconds: number): void {
    (ok ? this.#schedSuccess : this.#schedFailure).inc();
    this.schedulerE2e.observe(seconds);
  }
}

/** Pool gauges computed at scrape time from the datastore (no timers). */
function registerPoolGauges(registry: client.Registry, ds: DatastoreReader, opts: { stalenessMs: number; now: () => number }): void {
  const registers = [registry];
  const fresh = () => {
    const now = opts.now();
    return ds.endpoints().filter((e) => e.metricsAge(now) <= opts.stalenessMs);
  };
  const poolName = () => ds.pool()?.name ?? '';
  const avg = (f: (e: ReturnType<typeof fresh>[number]) => number) => {
    const eps = fresh();
    return eps.length === 0 ? 0 : eps.reduce((s, e) => s + f(e), 0) / eps.length;
  };
  new client.Gauge({ name: 'inference_pool_average_kv_cache_utilization', help: 'The average kv cache utilization for an inference server pool.', labelNames: ['name'], registers, collect() { this.reset(); this.labels(poolName()).set(avg((e) => e.kvCacheUsage)); } });
  new client.Gauge({ name: 'inference_pool_average_queue_size', help: 'The average number of requests pending in the model server queue.', labelNames: ['name'], registers, collect() { this.reset(); this.labels(poolName()).set(avg((e) => e.waitingQueue)); } });
  new client.Gauge({ name: 'inference_pool_average_running_requests', help: 'The average number of requests running on the model servers.', labelNames: ['name'], registers, collect() { this.reset(); this.labels(poolName()).set(avg((e) => e.runningRequests)); } });
  new client.Gauge({ name: 'inference_pool_ready_pods', help: 'The number of ready pods in the inference server pool.', labelNames: ['name'], registers, collect() { this.reset(); this.labels(poolName()).set(new Set(ds.endpoints().map((e) => e.podName)).size); } });
  new client.Gauge({ name: 'inference_pool_per_pod_queue_size', help: 'The total number of requests pending in the model server queue for each underlying pod.', labelNames: ['name', 'model_server_pod'], registers, collect() { this.reset(); for (const e of ds.endpoints()) this.labels(poolName(), e.podName).set(e.waitingQueue); } });
  new client.Gauge({ name: 'inference_extension_endpoint_metrics_age_seconds', help: 'Age of each endpoint\'s last successful metric scrape in seconds (-1 = never scraped). Older than the staleness threshold = treated as saturated.', labelNames: ['endpoint', 'pod'], registers, collect() { this.reset(); const now = opts.now(); for (const e of ds.endpoints()) { const age = e.metricsAge(now); this.labels(e.key, e.podName).set(Number.isFinite(age) ? age / 1000 : -1); } } });
  new client.Gauge({ name: 'inference_extension_endpoint_inflight_requests', help: 'Requests this picker routed to each endpoint that have not finished.', labelNames: ['endpoint'], registers, collect() { this.reset(); for (const e of ds.endpoints()) this.labels(e.key).set(e.inflightRequests); } });
}
