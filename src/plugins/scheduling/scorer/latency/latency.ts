/**
 * latency-scorer (Balance): scores candidates by their predicted-latency headroom to the request's SLO
 * (upstream scheduling/scorer/latency, plugin.go). Positive-headroom candidates (both TTFT and TPOT within
 * SLO) are scored among themselves; when none is positive, idle candidates (nothing dispatched) are preferred,
 * else the least severe deficit bucket (TPOT only, then TTFT only, then both). In a bucket, |headroom| is
 * min-max normalised per dimension, mixed by ttftWeight/tpotWeight, and mapped to (w+1)/100 with w = 100 x
 * (1 - combined) for "least" (closest to the SLO wins: bin-packing) or combined for "most"; deficits always use
 * "least". Without predictions it falls back to a composite of free KV, relative queue and prefix match.
 *
 * predicted-latency-scorer (GIE v1.3-v1.4) and slo-scorer (GIE v1.0 experimental) are earlier names of the same
 * scorer; their extra parameters are accepted.
 */
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  LATENCY_PREDICTION_INFO_KEY,
  PREDICTED_LATENCY_PRODUCER_TYPE,
  PREFIX_CACHE_MATCH_INFO_KEY,
  requestData,
  type LatencyPredictions,
  type PrefixCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { numberParam, readParams, stringParam, type Params } from '../../../../input/plugin-params.ts';

export const LATENCY_SCORER_TYPE = 'latency-scorer';
export const PREDICTED_LATENCY_SCORER_TYPE = 'predicted-latency-scorer';
export const SLO_SCORER_TYPE = 'slo-scorer';

const W_MAX = 100;
const EPS = 1e-9;

export type HeadroomSelectionStrategy = 'least' | 'most';

export interface LatencyScorerConfig {
  readonly ttftWeight: number;
  readonly tpotWeight: number;
  readonly headroomSelectionStrategy: HeadroomSelectionStrategy;
  readonly compositeKVWeight: number;
  readonly compositeQueueWeight: number;
  readonly compositePrefixWeight: number;
  readonly latencyPredictionInfoProducerName: string;
  readonly prefixMatchInfoProducerName: string;
}

export class LatencyScorer implements Scorer {
  readonly category = 'Balance' as const;
  readonly type: string;
  readonly name: string;
  readonly config: LatencyScorerConfig;
  readonly consumes: DataDependencies;
  readonly #predictionsKey: string;
  readonly #prefixKey: string;
  #idx = new Int32Array(64);

