/**
 * The predicted-latency producer's asynchronous half: one strict bulk call to upstream's latency-predictor
 * sidecar for all candidates (upstream prediction.go generatePredictions / training.go buildPredictionRequest),
 * kept on the request for produce(), which uses them instead of the in-process figures.
 */
import { dataKey, LATENCY_PREDICTION_INFO_KEY, PREFIX_CACHE_MATCH_INFO_KEY, requestData, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Logger } from 'pino';
import type { PredictionCoalescer } from './prediction-coalescer.ts';
import type { SidecarPredictionRequest } from './sidecar-client.ts';

const CHARS_PER_TOKEN = 4;

/** The sidecar's figures for one request, by endpoint key. */
export interface SidecarFigures {
  readonly request: LLMRequest;
  readonly byKey: ReadonlyMap<string, readonly [ttftMs: number, tpotMs: number]>;
}

export class SidecarPredictions {
  readonly #sidecar: PredictionCoalescer;
  readonly #logger: Logger | null;
  readonly #name: string;
  readonly #roleLabel: string;
  readonly #prefixKey: string;
  /** Key in LLMRequest.data the figures are kept under until produce() reads them. */
  readonly key: string;
  /** The last call failed: warned once, until one succeeds (no line per request while the sidecar is down). */
  #failing = false;

  constructor(name: string, sidecar: PredictionCoalescer, roleLabel: string, prefixProducer: string, logger: Logger | null) {
    this.#sidecar = sidecar;
    this.#logger = logger;
    this.#name = name;
    this.#roleLabel = roleLabel;
    this.#prefixKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, prefixProducer);
    this.key = `${dataKey(LATENCY_PREDICTION_INFO_KEY, name)}#sidecar`;
  }

  /** Asks the sidecar; keeps the figures unless `signal` aborted first. Never rejects: a failure is logged. */
  async fetch(request: LLMRequest, candidates: readonly Endpoint[], signal: AbortSignal): Promise<void> {
    // Read now: the prefix producer's per-cycle data is another request's after the first await.
    const rows = this.rows(request, candidates);
    try {
      const preds = await this.#sidecar.predict(rows, signal);
      if (signal.aborted) return;
      const byKey = new Map<string, readonly [number, number]>();
      for (let i = 0; i < candidates.length; i++) byKey.set(candidates[i]!.key, [preds[i]!.ttft_ms, preds[i]!.tpot_ms]);
      const figures: SidecarFigures = { request, byKey };
      request.data.set(this.key, figures);
      if (this.#failing) {
        this.#failing = false;
        this.#logger?.info({ plugin: this.#name }, 'latency predictor sidecar answers again: its predictions are used');
      }
    } catch (err) {
      if (signal.aborted) return; // out of budget or cancelled: the director reports it
      if (!this.#failing) {
        this.#failing = true;
        this.#logger?.warn({ plugin: this.#name, err: String(err) }, 'latency predictor sidecar failed: using in-process predictions until it answers');
      }
    }
  }

  /** The figures fetched for `request`, or null. */
  figures(request: LLMRequest): SidecarFigures | null {
    return requestData<SidecarFigures>(request, this.key);
  }

  /** Upstream's PredictionRequest per candidate: 1 token generated, the endpoint's role as pod_type. */
  rows(request: LLMRequest, candidates: readonly Endpoint[]): SidecarPredictionRequest[] {
    const prefix = requestData<PrefixCacheMatchInfo>(request, this.#prefixKey);
    const inputTokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    return candidates.map((ep) => {
      const row: SidecarPredictionRequest = {
        kv_cache_percentage: ep.kvCacheUsage,
        input_token_length: inputTokens,
        num_request_waiting: ep.waitingQueue,
        num_request_running: ep.runningRequests,
        num_tokens_generated: 1,
        prefix_cache_score: prefix === null ? 0 : prefix.matchRatio(ep),
        encoder_input_size: 0,
        encoder_matched_size: 0,
        prefill_tokens_in_flight: 0,
        decode_tokens_in_flight: 0,
      };
      const podType = this.#roleLabel === '' ? '' : (ep.labels[this.#roleLabel] ?? '');
      if (podType !== '') row.pod_type = podType;
      return row;
    });
  }
}
