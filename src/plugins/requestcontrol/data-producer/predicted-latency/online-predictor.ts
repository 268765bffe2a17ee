/**
 * In-process latency predictor: per endpoint, two recursive-least-squares linear models (TTFT and TPOT, in ms)
 * learned online from what the picker observes. Memory is bounded: a fixed-size model per endpoint, at most
 * `maxEndpoints` endpoints (least recently trained dropped). Replaces upstream's predictor sidecar when none runs.
 */

/** Features at dispatch: what the model sees about the request and the endpoint's load. */
export interface LatencyFeatures {
  promptTokens: number;
  uncachedTokens: number;
  waitingQueue: number;
  runningRequests: number;
  kvCacheUsage: number;
  /** Requests this picker has in flight on the endpoint: fresh between scrapes, so a burst does not herd. */
  inflightRequests: number;
}

const DIM = 7;
const FORGET = 1; // no forgetting: with forgetting, P winds up on unexciting features and the fit diverges
const INIT_P = 1000;
const MIN_MS = 0.001;

/** One RLS model: w (DIM), P (DIM x DIM), plus the sample count. */
export class RlsModel {
  readonly w = new Float64Array(DIM);
  readonly #p = new Float64Array(DIM * DIM);
  readonly #px = new Float64Array(DIM);
  samples = 0;

  constructor() {
    for (let i = 0; i < DIM; i++) this.#p[i * DIM + i] = INIT_P;
  }

  predict(x: Float64Array): number {
    let y = 0;
    for (let i = 0; i < DIM; i++) y += this.w[i]! * x[i]!;
    return y;
  }

  update(x: Float64Array, y: number): void {
    const p = this.#p;
    const px = this.#px;
    let denom = FORGET;
    for (let i = 0; i < DIM; i++) {
      let s = 0;
      for (let j = 0; j < DIM; j++) s += p[i * DIM + j]! * x[j]!;
      px[i] = s;
      denom += x[i]! * s;
    }
    const err = y - this.predict(x);
    for (let i = 0; i < DIM; i++) this.w[i]! += (px[i]! / denom) * err;
    for (let i = 0; i < DIM; i++) {
      for (let j = 0; j < DIM; j++) p[i * DIM + j] = (p[i * DIM + j]! - (px[i]! * px[j]!) / denom) / FORGET;
    }
    this.samples++;
  }
}

/** Writes the feature vector (scaled to similar magnitudes) into `out`. */
export function featureVector(f: LatencyFeatures, out: Float64Array): Float64Array {
  out[0] = 1;
  out[1] = f.promptTokens / 1000;
  out[2] = f.uncachedTokens / 1000;
  out[3] = f.waitingQueue;
  out[4] = f.runningRequests;
  out[5] = f.kvCacheUsage;
  out[6] = f.inflightRequests;
  return out;
}

interface EndpointModels {
  readonly ttft: RlsModel;
  readonly tpot: RlsModel;
}

export class OnlineLatencyPredictor {
  readonly #models = new Map<string, EndpointModels>();
  /** Trained on every endpoint's samples. */
  readonly #pool: EndpointModels = { ttft: new RlsModel(), tpot: new RlsModel() };
  readonly #x = new Float64Array(DIM);
  readonly #maxEndpoints: number;
  /** Samples a model needs before its predictions are used. */
  readonly minSamples: number;

  constructor(maxEndpoints = 4096, minSamples = 3) {
    this.#maxEndpoints = maxEndpoints;
    this.minSamples = minSamples;
  }

  /** Predicted [ttftMs, tpotMs] written into `out`; false when the endpoint's models have too few samples. */
  predict(endpointKey: string, f: LatencyFeatures, out: Float64Array): boolean {
    const own = this.#models.get(endpointKey);
    // A new endpoint borrows the pool-wide model: left unpredicted it would rank best and draw a burst.
    const ttft = own !== undefined && own.ttft.samples >= this.minSamples ? own.ttft : this.#pool.ttft;
    if (ttft.samples < this.minSamples) return false;
    const tpot = own !== undefined && own.tpot.samples >= this.minSamples ? own.tpot : this.#pool.tpot;
    const x = featureVector(f, this.#x);
    // Floored above 0: a zero TPOT would read as "meets any TPOT SLO" and pull every request to one endpoint.
    out[0] = Math.max(MIN_MS, ttft.predict(x));
    out[1] = tpot.samples < this.minSamples ? MIN_MS : Math.max(MIN_MS, tpot.predict(x));
    return true;
  }

  trainTtft(endpointKey: string, f: LatencyFeatures, ttftMs: number): void {
    const x = featureVector(f, this.#x);
    this.#of(endpointKey).ttft.update(x, ttftMs);
    this.#pool.ttft.update(x, ttftMs);
  }

  trainTpot(endpointKey: string, f: LatencyFeatures, tpotMs: number): void {
    const x = featureVector(f, this.#x);
    this.#of(endpointKey).tpot.update(x, tpotMs);
    this.#pool.tpot.update(x, tpotMs);
  }

  get size(): number {
    return this.#models.size;
  }

  #of(key: string): EndpointModels {
    let m = this.#models.get(key);
    if (m !== undefined) {
      this.#models.delete(key); // re-insert: Map order is recency
    } else {
      m = { ttft: new RlsModel(), tpot: new RlsModel() };
      if (this.#models.size >= this.#maxEndpoints) this.#models.delete(this.#models.keys().next().value!);
    }
    this.#models.set(key, m);
    return m;
  }
}
