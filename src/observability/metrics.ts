/**
 * The picker's Prometheus metrics under llm-d Router's names: the canonical llm_d_epp_* families and, beside
 * them, the GIE names upstream still emits as deprecated aliases (pkg/epp/metrics/{metrics,llm_d_router_metrics}.go),
 * with upstream's labels and buckets. model_name / target_model_name and fairness_id are capped at 100 distinct
 * values each, overflow folded into "other", names configured in InferenceModelRewrite never folded
 * (bounded-label.ts). Per-request series are resolved once per label set and cached (RequestMetrics), so the
 * request path does no label hashing after the first request of a kind; counters, gauges and histograms on
 * that path are lean (a number field or a Float64Array, lean-scalar.ts / lean-histogram.ts).
 */
import client from 'prom-client';
import type { DatastoreReader } from '../datastore/datastore.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import { BoundedLabel, OVERFLOW_VALUE } from './bounded-label.ts';
import { LabelSetCap } from './label-set-cap.ts';
import { LeanHistogram } from './lean-histogram.ts';
import { LeanScalar, type LeanScalarChild } from './lean-scalar.ts';
import { registerPoolGauges } from './pool-gauges.ts';
import { AutoscalingGauges, type AutoscalingOptions } from './autoscaling-gauges.ts';

// Buckets as upstream (pkg/epp/metrics/metrics.go, llm_d_router_metrics.go); each family and its alias share them.
const LATENCY_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
const REQUEST_SIZE_BUCKETS = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608, 16777216, 33554432, 67108864, 134217728, 268435456, 536870912, 1073741824];
const RESPONSE_SIZE_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536];
const TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072, 262144, 524288, 1048576];
const OUTPUT_TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
const NTPOT_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
const TTFT_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 120];
const TPOT_BUCKETS = [0.0005, 0.00205, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 2];
const SCHED_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];
const PROCESSING_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.04, 0.06, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RESPONSE_PROCESSING_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const MODEL = ['model_name', 'target_model_name'];
const MODEL_FP = [...MODEL, 'fairness_id', 'priority'];
const DEPRECATED = (canonical: string) => `[Deprecated: Use ${canonical}] `;
/** Upstream's type name of the data source that scrapes model-server /metrics. */
const METRICS_DATA_SOURCE = 'metrics-data-source';

import { DualHistogramChild, RequestMetrics } from './request-metrics.ts';

export { RequestMetrics, type ServedRequest } from './request-metrics.ts';

interface LegacyFamilies {
  requestTotal: LeanScalar;
  requestErrors: LeanScalar;
  running: LeanScalar;
  requestSize: LeanHistogram;
  duration: LeanHistogram;
  responseSize: LeanHistogram;
  inputTokens: LeanHistogram;
  outputTokens: LeanHistogram;
  cachedTokens: LeanHistogram;
  ntpot: LeanHistogram;
}

/** One disaggregatedset-rollout-screener's figures (upstream screener/disaggregatedsetrollout/metrics.go). */
export interface RolloutScreenerFigures {
  readonly name: string;
  readonly type: string;
  readonly mode: string;
  /** Strict header selections that matched no endpoint, by selector name. */
  readonly strictHeaderNoMatch: ReadonlyMap<string, number>;
  /** Every observed revision's share from 0 to 1. */
  readonly revisionShares: readonly (readonly [string, number])[];
}

export interface PickerMetricsOptions {
  stalenessMs: number;
  now: () => number;
  /** Entries in the prefix-cache index (the prefix_indexer_size gauges); absent = no index. */
  prefixIndexSize?: () => number;
  /** Disaggregated scheduling decisions so far: [plugin name, plugin type, model, decision, count]. */
  disaggDecisions?: () => Iterable<readonly [string, string, string, string, number]>;
  /** The disaggregatedset-rollout-screeners' figures, read at scrape time. */
  rolloutScreeners?: () => Iterable<RolloutScreenerFigures>;
  /** Targets and inputs of the autoscaling signals (autoscaling-gauges.ts). */
  autoscaling?: Omit<AutoscalingOptions, 'stalenessMs' | 'now'>;
  /** Logs a label cap reached (once per cap). */
  warn?: (msg: string) => void;
}

