/**
 * Client of upstream's latency-predictor sidecar (llm-d-router latencypredictorclient: types.go, prediction.go,
 * coalescer.go, training.go): POST {predictionURL}/predict/bulk/strict with {requests: [...]} and
 * POST {trainingURL}/add_training_data_bulk with {entries: [...]}, snake_case fields as upstream's JSON tags.
 */
import { request } from 'undici';

export interface SidecarPredictionRequest {
  kv_cache_percentage: number;
  input_token_length: number;
  num_request_waiting: number;
  num_request_running: number;
  num_tokens_generated: number;
  prefix_cache_score: number;
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

export class LatencyPredictorSidecarClient {
  readonly #predictionUrl: string;
  readonly #trainingUrl: string;
  readonly #timeoutMs: number;

  constructor(predictionUrl: string, trainingUrl: string, timeoutMs = 1000) {
    this.#predictionUrl = predictionUrl.replace(/\/+$/, '');
    this.#trainingUrl = trainingUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** One prediction per request, in order; throws on a non-2xx answer or a count mismatch. */
  async predictBulk(requests: readonly SidecarPredictionRequest[]): Promise<SidecarPrediction[]> {
    const body = await this.#post(`${this.#predictionUrl}/predict/bulk/strict`, { requests });
    const preds = (body as { predictions?: unknown }).predictions;
    if (!Array.isArray(preds) || preds.length !== requests.length) {
      throw new Error(`latency predictor: expected ${requests.length} predictions, got ${Array.isArray(preds) ? preds.length : 'none'}`);
    }
    return preds.map((p: { ttft_ms?: unknown; tpot_ms?: unknown }) => ({ ttft_ms: Number(p.ttft_ms), tpot_ms: Number(p.tpot_ms) }));
  }

  async addTrainingData(entries: readonly SidecarTrainingEntry[]): Promise<void> {
    await this.#post(`${this.#trainingUrl}/add_training_data_bulk`, { entries });
  }

  async #post(url: string, payload: unknown): Promise<unknown> {
    const res = await request(url, {
      method: 'POST',
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
