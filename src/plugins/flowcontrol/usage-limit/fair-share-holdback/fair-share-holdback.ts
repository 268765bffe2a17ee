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

/** Prune flows whose decayed service fell under one token, every this many dispatches (amortised O(1)). */
const PRUNE_EVERY = 256;
/** Rebase the scaled sums before exp() of the elapsed windows grows past this (far below overflow). */
const MAX_EXPONENT = 50;

/**
 * Served tokens decay by exp(-t/window). Every flow decays at the same rate, so the band keeps them scaled to a
 * base time: a dispatch at t adds cost x exp((t - base)/window), and the share test compares scaled sums
 * directly, with no exp() per flow per dispatch.
 */
export class FairShareBand implements BandUsageLimit {
  readonly #ceiling: number;
  readonly #tauMs: number;
  readonly #served = new Map<string, { scaled: number }>();
  #total = 0;
  #baseMs = -Infinity;
  #sincePrune = 0;

  constructor(config: FairShareHoldbackConfig) {
    this.#ceiling = 1 - config.holdback;
    this.#tauMs = config.windowSeconds * 1000;
  }

  flowCeiling(flow: FlowQueueView): number {
    const own = this.#served.get(flow.flowId);
    if (own === undefined) return 1; // never served (or long idle): under its share
    return own.scaled * this.#served.size < this.#total ? 1 : this.#ceiling;
  }

  dispatched(flow: FlowQueueView, item: QueuedItemView, nowMs: number): void {
    if (this.#baseMs === -Infinity) this.#baseMs = nowMs;
    if ((nowMs - this.#baseMs) / this.#tauMs > MAX_EXPONENT) this.#rebase(nowMs);
    const cost = Math.max(1, item.tokens) * Math.exp((nowMs - this.#baseMs) / this.#tauMs);
    let own = this.#served.get(flow.flowId);
    if (own === undefined) this.#served.set(flow.flowId, (own = { scaled: 0 }));
    own.scaled += cost;
    this.#total += cost;
    if (++this.#sincePrune >= PRUNE_EVERY) this.#prune(nowMs);
  }

  /** Moves the base to `nowMs` (every scaled sum shrinks by the same factor; the shares are unchanged). */
  #rebase(nowMs: number): void {
    const f = Math.exp((this.#baseMs - nowMs) / this.#tauMs);
    for (const s of this.#served.values()) s.scaled *= f;
    this.#total *= f;
    this.#baseMs = nowMs;
  }

  /** Forgets flows whose decayed service is under one token. */
  #prune(nowMs: number): void {
    this.#sincePrune = 0;
    const toNow = Math.exp((this.#baseMs - nowMs) / this.#tauMs);
    for (const [id, s] of this.#served) {
      if (s.scaled * toNow >= 1) continue;
      this.#served.delete(id);
      this.#total -= s.scaled;
    }
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
