/**
 * predicted-latency-producer (DataProducer, PreRequest, ResponseReceived, ResponseComplete): predicts each
 * candidate's TTFT and TPOT for the request and publishes them, with the headroom to the request's SLO
 * (x-llm-d-slo-ttft-ms / x-llm-d-slo-tpot-ms, aliases x-slo-*), under `latency-prediction-info/<name>` in
 * LLMRequest.data (upstream requestcontrol/dataproducer/predictedlatency, which writes endpoint attributes).
 *
 * Upstream asks an external latency-predictor sidecar. Here a predictor is also in-process (online-predictor.ts):
 * it learns each endpoint's TTFT at the first response byte and its TPOT at completion, against the features
 * recorded at dispatch (prompt and uncached tokens, queue, running, KV use), so no sidecar is needed. With
 * upstream's sidecar configured (PREDICTION_SERVER_URL), the producer is an AsyncDataProducer: the director awaits
 * the sidecar's bulk prediction for at most `produceTimeout` and produce() publishes its figures, or the
 * in-process ones when it failed or was late (sidecar-predictions.ts).
 */
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  LATENCY_PREDICTION_INFO_KEY,
  PREDICTED_LATENCY_PRODUCER_TYPE,
  type LatencyPredictions,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { AsyncDataProducer, LLMResponse, PreRequest, ResponseComplete, ResponseReceived } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult } from '../../../../framework/scheduling.ts';