  constructor(type: string, name: string, config: LatencyScorerConfig) {
    this.type = type;
    this.name = name;
    this.config = config;
    this.#predictionsKey = dataKey(LATENCY_PREDICTION_INFO_KEY, config.latencyPredictionInfoProducerName || PREDICTED_LATENCY_PRODUCER_TYPE);
    this.#prefixKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, config.prefixMatchInfoProducerName || APPROX_PREFIX_CACHE_PRODUCER_TYPE);
    this.consumes = { required: [this.#predictionsKey], optional: [this.#prefixKey] };
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    out.fill(0, 0, n);
    const p = requestData<LatencyPredictions>(request, this.#predictionsKey);
    let withPrediction = 0;
    if (p !== null) for (let i = 0; i < n; i++) if (p.has(candidates[i]!)) withPrediction++;
    if (p === null || withPrediction === 0) {
      this.#composite(request, candidates, n, out);
      return;
    }
    if (this.#idx.length < n) {
      this.#idx = new Int32Array(n);
    }
    // Positive: no prediction, or both headrooms >= 0 (upstream keeps unpredicted ones with the positive).
    let m = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (!p.has(ep) || (p.ttftHeadroomMs(ep) >= 0 && p.tpotHeadroomMs(ep) >= 0)) this.#idx[m++] = i;
    }
    if (m > 0) {
      this.#scoreBucket(p, candidates, this.#idx, m, out, false);
      return;
    }
    m = 0;
    for (let i = 0; i < n; i++) if (p.dispatched(candidates[i]!) === 0) this.#idx[m++] = i;
    if (m > 0) {
      this.#scoreBucket(p, candidates, this.#idx, m, out, true);
      return;
    }
    // Deficit buckets, least severe first: TPOT only, TTFT only, both.
    for (let kind = 1; kind <= 3; kind++) {
      m = 0;
      for (let i = 0; i < n; i++) {
        const ep = candidates[i]!;
        const k = (p.ttftHeadroomMs(ep) < 0 ? 2 : 0) + (p.tpotHeadroomMs(ep) < 0 ? 1 : 0);
        if (k === kind) this.#idx[m++] = i;
      }
      if (m > 0) {
        this.#scoreBucket(p, candidates, this.#idx, m, out, true);
        return;
      }
    }
  }

  #scoreBucket(p: LatencyPredictions, c: readonly Endpoint[], idx: Int32Array, m: number, out: Float64Array, forceLeast: boolean): void {
    const sumW = this.config.ttftWeight + this.config.tpotWeight;
    let alpha = sumW <= 0 ? 1 : this.config.ttftWeight / sumW;
    let beta = sumW <= 0 ? 0 : this.config.tpotWeight / sumW;
    let minT = Infinity, maxT = -Infinity, minP = Infinity, maxP = -Infinity;
    for (let j = 0; j < m; j++) {
      const ep = c[idx[j]!]!;
      const t = headroom(p.ttftHeadroomMs(ep));
      const q = headroom(p.tpotHeadroomMs(ep));
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
      if (q < minP) minP = q;
      if (q > maxP) maxP = q;
    }
    const rT = maxT - minT;
    const rP = maxP - minP;
    // A dimension with no spread gets no weight, so it does not compress the scores (upstream).
    if (rT <= EPS && rP > EPS) (alpha = 0), (beta = 1);
    else if (rP <= EPS && rT > EPS) (alpha = 1), (beta = 0);
    const least = forceLeast || this.config.headroomSelectionStrategy === 'least';
    for (let j = 0; j < m; j++) {
      const ep = c[idx[j]!]!;
      const nT = rT > EPS ? (headroom(p.ttftHeadroomMs(ep)) - minT) / rT : 0.5;
      const nP = rP > EPS ? (headroom(p.tpotHeadroomMs(ep)) - minP) / rP : 0.5;
      const combined = alpha * nT + beta * nP;
      const w = Math.trunc((least ? 1 - combined : combined) * W_MAX) + 1;
      out[idx[j]!] = w / W_MAX;
    }
  }

  /** Fallback without predictions: weighted free KV, relative queue and prefix match. */
  #composite(request: LLMRequest, c: readonly Endpoint[], n: number, out: Float64Array): void {
    let wkv = this.config.compositeKVWeight, wq = this.config.compositeQueueWeight, wpref = this.config.compositePrefixWeight;
    let sum = wkv + wq + wpref;
    if (sum <= 0) [wkv, wq, wpref, sum] = [1, 0, 0, 1];
    wkv /= sum;
    wq /= sum;
    wpref /= sum;
    let maxQ = 0;
    for (let i = 0; i < n; i++) maxQ = Math.max(maxQ, c[i]!.waitingQueue);
    const prefix = requestData<PrefixCacheMatchInfo>(request, this.#prefixKey);
    for (let i = 0; i < n; i++) {
      const ep = c[i]!;
      const relQueue = maxQ > 0 ? (maxQ - ep.waitingQueue) / maxQ : 1;
      const pre = prefix !== null && prefix.totalBlocks > 0 ? prefix.matchRatio(ep) : 0;
      const composite = wkv * (1 - ep.kvCacheUsage) + wq * relQueue + wpref * pre;
      out[i] = Math.round(W_MAX * composite) / W_MAX;
    }
  }
}

/** |headroom|; an endpoint without a prediction (NaN) counts as 0, as upstream's zero-valued epData. */
function headroom(h: number): number {
  return Number.isNaN(h) ? 0 : Math.abs(h);
}

const KNOWN = [
  'ttftWeight', 'tpotWeight', 'headroomSelectionStrategy', 'compositeKVWeight', 'compositeQueueWeight', 'compositePrefixWeight',
  'latencyPredictionInfoProducerName', 'prefixMatchInfoProducerName',
];
/** GIE v1.3-v1.4 predicted-latency-scorer parameters: accepted; the ones without a counterpart are not acted on. */
const LEGACY = [
  'samplingMean', 'maxSampledTokens', 'sloBufferFactor', 'negHeadroomTTFTWeight', 'negHeadroomTPOTWeight', 'headroomTTFTWeight',
  'headroomTPOTWeight', 'epsilonExploreSticky', 'epsilonExploreNeg', 'affinityGateTau', 'affinityGateTauGlobal', 'selectionMode',
  'streamingMode', 'contextTTL',
];

function readConfig(name: string, p: Params): LatencyScorerConfig {
  const strategy = stringParam(name, p, 'headroomSelectionStrategy', 'least');
  if (strategy !== 'least' && strategy !== 'most') {
    throw new PluginConfigError(name, 'headroomSelectionStrategy', `must be "least" or "most", got "${strategy}"`);
  }
  const legacyTtft = numberParam(name, p, 'headroomTTFTWeight', 0.8, 0);
  const legacyTpot = numberParam(name, p, 'headroomTPOTWeight', 0.2, 0);
  return {
    ttftWeight: numberParam(name, p, 'ttftWeight', legacyTtft, 0),
    tpotWeight: numberParam(name, p, 'tpotWeight', legacyTpot, 0),
    headroomSelectionStrategy: strategy,
    compositeKVWeight: numberParam(name, p, 'compositeKVWeight', 1, 0),
    compositeQueueWeight: numberParam(name, p, 'compositeQueueWeight', 1, 0),
    compositePrefixWeight: numberParam(name, p, 'compositePrefixWeight', 1, 0),
    latencyPredictionInfoProducerName: stringParam(name, p, 'latencyPredictionInfoProducerName', ''),
    prefixMatchInfoProducerName: stringParam(name, p, 'prefixMatchInfoProducerName', ''),
  };
}

export function createLatencyScorer(name: string, params: unknown, _handle: PluginHandle): LatencyScorer {
  const p = readParams(name, params, KNOWN);
  return new LatencyScorer(LATENCY_SCORER_TYPE, name, readConfig(name, p));
}

export function createPredictedLatencyScorer(name: string, params: unknown, _handle: PluginHandle): LatencyScorer {
  const p = readParams(name, params, [...KNOWN, ...LEGACY]);
  return new LatencyScorer(PREDICTED_LATENCY_SCORER_TYPE, name, readConfig(name, p));
}

export function createSloScorer(name: string, params: unknown, _handle: PluginHandle): LatencyScorer {
  const p = readParams(name, params, [...KNOWN, ...LEGACY]);
  return new LatencyScorer(SLO_SCORER_TYPE, name, readConfig(name, p));
}