/**
 * Request label sets (model, target, fairness id, priority) with their own series: 100 names x 2 priorities.
 * Past it a new set keeps its model and target with fairness id "other", or folds whole into "other".
 */
export const MAX_REQUEST_LABEL_SETS = 200;
/** Distinct target models per endpoint in scheduler_attempts_total (models x endpoints: 100 x 1,000 otherwise). */
export const MAX_MODELS_PER_ENDPOINT = 16;

/** How many label sets of per-request series are cached (each is a handful of children). */
const MAX_CACHED_SERIES = 10_000;

export class PickerMetrics {
  readonly registry = new client.Registry();
  readonly legacy: LegacyFamilies;
  readonly requestTotal: LeanScalar;
  readonly requestErrors: LeanScalar;
  readonly running: LeanScalar;
  readonly requestSize: LeanHistogram;
  readonly duration: LeanHistogram;
  readonly responseSize: LeanHistogram;
  readonly inputTokens: LeanHistogram;
  readonly outputTokens: LeanHistogram;
  readonly cachedTokens: LeanHistogram;
  readonly ntpot: LeanHistogram;
  readonly ttft: LeanHistogram;
  readonly tpot: LeanHistogram;
  readonly requestProcessing: LeanHistogram;
  readonly responseProcessing: LeanHistogram;
  readonly rewriteDecisions: readonly [LeanScalar, LeanScalar];
  readonly shed: client.Counter<string>;
  readonly scrapes: client.Counter<string>;
  readonly scrapeDuration: LeanHistogram;
  readonly resourceReloads: client.Counter<string>;
  /** model_name and target_model_name share one cap, as upstream's modelLabelLimiter. */
  readonly models = new BoundedLabel();
  readonly fairnessIds = new BoundedLabel();
  readonly autoscaling: AutoscalingGauges;
  readonly #schedulerE2e: readonly [LeanHistogram, LeanHistogram];
  readonly #attempts: readonly [LeanScalar, LeanScalar];
  /** Success series by target model, then by endpoint (weak: endpoints that leave the pool are dropped); failures by target. */
  readonly #attemptSuccess = new Map<string, WeakMap<Endpoint, readonly [LeanScalarChild, LeanScalarChild]>>();
  readonly #attemptFailure = new Map<string, readonly [LeanScalarChild, LeanScalarChild]>();
  readonly #pluginDurations: readonly [LeanHistogram, LeanHistogram];
  /** datalayer_poll_errors_total for the metrics data source (the only source here). */
  readonly #pollErrors: readonly [LeanScalarChild, LeanScalarChild];
  readonly #pluginChildren = new Map<string, DualHistogramChild>();
  /** model -> target -> fairness id -> priority -> series. */
  readonly #series = new Map<string, Map<string, Map<string, Map<number, RequestMetrics>>>>();
  #cachedSeries = 0;
  readonly #requestSets: LabelSetCap;
  /** Target models with success series, per endpoint (weak: endpoints that leave are dropped). */
  readonly #endpointModels = new WeakMap<Endpoint, number>();
  readonly #warnEndpointModels: () => void;