import { boolParam, durationMsParam, intParam, numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';
import { OnlineLatencyPredictor, type LatencyFeatures } from './online-predictor.ts';
import { DEFAULT_COALESCER, PredictionCoalescer } from './prediction-coalescer.ts';
import { LatencyPredictorSidecarClient, MAX_BULK_SIZE, type SidecarTrainingEntry } from './sidecar-client.ts';
import { SidecarPredictions } from './sidecar-predictions.ts';
import type { Logger } from 'pino';

export { PREDICTED_LATENCY_PRODUCER_TYPE };

const CHARS_PER_TOKEN = 4;

export interface PredictedLatencyConfig {
  readonly samplingMean: number;
  readonly maxDecodeTokenSamplesForPrediction: number;
  readonly sloBufferFactor: number;
  readonly contextTtlMs: number;
  readonly streamingMode: boolean;
  readonly endpointRoleLabel: string;
  readonly predictInProduce: boolean;
  readonly prefixMatchInfoProducerName: string;
  readonly inFlightLoadProducerName: string;
  /** How long the director waits for the sidecar's predictions (upstream: its director's 400 ms producer timeout). */
  readonly produceTimeoutMs: number;
}

/** Upstream's dataProducerTimeout, the default wait for a producer. */
const DEFAULT_PRODUCE_TIMEOUT_MS = 400;

/** What the producer recorded at dispatch, to train on when the response tells the truth. */
interface Dispatch {
  readonly endpointKey: string;
  readonly features: LatencyFeatures;
  ttftMs: number;
}

class Predictions implements LatencyPredictions {
  request: LLMRequest | null = null;
  sloTtftMs = 0;
  sloTpotMs = 0;
  buffer = 1;
  readonly byEndpoint = new Map<Endpoint, Float64Array>();
  readonly #dispatched: Map<string, number>;

  constructor(dispatched: Map<string, number>) {
    this.#dispatched = dispatched;
  }
  has(ep: Endpoint): boolean {
    return this.byEndpoint.has(ep);
  }
  ttftMs(ep: Endpoint): number {
    return this.byEndpoint.get(ep)?.[0] ?? NaN;
  }
  tpotMs(ep: Endpoint): number {
    return this.byEndpoint.get(ep)?.[1] ?? NaN;
  }
  ttftHeadroomMs(ep: Endpoint): number {
    return this.sloTtftMs * this.buffer - this.ttftMs(ep);
  }
  tpotHeadroomMs(ep: Endpoint): number {
    return this.sloTpotMs * this.buffer - this.tpotMs(ep);
  }
  dispatched(ep: Endpoint): number {
    return this.#dispatched.get(ep.key) ?? 0;
  }
}

export class PredictedLatencyProducer implements AsyncDataProducer, PreRequest, ResponseReceived, ResponseComplete {
  readonly type = PREDICTED_LATENCY_PRODUCER_TYPE;
  readonly name: string;
  readonly config: PredictedLatencyConfig;
  readonly key: string;
  readonly produces: readonly string[];
  readonly predictor: OnlineLatencyPredictor;
  readonly #dispatchKey: string;
  readonly #dispatched = new Map<string, number>();
  readonly #predictions = new Predictions(this.#dispatched);
  readonly #out = new Float64Array(2);
  /** Arrays reused across cycles, one per candidate slot. */
  readonly #pool: Float64Array[] = [];
  /** Upstream's training server, when TRAINING_SERVER_URL names one: every sample is also sent there. */
  readonly #sidecar: LatencyPredictorSidecarClient | null;
  readonly #logger: Logger | null;
  /** Upstream's prediction server, when PREDICTION_SERVER_URL names one and predictInProduce is on. */
  readonly #sidecarPredictions: SidecarPredictions | null;
  /** > 0 with a prediction sidecar: the director awaits prepare() that long (AsyncDataProducer). */
  readonly prepareBudgetMs: number;

  constructor(
    name: string,
    config: PredictedLatencyConfig,
    predictor = new OnlineLatencyPredictor(),
    sidecar: LatencyPredictorSidecarClient | null = null,
    logger: Logger | null = null,
    predictionSidecar: PredictionCoalescer | null = null,
  ) {
    this.#sidecar = sidecar;
    const asks = predictionSidecar !== null && config.predictInProduce;
    const prefixProducer = config.prefixMatchInfoProducerName || APPROX_PREFIX_CACHE_PRODUCER_TYPE;
    this.#sidecarPredictions = asks ? new SidecarPredictions(name, predictionSidecar, config.endpointRoleLabel, prefixProducer, logger) : null;
    this.prepareBudgetMs = asks ? config.produceTimeoutMs : 0;
    this.#logger = logger;
    this.name = name;
    this.config = config;
    this.predictor = predictor;
    this.key = dataKey(LATENCY_PREDICTION_INFO_KEY, name);
    this.#dispatchKey = `${this.key}#dispatch`;
    this.produces = [this.key];
  }

  /** The sidecar's predictions for the candidates, kept for produce() (only awaited with a prediction sidecar). */
  prepare(request: LLMRequest, candidates: readonly Endpoint[], signal: AbortSignal): Promise<void> {
    return this.#sidecarPredictions?.fetch(request, candidates, signal) ?? Promise.resolve();
  }

  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    const fetched = this.#sidecarPredictions === null ? null : this.#sidecarPredictions.figures(request);
    const p = this.#predictions;
    p.request = request;
    p.sloTtftMs = request.sloTtftMs;
    p.sloTpotMs = request.sloTpotMs;
    p.buffer = this.config.sloBufferFactor;
    p.byEndpoint.clear();
    for (let i = 0; i < candidates.length; i++) {
      const ep = candidates[i]!;
      const slot = (this.#pool[i] ??= new Float64Array(2));
      const sidecar = fetched?.byKey.get(ep.key);
      if (sidecar !== undefined) {
        slot[0] = sidecar[0];
        slot[1] = sidecar[1];
        p.byEndpoint.set(ep, slot);
      } else if (this.predictor.predict(ep.key, featuresOf(request, ep), this.#out)) {
        slot[0] = this.#out[0]!;
        slot[1] = this.#out[1]!;
        p.byEndpoint.set(ep, slot);
      }
    }
    request.data.set(this.key, p);
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    if (result.primary.count === 0 || request.data.has(this.#dispatchKey)) return;
    const ep = result.primary.endpoints[0]!;
    const d: Dispatch = { endpointKey: ep.key, features: featuresOf(request, ep), ttftMs: -1 };
    request.data.set(this.#dispatchKey, d);
    this.#dispatched.set(ep.key, (this.#dispatched.get(ep.key) ?? 0) + 1);
  }

  /** First response byte: a TTFT sample. */
  responseReceived(request: LLMRequest, response: LLMResponse, _endpoint: Endpoint): void {
    this.#trainTtft(request, response);
  }

  /** Completion: a TPOT sample from the decode time over the generated tokens, and the dispatch released. */
  responseComplete(request: LLMRequest, response: LLMResponse, _endpoint: Endpoint): void {
    const d = request.data.get(this.#dispatchKey) as Dispatch | undefined;
    if (d === undefined) return;
    request.data.delete(this.#dispatchKey);
    const n = (this.#dispatched.get(d.endpointKey) ?? 1) - 1;
    if (n <= 0) this.#dispatched.delete(d.endpointKey);
    else this.#dispatched.set(d.endpointKey, n);
    // Only streamed responses time the first token; a non-streamed body's first byte is the whole answer.
    if (response.cause !== 'natural' || response.status >= 400 || !response.streaming) return;
    if (d.ttftMs < 0 && response.ttftMs >= 0) this.predictor.trainTtft(d.endpointKey, d.features, response.ttftMs);
    const ttft = response.ttftMs >= 0 ? response.ttftMs : d.ttftMs;
    let tpot = 0;
    if (response.completionTokens > 1 && ttft >= 0) {
      tpot = (response.durationMs - ttft) / (response.completionTokens - 1);
      this.predictor.trainTpot(d.endpointKey, d.features, tpot);
    }
    if (this.#sidecar !== null && ttft >= 0) this.#sendTraining(d.features, ttft, tpot, response.completionTokens);
  }

  #sendTraining(f: LatencyFeatures, ttftMs: number, tpotMs: number, generated: number): void {
    const entry: SidecarTrainingEntry = {
      kv_cache_percentage: f.kvCacheUsage, input_token_length: f.promptTokens, num_request_waiting: f.waitingQueue,
      num_request_running: f.runningRequests, num_tokens_generated: Math.max(0, generated), prefix_cache_score: 0,
      encoder_input_size: 0, encoder_matched_size: 0,
      prefill_tokens_in_flight: 0, decode_tokens_in_flight: 0, actual_ttft_ms: ttftMs, actual_tpot_ms: tpotMs,
      timestamp: new Date().toISOString(),
    };
    this.#sidecar!.addTrainingData([entry]).catch((err: unknown) => this.#logger?.warn({ plugin: this.name, err: String(err) }, 'latency predictor training upload failed'));
  }

  #trainTtft(request: LLMRequest, response: LLMResponse): void {
    const d = request.data.get(this.#dispatchKey) as Dispatch | undefined;
    if (d === undefined || d.ttftMs >= 0 || response.ttftMs < 0 || !response.streaming) return;
    d.ttftMs = response.ttftMs;
    this.predictor.trainTtft(d.endpointKey, d.features, response.ttftMs);
  }
}

function featuresOf(request: LLMRequest, ep: Endpoint): LatencyFeatures {
  const prompt = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
  return {
    promptTokens: prompt,
    uncachedTokens: Math.max(0, prompt - request.cachedPromptTokens),
    waitingQueue: ep.waitingQueue,
    runningRequests: ep.runningRequests,
    kvCacheUsage: ep.kvCacheUsage,
    inflightRequests: ep.inflightRequests,
  };
}

const KNOWN = [
  'samplingMean', 'maxDecodeTokenSamplesForPrediction', 'sloBufferFactor', 'contextTTL', 'streamingMode', 'endpointRoleLabel',
  'predictInProduce', 'prefixMatchInfoProducerName', 'inFlightLoadProducerName', 'useEncoderCacheFeatures', 'encoderCacheMatchInfoProducerName',
  'produceTimeout',
];

export function readPredictedLatencyConfig(name: string, params: unknown): PredictedLatencyConfig {
  const p = readParams(name, params, KNOWN);
  const sloBufferFactor = numberParam(name, p, 'sloBufferFactor', 1, -Infinity);
  if (!(sloBufferFactor > 0)) throw new PluginConfigError(name, 'sloBufferFactor', `sloBufferFactor must be > 0, got ${sloBufferFactor}`);
  return {
    samplingMean: numberParam(name, p, 'samplingMean', 1000, 0),
    maxDecodeTokenSamplesForPrediction: intParam(name, p, 'maxDecodeTokenSamplesForPrediction', 0, 0),
    sloBufferFactor,
    contextTtlMs: durationMsParam(name, p, 'contextTTL', 0),
    streamingMode: boolParam(name, p, 'streamingMode', false),
    endpointRoleLabel: stringParam(name, p, 'endpointRoleLabel', ''),
    predictInProduce: boolParam(name, p, 'predictInProduce', true),
    prefixMatchInfoProducerName: stringParam(name, p, 'prefixMatchInfoProducerName', ''),
    inFlightLoadProducerName: stringParam(name, p, 'inFlightLoadProducerName', ''),
    produceTimeoutMs: durationMsParam(name, p, 'produceTimeout', DEFAULT_PRODUCE_TIMEOUT_MS),
  };
}

export function createPredictedLatencyProducer(name: string, params: unknown, handle: PluginHandle): PredictedLatencyProducer {
  const config = readPredictedLatencyConfig(name, params);
  // Upstream's sidecar env (latencypredictorclient ConfigFromEnv): samples go to TRAINING_SERVER_URL, predictions
  // come from PREDICTION_SERVER_URL; malformed numbers keep the default, as upstream.
  const training = process.env['TRAINING_SERVER_URL'] ?? '';
  const prediction = process.env['PREDICTION_SERVER_URL'] ?? '';
  if (!training && !prediction) return new PredictedLatencyProducer(name, config, new OnlineLatencyPredictor(), null, handle.logger);
  const bulk = intEnv('LATENCY_MAX_BULK_SIZE', MAX_BULK_SIZE, 1);
  const client = new LatencyPredictorSidecarClient(prediction || training, training || prediction, intEnv('LATENCY_HTTP_TIMEOUT_SEC', 10, 1) * 1000, bulk <= MAX_BULK_SIZE ? bulk : MAX_BULK_SIZE);
  const coalescer = new PredictionCoalescer(client, {
    windowMs: intEnv('LATENCY_COALESCE_WINDOW_MS', DEFAULT_COALESCER.windowMs, 0),
    maxRows: intEnv('LATENCY_MAX_COALESCED_ROWS', DEFAULT_COALESCER.maxRows, 0),
    maxConcurrent: intEnv('LATENCY_MAX_CONCURRENT_DISPATCHES', DEFAULT_COALESCER.maxConcurrent, 1),
  });
  return new PredictedLatencyProducer(name, config, new OnlineLatencyPredictor(), training ? client : null, handle.logger, prediction ? coalescer : null);
}

/** An integer environment variable >= min, else `def`. */
function intEnv(name: string, def: number, min: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= min ? n : def;
}
