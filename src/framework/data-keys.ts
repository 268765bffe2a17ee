/**
 * Data keys in-tree plugins produce and consume (framework/plugin.ts DataKey), and the shapes stored under
 * them. The key only tells the loader who must run first; the data itself lives in one of two places:
 * - per request: `LLMRequest.data` (a Map by key) or a named LLMRequest field;
 * - per endpoint, lasting across requests: `Endpoint.attributes` (a Map by key).
 * A producer instance writes under `dataKey(base, its name)`; a consumer reads `dataKey(base, producer name)`,
 * the producer name defaulting to the producer's type (upstream DataKey.WithNonEmptyProducerName).
 */
import type { Endpoint } from './endpoint.ts';
import type { LLMRequest } from './request.ts';

/** LLMRequest.cachedPromptTokens: prompt tokens the primary pick is expected to hold in its prefix cache. */
export const PREFIX_CACHE_MATCH_KEY = 'prefix-cache-match';

/** LLMRequest.data: a PrefixCacheMatchInfo for the candidates (upstream PrefixCacheMatchInfoDataKey). */
export const PREFIX_CACHE_MATCH_INFO_KEY = 'prefix-cache-match-info';
/** Upstream's default producer of PREFIX_CACHE_MATCH_INFO_KEY. */
export const APPROX_PREFIX_CACHE_PRODUCER_TYPE = 'approx-prefix-cache-producer';

/** Endpoint.attributes: an InflightLoad (upstream InFlightLoadDataKey). */
export const INFLIGHT_LOAD_KEY = 'inflight-load';
/** LLMRequest.data: an UncachedRequestTokens for the candidates (upstream UncachedRequestTokensDataKey). */
export const UNCACHED_REQUEST_TOKENS_KEY = 'uncached-request-tokens';
/** Upstream's default producer of INFLIGHT_LOAD_KEY and UNCACHED_REQUEST_TOKENS_KEY. */
export const INFLIGHT_LOAD_PRODUCER_TYPE = 'inflight-load-producer';

/** LLMRequest.data: a TokenizedPrompt (upstream InferenceRequestBody.TokenizedPrompt). */
export const TOKENIZED_PROMPT_KEY = 'tokenized-prompt';
/** Upstream's producer of TOKENIZED_PROMPT_KEY (auto-added, estimate backend, when a plugin consumes it). */
export const TOKEN_PRODUCER_TYPE = 'token-producer';

/** The request's prompt as token ids. */
export interface TokenizedPrompt {
  readonly request: LLMRequest | null;
  readonly tokens: ArrayLike<number>;
  /** False for the tokenizer-free estimate: ids that match no engine's blocks. */
  readonly exact: boolean;
}

/** The key one producer instance writes `base` under. */
export function dataKey(base: string, producerName: string): string {
  return `${base}/${producerName}`;
}

/**
 * Per-candidate prefix-cache match of one request, valid from the producer's DataProducer hook to the end
 * of the request's PreRequest hooks (one synchronous cycle); `request` says which request it describes.
 * The producer reuses one object, so hold no reference past the cycle.
 */
export interface PrefixCacheMatchInfo {
  /** The request this describes; a consumer reading it for another request must treat it as absent. */
  readonly request: LLMRequest | null;
  /** Blocks of the request's prompt that were hashed (0 = too short to match). */
  readonly totalBlocks: number;
  /** Block length in tokens. */
  readonly blockSizeTokens: number;
  /** Leading blocks of the prompt the endpoint holds, 0..totalBlocks (0 for an unknown endpoint). */
  matchBlocks(endpoint: Endpoint): number;
  /** matchBlocks / totalBlocks, in [0,1]; 0 when totalBlocks is 0. What prefix-cache-scorer scores by default. */
  matchRatio(endpoint: Endpoint): number;
}

/** Work the request would add to an endpoint: its prompt tokens not held in that endpoint's prefix cache. */
export interface UncachedRequestTokens {
  readonly request: LLMRequest | null;
  tokens(endpoint: Endpoint): number;
}

/** Requests and tokens this picker routed to an endpoint and has not seen finish (upstream InFlightLoad). */
export interface InflightLoad {
  readonly requests: number;
  readonly tokens: number;
}