  constructor(datastore: DatastoreReader, opts: PickerMetricsOptions) {
    this.#requestSets = new LabelSetCap(MAX_REQUEST_LABEL_SETS, 'request metrics', opts.warn);
    let warned = false;
    this.#warnEndpointModels = () => {
      if (!warned) opts.warn?.(`scheduler attempt metrics: ${MAX_MODELS_PER_ENDPOINT} target models on one endpoint reached; further ones fold into "other"`);
      warned = true;
    };
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: readonly string[]) => new LeanScalar('counter', { name, help, labelNames, registers });
    const gauge = (name: string, help: string, labelNames: readonly string[]) => new LeanScalar('gauge', { name, help, labelNames, registers });
    const histogram = (name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) => new LeanHistogram({ name, help, labelNames, buckets, registers });
    // Canonical family, then its deprecated alias; help texts as upstream.
    const pair = <T>(make: (name: string, help: string) => T, canonical: string, help: string, legacy: string, legacyHelp: string): [T, T] => [
      make(canonical, help),
      make(legacy, DEPRECATED(canonical) + legacyHelp),
    ];

    const l = {} as LegacyFamilies;
    this.legacy = l;
    this.requestTotal = counter('llm_d_epp_request_total', 'Total number of processed requests.', MODEL_FP);
    l.requestTotal = counter('inference_objective_request_total', `${DEPRECATED('llm_d_epp_request_total')}Counter of inference objective requests broken out for each model and target model.`, [...MODEL, 'priority']);
    [this.requestErrors, l.requestErrors] = pair((n, h) => counter(n, h, n.startsWith('llm_d') ? [...MODEL_FP, 'error_code'] : [...MODEL, 'error_code']), 'llm_d_epp_request_error_total', 'Total number of request errors.', 'inference_objective_request_error_total', 'Counter of inference objective requests errors broken out for each model and target model.');
    const hist = (buckets: readonly number[]) => (n: string, h: string) => histogram(n, h, n.startsWith('llm_d') ? MODEL_FP : MODEL, buckets);
    [this.duration, l.duration] = pair(hist(LATENCY_BUCKETS), 'llm_d_epp_request_duration_seconds', 'End-to-end request latency distribution in seconds.', 'inference_objective_request_duration_seconds', 'Inference objective response latency distribution in seconds for each model and target model.');
    [this.requestSize, l.requestSize] = pair(hist(REQUEST_SIZE_BUCKETS), 'llm_d_epp_request_size_bytes', 'Incoming request body size distribution in bytes.', 'inference_objective_request_sizes', 'Inference objective requests size distribution in bytes for each model and target model.');
    [this.responseSize, l.responseSize] = pair(hist(RESPONSE_SIZE_BUCKETS), 'llm_d_epp_response_size_bytes', 'Outgoing response body size distribution in bytes.', 'inference_objective_response_sizes', 'Inference objective responses size distribution in bytes for each model and target model.');
    [this.inputTokens, l.inputTokens] = pair(hist(TOKEN_BUCKETS), 'llm_d_epp_request_input_tokens', 'Input token count distribution per request.', 'inference_objective_input_tokens', 'Inference objective input token count distribution for requests in each model.');
    [this.outputTokens, l.outputTokens] = pair(hist(OUTPUT_TOKEN_BUCKETS), 'llm_d_epp_request_output_tokens', 'Output token count distribution per request.', 'inference_objective_output_tokens', 'Inference objective output token count distribution for requests in each model.');
    [this.cachedTokens, l.cachedTokens] = pair(hist(TOKEN_BUCKETS), 'llm_d_epp_request_cached_tokens', 'Distribution of prompt tokens read from cache per request, as reported by the model server in the response.', 'inference_objective_prompt_cached_tokens', 'Inference objective prompt cached token count distribution for requests in each model.');
    [this.ntpot, l.ntpot] = pair(hist(NTPOT_BUCKETS), 'llm_d_epp_request_ntpot_seconds', 'Normalized time per output token in seconds (end-to-end latency divided by output token count).', 'inference_objective_normalized_time_per_output_token_seconds', 'Inference objective latency divided by number of output tokens in seconds for each model and target model.');
    this.running = gauge('llm_d_epp_request_running', 'Current number of active running requests.', MODEL_FP);
    l.running = gauge('inference_objective_running_requests', `${DEPRECATED('llm_d_epp_request_running')}Inference objective number of running requests in each model.`, ['model_name']);
    // Canonical only upstream (no GIE alias).
    this.ttft = histogram('llm_d_epp_request_ttft_seconds', 'Time to first token in seconds, measured from request received to first response byte. For non-streaming requests, this equals total request duration.', [...MODEL_FP, 'streaming'], TTFT_BUCKETS);
    this.tpot = histogram('llm_d_epp_request_streaming_tpot_seconds', 'Average time per output token in seconds for streaming requests, computed as (e2e - TTFT) / (output_tokens - 1).', MODEL_FP, TPOT_BUCKETS);
    this.requestProcessing = histogram('llm_d_epp_request_processing_duration_seconds', 'EPP request processing latency distribution in seconds, from request receipt until the request body has been handled, including admission control.', [], PROCESSING_BUCKETS);
    this.responseProcessing = histogram('llm_d_epp_response_processing_duration_seconds', 'EPP response processing latency distribution in seconds: the sum of per-chunk handler time for a streamed response, or the interval from response headers to completion for a non-streaming response.', [], RESPONSE_PROCESSING_BUCKETS);

    this.#schedulerE2e = pair((n, h) => histogram(n, h, [], SCHED_BUCKETS), 'llm_d_epp_scheduler_e2e_duration_seconds', 'End-to-end scheduling latency distribution in seconds.', 'inference_extension_scheduler_e2e_duration_seconds', 'End-to-end scheduling latency distribution in seconds.');
    this.#attempts = [
      counter('llm_d_epp_scheduler_attempts_total', 'Total number of scheduling attempts.', ['status', 'target_model_name', 'endpoint_name', 'namespace', 'port']),
      counter('inference_extension_scheduler_attempts_total', `${DEPRECATED('llm_d_epp_scheduler_attempts_total')}Total number of scheduling attempts.`, ['status', 'target_model_name', 'pod_name', 'namespace', 'port']),
    ];
    const pluginHelp = 'Plugin processing latency distribution in seconds for each extension point, plugin type and plugin name.';
    this.#pluginDurations = pair((n, h) => histogram(n, h, ['extension_point', 'plugin_type', 'plugin_name'], SCHED_BUCKETS), 'llm_d_epp_plugin_duration_seconds', pluginHelp, 'inference_extension_plugin_duration_seconds', pluginHelp);
    const rewriteLabels = ['model_rewrite_name', 'model_name', 'target_model'];
    this.rewriteDecisions = [
      counter('llm_d_epp_model_rewrite_decisions_total', 'Total number of inference model rewrite decisions.', rewriteLabels),
      counter('inference_extension_model_rewrite_decisions_total', 'Total number of inference model rewrite decisions.', rewriteLabels),
    ];
    const pollHelp = 'Data-source poll errors per source type.';
    this.#pollErrors = [
      counter('llm_d_epp_datalayer_poll_errors_total', pollHelp, ['source_type']).labels(METRICS_DATA_SOURCE),
      counter('llm_d_inference_scheduler_datalayer_poll_errors_total', DEPRECATED('llm_d_epp_datalayer_poll_errors_total') + pollHelp, ['source_type']).labels(METRICS_DATA_SOURCE),
    ];
    const size = opts.prefixIndexSize;
    if (size) {
      new LeanScalar('gauge', { name: 'llm_d_epp_prefix_indexer_size', help: 'Size of the prefix indexer.', labelNames: ['plugin_name', 'plugin_type'], registers, collect() { this.labels('prefix-cache-scorer', 'prefix-cache-scorer').set(size()); } });
      new LeanScalar('gauge', { name: 'inference_extension_prefix_indexer_size', help: `${DEPRECATED('llm_d_epp_prefix_indexer_size')}Size of the prefix indexer.`, registers, collect() { this.plain.set(size()); } });
    }
    const decisions = opts.disaggDecisions;
    if (decisions) {
      // llm-d Router disagg/metrics.go: which stages each request ran (decode-only, prefill-decode, encode-decode, encode-prefill-decode).
      const help = 'Total number of disaggregation decisions made by the disagg profile handler, by decision type.';
      new client.Counter({
        name: 'llm_d_epp_disagg_decision_total',
        help,
        labelNames: ['plugin_name', 'plugin_type', 'model_name', 'decision_type'],
        registers,
        collect() {
          this.reset();
          for (const [name, type, model, d, n] of decisions()) this.labels(name, type, model, d).inc(n);
        },
      });
      new client.Counter({
        name: 'llm_d_inference_scheduler_disagg_decision_total',
        help: DEPRECATED('llm_d_epp_disagg_decision_total') + help,
        labelNames: ['model_name', 'decision_type'],
        registers,
        collect() {
          this.reset();
          for (const [, , model, d, n] of decisions()) this.labels(model, d).inc(n);
        },
      });
    }
    const rollout = opts.rolloutScreeners;
    if (rollout) {
      new client.Counter({
        name: 'llm_d_epp_disaggregatedset_strict_header_no_match_total',
        help: 'Strict header selections that matched no endpoint and failed closed.',
        labelNames: ['plugin_type', 'plugin_name', 'selector'],
        registers,
        collect() {
          this.reset();
          for (const f of rollout()) for (const [selector, n] of f.strictHeaderNoMatch) this.labels(f.type, f.name, selector).inc(n);
        },
      });
      // Rebuilt per scrape: a revision that left the observed pods has no series (upstream deletes it).
      new client.Gauge({
        name: 'llm_d_epp_disaggregatedset_revision_gating_share',
        help: 'Current weighted revision gating share from 0 to 1; incomplete revisions have share 0.',
        labelNames: ['plugin_type', 'plugin_name', 'mode', 'revision'],
        registers,
        collect() {
          this.reset();
          for (const f of rollout()) for (const [revision, share] of f.revisionShares) this.labels(f.type, f.name, f.mode, revision).set(share);
        },
      });
    }
    const infoHelp = 'General information of the current build of Inference Extension.';
    for (const name of ['llm_d_epp_info', 'inference_extension_info']) {
      gauge(name, infoHelp, ['commit', 'build_ref']).labels(process.env.EPP_COMMIT ?? 'unknown', process.env.EPP_BUILD_REF ?? 'unknown').set(1);
    }

    // Ours only.
    this.shed = new client.Counter({ name: 'inference_extension_shed_requests_total', help: 'Sheddable requests rejected with 429 because the pool was saturated.', labelNames: ['model_name'], registers });
    this.scrapes = new client.Counter({ name: 'inference_extension_model_server_scrapes_total', help: 'Model-server metric scrapes by result (success, failure).', labelNames: ['result'], registers });
    this.scrapeDuration = new LeanHistogram({ name: 'inference_extension_model_server_scrape_duration_seconds', help: 'Model-server metric scrape latency in seconds.', buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers });
    this.resourceReloads = new client.Counter({ name: 'inference_extension_resources_reload_total', help: 'Standalone resources file loads by result (applied, rejected).', labelNames: ['result'], registers });
    registerPoolGauges(this.registry, datastore, opts);
    this.autoscaling = new AutoscalingGauges(this.registry, datastore, (n) => this.models.isPinned(n), { ...opts.autoscaling, stalenessMs: opts.stalenessMs, now: opts.now });
  }

  /**
   * The series of one request's label set, created once (labels bounded on creation). Nested maps keyed by the
   * request's own strings, not one joined key: no string is built per request (bench/request-metrics.bench.ts).
   */
  forRequest(model: string, target: string, fairnessId: string, priority: number): RequestMetrics {
    const s = this.#series.get(model)?.get(target)?.get(fairnessId)?.get(priority);
    if (s !== undefined) return s;
    const labels = this.#requestLabels(model, target, fairnessId, priority);
    const made = new RequestMetrics(this, labels);
    // Past the cap nothing is kept (not even the path): a flood of new names cannot grow the cache. Nor is the path
    // of a name folded into "other": each new name of a flood kept 1.3 KB until the cap, so a picker's heap grew
    // for its first 10,000 such names (bench/overhead/soak.bench.ts: 25 to 37 MB over 1,000,000 requests).
    const folded = labels[0] === OVERFLOW_VALUE || labels[1] === OVERFLOW_VALUE || labels[2] === OVERFLOW_VALUE;
    if (!folded && this.#cachedSeries < MAX_CACHED_SERIES) {
      let byTarget = this.#series.get(model);
      if (byTarget === undefined) this.#series.set(model, (byTarget = new Map()));
      let byFairness = byTarget.get(target);
      if (byFairness === undefined) byTarget.set(target, (byFairness = new Map()));
      let byPriority = byFairness.get(fairnessId);
      if (byPriority === undefined) byFairness.set(fairnessId, (byPriority = new Map()));
      byPriority.set(priority, made);
      this.#cachedSeries++;
    }
    return made;
  }

  /** Each label bounded, then the combination (#requestSets): fairness id folded first, then all of it. */
  #requestLabels(model: string, target: string, fairnessId: string, priority: number): readonly [string, string, string, string] {
    const m = this.models.bound(model);
    const t = this.models.bound(target);
    const f = this.fairnessIds.bound(fairnessId);
    const p = String(priority);
    if (this.#requestSets.admit(`${m}\u0000${t}\u0000${f}\u0000${p}`)) return [m, t, f, p];
    if (this.#requestSets.admit(`${m}\u0000${t}\u0000${OVERFLOW_VALUE}\u0000${p}`)) return [m, t, OVERFLOW_VALUE, p];
    return [OVERFLOW_VALUE, OVERFLOW_VALUE, OVERFLOW_VALUE, p];
  }

  /** A request answered with an error (code as upstream's errcommon codes, or ModelServerError). Off the hot path. */
  requestError(model: string, target: string, fairnessId: string, priority: number, code: string): void {
    const [m, t, f, p] = this.#requestLabels(model, target, fairnessId, priority);
    this.requestErrors.labels(m, t, f, p, code).inc();
    this.legacy.requestErrors.labels(m, t, code).inc();
  }

  rewriteDecision(rewriteName: string, model: string, target: string): void {
    const m = this.models.bound(model);
    this.rewriteDecisions[0].labels(rewriteName, m, target).inc();
    this.rewriteDecisions[1].labels(rewriteName, m, target).inc();
  }

  /** Names configured in InferenceModelRewrite rules: never folded into "other". */
  pinModels(names: Iterable<string>): void {
    let changed = false;
    for (const n of names) if (this.models.pin(n)) changed = true;
    // Cached series of a name that had folded would keep "other"; new requests resolve again.
    if (changed) {
      this.#series.clear();
      this.#cachedSeries = 0;
      this.#attemptSuccess.clear();
      this.#attemptFailure.clear();
    }
  }

  /** The plugin-duration series of one plugin (both names), created once. */
  pluginDuration(point: string, type: string, name: string): { observe(seconds: number): void } {
    const key = `${point}/${type}/${name}`;
    let c = this.#pluginChildren.get(key);
    if (!c) {
      c = new DualHistogramChild(this.#pluginDurations[0].labels(point, type, name), this.#pluginDurations[1].labels(point, type, name));
      this.#pluginChildren.set(key, c);
    }
    return c;
  }

  /** A model-server metrics scrape failed (upstream counts each failed Dispatch of its metrics data source). */
  pollError(): void {
    this.#pollErrors[0].inc();
    this.#pollErrors[1].inc();
  }

  /** One scheduling cycle's duration (scheduler_e2e_duration_seconds). */
  schedulingDone(_ok: boolean, seconds: number): void {
    this.#schedulerE2e[0].observe(seconds);
    this.#schedulerE2e[1].observe(seconds);
  }

  /** One scheduling attempt: success with the primary endpoint, or failure (endpoint null), as upstream RecordSchedulerAttempt. */
  schedulingAttempt(targetModel: string, endpoint: Endpoint | null): void {
    let c: readonly [LeanScalarChild, LeanScalarChild] | undefined;
    if (endpoint === null) {
      c = this.#attemptFailure.get(targetModel);
      if (c === undefined) {
        const model = this.models.bound(targetModel);
        c = this.#attemptSeries(['failure', model, '', '', '']);
        // A name folded into "other" keeps no entry (see forRequest).
        if (model !== OVERFLOW_VALUE && this.#attemptFailure.size < MAX_CACHED_SERIES) this.#attemptFailure.set(targetModel, c);
      }
    } else {
      // Keyed by the Endpoint object, not a string: no key building per request (bench/request-metrics.bench.ts).
      let byEndpoint = this.#attemptSuccess.get(targetModel);
      if (byEndpoint === undefined) {
        byEndpoint = new WeakMap();
        if (this.models.bound(targetModel) !== OVERFLOW_VALUE && this.#attemptSuccess.size < MAX_CACHED_SERIES) this.#attemptSuccess.set(targetModel, byEndpoint);
      }
      c = byEndpoint.get(endpoint);
      if (c === undefined) {
        // Upstream's endpoint name is "<pod>-rank-<i>" (datastore createEndpointNamespacedName).
        let model = this.models.bound(targetModel);
        if (model !== OVERFLOW_VALUE) {
          const n = this.#endpointModels.get(endpoint) ?? 0;
          if (n >= MAX_MODELS_PER_ENDPOINT) {
            model = OVERFLOW_VALUE;
            this.#warnEndpointModels();
          } else this.#endpointModels.set(endpoint, n + 1);
        }
        c = this.#attemptSeries(['success', model, `${endpoint.podName}-rank-${endpoint.rank}`, endpoint.namespace, String(endpoint.port)]);
        byEndpoint.set(endpoint, c);
      }
    }
    c[0].inc();
    c[1].inc();
  }

  #attemptSeries(labels: string[]): readonly [LeanScalarChild, LeanScalarChild] {
    return [this.#attempts[0].labels(...labels), this.#attempts[1].labels(...labels)];
  }
}
