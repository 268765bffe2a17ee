/**
 * Client of upstream's latency-predictor sidecar (llm-d-router latencypredictorclient: types.go, prediction.go,
 * coalescer.go, training.go): POST {predictionURL}/predict/bulk/strict with {requests: [...]} and
 * POST {trainingURL}/add_training_data_bulk with {entries: [...]}, snake_case fields as upstream's JSON tags.
 * Several prediction URLs (PREDICTION_SERVER_URL is comma-separated) are picked at random per call, as upstream.
 * Concurrent callers are merged into one call by prediction-coalescer.ts.
 */
import { request } from 'undici';

export interface SidecarPredictionRequest {
  kv_cache_percentage: number;
  input_token_length: number;
  num_request_waiting: number;
  num_request_running: number;
  num_tokens_generated: number;
  prefix_cache_score: number;
  encoder_input_size: number;
  encoder_matched_size: number;
  pod_type?: string;
  prefill_tokens_in_flight: number;
  decode_tokens_in_flight: number;
}

export interface SidecarPrediction {
  readonly ttft_ms: number;
  readonly tpot_ms: number;
}

export interface SidecarTrainingEntry extends SidecarPredictionRequest {
  actual_ttft_ms: number;
  actual_tpot_ms: number;
  timestamp: string;
}

/** Upstream's LATENCY_MAX_BULK_SIZE default (and its upper bound): more rows than this fail the call. */
export const MAX_BULK_SIZE = 100;

export class LatencyPredictorSidecarClient {
  readonly #predictionUrls: readonly string[];
  readonly #trainingUrl: string;
  readonly #timeoutMs: number;
  readonly #maxBulkSize: number;

  /** `predictionUrls`: one URL or a comma-separated list. `timeoutMs`: upstream's LATENCY_HTTP_TIMEOUT_SEC. */
  constructor(predictionUrls: string, trainingUrl: string, timeoutMs = 10_000, maxBulkSize = MAX_BULK_SIZE) {
    this.#predictionUrls = predictionUrls.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
    this.#trainingUrl = trainingUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#maxBulkSize = maxBulkSize;
  }

  /** Upstream's per-caller checks (PredictBulkStrict): at least one row, at most the bulk size. Throws. */
  checkBulk(requests: readonly SidecarPredictionRequest[]): void {
    if (requests.length === 0) throw new Error('latency predictor: no prediction requests provided');
    if (requests.length > this.#maxBulkSize) throw new Error(`latency predictor: too many requests: ${requests.length} (max: ${this.#maxBulkSize})`);
  }

  /**
   * One prediction per request, in order; throws on a non-2xx answer, a count mismatch, more than the bulk size,
   * or when `signal` aborts (the HTTP request is aborted with it).
   */
  predictBulk(requests: readonly SidecarPredictionRequest[], signal?: AbortSignal): Promise<SidecarPrediction[]> {
    this.checkBulk(requests);
    return this.postBulkStrict(requests, signal);
  }

  /** The HTTP call alone (a coalesced batch may hold more rows than one caller's bulk size, as upstream's). */
  async postBulkStrict(requests: readonly SidecarPredictionRequest[], signal?: AbortSignal): Promise<SidecarPrediction[]> {
    const urls = this.#predictionUrls;
    const base = urls.length === 1 ? urls[0]! : urls[Math.floor(Math.random() * urls.length)] ?? this.#trainingUrl;
    const body = await this.#post(`${base}/predict/bulk/strict`, { requests }, signal);
    const preds = (body as { predictions?: unknown }).predictions;
    if (!Array.isArray(preds) || preds.length !== requests.length) {
      throw new Error(`latency predictor: expected ${requests.length} predictions, got ${Array.isArray(preds) ? preds.length : 'none'}`);
    }
    return preds.map((p: { ttft_ms?: unknown; tpot_ms?: unknown }) => ({ ttft_ms: Number(p.ttft_ms), tpot_ms: Number(p.tpot_ms) }));
  }

  async addTrainingData(entries: readonly SidecarTrainingEntry[]): Promise<void> {
    await this.#post(`${this.#trainingUrl}/add_training_data_bulk`, { entries });
  }

  async #post(url: string, payload: unknown, signal?: AbortSignal): Promise<unknown> {
    const res = await request(url, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`latency predictor: ${url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return text === '' ? {} : JSON.parse(text);
  }
}