/** The request's data under `key` when it was produced for this request, else null. */
export function requestData<T extends { readonly request: LLMRequest | null }>(request: LLMRequest, key: string): T | null {
  const v = request.data.get(key) as T | undefined;
  return v !== undefined && v.request === request ? v : null;
}

/** The endpoint's attribute under `key`, or undefined. */
export function endpointData<T>(endpoint: Endpoint, key: string): T | undefined {
  return endpoint.attributes.get(key) as T | undefined;
}

/**
 * LLMRequest.data: a PeerEndpoint, the other stage's pick in a disaggregated cycle (upstream
 * disagg.PeerEndpointAttributeKey): the decode pick while prefill runs, the prefill pick while decode runs.
 */
export const PEER_ENDPOINT_KEY = 'peer-endpoint/disagg-profile-handler';

export interface PeerEndpoint {
  readonly request: LLMRequest | null;
  readonly endpoint: Endpoint;
}

/** A string request attribute one plugin publishes for others (upstream request.PutAttribute). */
export interface RequestAttribute {
  readonly request: LLMRequest | null;
  readonly value: string;
}

/** LLMRequest.data: a RequestAttribute, the agent's session id (upstream agentidentity.AgentIdentityKey, no producer). */
export const AGENT_IDENTITY_KEY = 'agent-identity';

/** LLMRequest.data: the per-candidate latency predictions of one request (upstream LatencyPredictionInfo). */
export const LATENCY_PREDICTION_INFO_KEY = 'latency-prediction-info';
export const PREDICTED_LATENCY_PRODUCER_TYPE = 'predicted-latency-producer';

/**
 * Predicted TTFT and TPOT per candidate, valid for one synchronous cycle like PrefixCacheMatchInfo. Headroom is
 * SLO x sloBufferFactor - predicted (an absent SLO counts as 0, so headroom is negative, as upstream).
 */
export interface LatencyPredictions {
  readonly request: LLMRequest | null;
  /** False when the candidate has no prediction (never seen, or the predictor failed). */
  has(endpoint: Endpoint): boolean;
  ttftMs(endpoint: Endpoint): number;
  tpotMs(endpoint: Endpoint): number;
  ttftHeadroomMs(endpoint: Endpoint): number;
  tpotHeadroomMs(endpoint: Endpoint): number;
  /** Requests this picker dispatched to the endpoint and has not seen finish. */
  dispatched(endpoint: Endpoint): number;
}

/**
 * LLMRequest.data: a MultiModalFeatures, the multimodal items a parser read from the body with their
 * server-side hashes (upstream TokenizedPrompt.MultiModalFeatures from vllmgrpc `mm_inputs` or vllmhttp
 * `features`). No producer: the parser writes it while parsing.
 */
export const MULTIMODAL_FEATURES_KEY = 'multimodal-features';

/** One multimodal input of a request (upstream MultiModalFeature): modality "image", "video" or "audio". */
export interface MultiModalFeature {
  readonly modality: string;
  readonly hash: string;
}

export interface MultiModalFeatures {
  readonly request: LLMRequest | null;
  readonly items: readonly MultiModalFeature[];
}

/** LLMRequest.data: an EncoderCacheMatchInfo (upstream MultiModalEncoderCacheMatchInfoKey). */
export const ENCODER_CACHE_MATCH_INFO_KEY = 'mm-encoder-cache-match-info';
/** Upstream's default producer of ENCODER_CACHE_MATCH_INFO_KEY. */
export const MM_EMBEDDINGS_CACHE_PRODUCER_TYPE = 'mm-embeddings-cache-producer';

/** One unique multimodal item of a request (upstream attribute/multimodal MatchItem). */
export interface MatchItem {
  readonly hash: string;
  /** Weight in scoring; 1 for every item the in-tree producer emits. */
  readonly size: number;
  readonly modality: string;
}

/** Per-candidate multimodal encoder-cache match of one request, valid for one scheduling cycle. */
export interface EncoderCacheMatchInfo {
  readonly request: LLMRequest | null;
  /** The request's unique items. */
  readonly requestItems: readonly MatchItem[];
  /** Sum of the sizes of the request items the endpoint likely holds in its encoder cache (0 when unknown). */
  matchedSize(endpoint: Endpoint): number;
}
