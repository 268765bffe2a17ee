/**
 * fair-share-holdback-policy (ours): holds back a slice of the pool for flows under their fair share of a band.
 * A flow that has recently been served more than an equal share (prompt tokens, decayed with time constant
 * `windowSeconds`) dispatches only while saturation is below 1 - `holdback`; a flow under its share (or one
 * never served) may use the pool up to 1.0. Under a flood, the flooding flow cannot fill the last slots, so a
 * steady tenant's request finds one free instead of waiting for the next release. Bands are not gated against
 * each other (every band ceiling is 1.0); combine priorities with the band's fairness policy as usual.
 */
import type { BandUsageLimit, FlowQueueView, QueuedItemView, UsageLimitPolicy } from '../../../../framework/flowcontrol.ts';
import { numberParam, readParams } from '../../../../input/plugin-params.ts';

export const FAIR_SHARE_HOLDBACK_POLICY_TYPE = 'fair-share-holdback-policy';

export interface FairShareHoldbackConfig {
  /** The fraction of the pool (in saturation units) only under-share flows may use. */
  readonly holdback: number;
  readonly windowSeconds: number;
}

export const DEFAULT_FAIR_SHARE_HOLDBACK_CONFIG: FairShareHoldbackConfig = { holdback: 0.05, windowSeconds: 10 };

/** Decayed served tokens: value as of `at` (ms). */
interface Served {
  value: number;
  at: number;
}

/** Prune flows whose decayed service fell under one token, every this many dispatches (amortised O(1)). */
const PRUNE_EVERY = 256;

export class FairShareBand implements BandUsageLimit {
  readonly #ceiling: number;
  readonly #tauMs: number;
  readonly #served = new Map<string, Served>();
  readonly #total: Served = { value: 0, at: 0 };
  #sincePrune = 0;

  constructor(config: FairShareHoldbackConfig) {
    this.#ceiling = 1 - config.holdback;
    this.#tauMs = config.windowSeconds * 1000;
  }

  flowCeiling(flow: FlowQueueView, nowMs: number): number {
    const own = this.#served.get(flow.flowId);
    if (own === undefined) return 1; // never served (or long idle): under its share
    const total = this.#decay(this.#total, nowMs);
    return this.#decay(own, nowMs) * this.#served.size < total ? 1 : this.#ceiling;
  }

  dispatched(flow: FlowQueueView, item: QueuedItemView, nowMs: number): void {
    const cost = Math.max(1, item.tokens);
    let own = this.#served.get(flow.flowId);
    if (own === undefined) {
      own = { value: 0, at: nowMs };
      this.#served.set(flow.flowId, own);
    }
    own.value = this.#decay(own, nowMs) + cost;
    this.#total.value = this.#decay(this.#total, nowMs) + cost;
    if (++this.#sincePrune >= PRUNE_EVERY) this.#prune(nowMs);
  }

  /** The value decayed to `nowMs` (and stored as of then). */
  #decay(s: Served, nowMs: number): number {
    if (nowMs > s.at) {
      s.value *= Math.exp((s.at - nowMs) / this.#tauMs);
      s.at = nowMs;
    }
    return s.value;
  }

  #prune(nowMs: number): void {
    this.#sincePrune = 0;
    for (const [id, s] of this.#served) if (this.#decay(s, nowMs) < 1) this.#served.delete(id);
  }
}

export function fairShareHoldbackPolicy(name: string, config: FairShareHoldbackConfig): UsageLimitPolicy {
  return {
    type: FAIR_SHARE_HOLDBACK_POLICY_TYPE,
    name,
    flowControlRole: 'usage-limit-policy',
    computeLimit() {
      // Bands stay at the 1.0 the controller pre-fills: the holdback is per flow, inside a band.
    },
    newBand: () => new FairShareBand(config),
  };
}

export function createFairShareHoldbackPolicy(name: string, params: unknown): UsageLimitPolicy {
  const p = readParams(name, params, ['holdback', 'windowSeconds']);
  const d = DEFAULT_FAIR_SHARE_HOLDBACK_CONFIG;
  return fairShareHoldbackPolicy(name, {
    holdback: numberParam(name, p, 'holdback', d.holdback, 0, 0.5),
    windowSeconds: numberParam(name, p, 'windowSeconds', d.windowSeconds, 0.001),
  });
}
