/**
 * One scheduling profile compiled to flat arrays: filters -> weighted scorers -> one picker.
 * run() is the hot path. In steady state it allocates nothing: candidates are copied into a scratch array,
 * scores go into per-scorer Float64Arrays, totals into another, and the same result object is returned
 * every time (callers copy what they keep before the next call, as ProfileRunResult documents).
 */
import { Endpoint } from '../framework/endpoint.ts';
import type { PluginDurationHook } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { Filter, Picker, ProfileRunResult, SchedulerProfile as ProfileContract, Scorer } from '../framework/scheduling.ts';
import { ProfileTrace } from './profile-trace.ts';

export const FILTER_POINT = 'Filter';
export const SCORER_POINT = 'Scorer';
export const PICKER_POINT = 'Picker';

export interface ProfileSpec {
  readonly name: string;
  readonly filters: readonly Filter[];
  readonly scorers: readonly Scorer[];
  /** One weight per scorer, same order. */
  readonly weights: readonly number[];
  readonly picker: Picker;
}

/** Fills grown scratch slots so the array stays packed with one element kind. */
const PLACEHOLDER = new Endpoint('0.0.0.0', 0, '', '', 0, 'vllm');
const MIN_CAPACITY = 16;
const NO_CANDIDATES = 'no candidate endpoints';

interface MutableRunResult extends ProfileRunResult {
  readonly endpoints: Endpoint[];
  count: number;
  scored: readonly Endpoint[];
  scoredCount: number;
  scores: Float64Array;
}

export class SchedulerProfile implements ProfileContract {
  readonly name: string;
  readonly filters: readonly Filter[];
  readonly scorers: readonly Scorer[];
  readonly weights: Float64Array;
  readonly picker: Picker;
  readonly #onPluginDuration: PluginDurationHook | null;

  #capacity = 0;
  /**
   * Candidates are always copied here, even without filters: filters compact in place, and scorers then
   * always see this one array kind (the datastore hands out frozen snapshots), keeping their loops
   * monomorphic. The copy is n pointer stores. Slots past n keep references from earlier cycles until
   * overwritten (at most the largest pool seen).
   */
  readonly #candidates: Endpoint[] = [];
  readonly #scores: Float64Array[];
  #totals = new Float64Array(0);
  readonly #success: MutableRunResult;
  readonly #filteredOut: readonly string[];
  readonly #noPick: string;
  /** Why the last run chose nothing ('' after a run that chose). */
  lastFailure = '';
  /** The last run chose nothing because a filter removed every candidate (upstream: 429 rejected-saturated). */
  lastFilteredOut = false;

  constructor(spec: ProfileSpec, onPluginDuration: PluginDurationHook | null) {
    if (spec.weights.length !== spec.scorers.length) throw new Error('one weight per scorer');
    this.name = spec.name;
    this.filters = [...spec.filters];
    this.scorers = [...spec.scorers];
    this.weights = Float64Array.from(spec.weights);
    this.picker = spec.picker;
    this.#onPluginDuration = onPluginDuration;
    this.#scores = this.scorers.map(() => new Float64Array(0));
    const picked: Endpoint[] = [];
    for (let i = 0; i < spec.picker.maxEndpoints; i++) picked.push(PLACEHOLDER);
    this.#success = { endpoints: picked, count: 0, scored: this.#candidates, scoredCount: 0, scores: this.#totals };
    this.#filteredOut = this.filters.map((f) => `filter "${f.name}" (${f.type}) in profile "${spec.name}" removed every candidate endpoint`);
    this.#noPick = `picker "${spec.picker.name}" in profile "${spec.name}" picked no endpoint`;
    this.#grow(MIN_CAPACITY);
  }

  /** A recorder of one run for decision explain (pass it to run()). */
  newTrace(): ProfileTrace {
    return new ProfileTrace(this.name, this.filters, this.scorers, this.weights, this.picker);
  }

  /** `trace` (decision explain) is null on the normal path: then each step costs one null check more. */
  run(request: LLMRequest, candidates: readonly Endpoint[], trace: ProfileTrace | null = null): ProfileRunResult | null {
    let n = candidates.length;
    this.lastFilteredOut = false;
    if (n === 0) return this.#fail(NO_CANDIDATES, trace);
    if (n > this.#capacity) this.#grow(n);
    const cands = this.#candidates;
    for (let i = 0; i < n; i++) cands[i] = candidates[i]!;
    if (trace !== null) trace.candidates(cands, n);
    const hook = this.#onPluginDuration;

    const filters = this.filters;
    for (let f = 0; f < filters.length; f++) {
      const filter = filters[f]!;
      if (hook === null) {
        n = filter.filter(request, cands, n);
      } else {
        const t0 = performance.now();
        n = filter.filter(request, cands, n);
        hook(FILTER_POINT, filter.type, filter.name, (performance.now() - t0) / 1000);
      }
      if (trace !== null) trace.filtered(f, cands, n);
      if (n === 0) {
        this.lastFilteredOut = true;
        return this.#fail(this.#filteredOut[f]!, trace);
      }
    }

    const totals = this.#totals;
    totals.fill(0, 0, n);
    const scorers = this.scorers;
    const weights = this.weights;
    for (let s = 0; s < scorers.length; s++) {
      const scorer = scorers[s]!;
      const out = this.#scores[s]!;
      if (hook === null) {
        scorer.score(request, cands, n, out);
      } else {
        const t0 = performance.now();
        scorer.score(request, cands, n, out);
        hook(SCORER_POINT, scorer.type, scorer.name, (performance.now() - t0) / 1000);
      }
      const w = weights[s]!;
      for (let i = 0; i < n; i++) {
        let v = out[i]!;
        // Clamp to [0,1]; NaN fails `>= 0` and becomes 0.
        if (!(v >= 0)) v = 0;
        else if (v > 1) v = 1;
        out[i] = v;
        totals[i] = totals[i]! + w * v;
      }
    }

    if (trace !== null) trace.scored(cands, n, this.#scores, totals);
    const picker = this.picker;
    const picked = this.#success.endpoints;
    let count: number;
    if (hook === null) {
      count = picker.pick(request, cands, n, totals, picked);
    } else {
      const t0 = performance.now();
      count = picker.pick(request, cands, n, totals, picked);
      hook(PICKER_POINT, picker.type, picker.name, (performance.now() - t0) / 1000);
    }
    if (trace !== null) trace.picked(picked, count);
    if (count <= 0) return this.#fail(this.#noPick, trace);
    const success = this.#success;
    success.count = count;
    // Views of this run's scratch (no copy): valid until the next run, like the picks.
    success.scored = cands;
    success.scoredCount = scorers.length > 0 ? n : 0;
    success.scores = totals;
    this.lastFailure = '';
    return this.#success;
  }

  #fail(reason: string, trace: ProfileTrace | null): null {
    if (trace !== null) trace.failed(reason);
    this.lastFailure = reason;
    return null;
  }

  /** Raw (clamped) scores of scorer `s` from the last run, for tests and debugging. */
  lastScores(s: number): Float64Array {
    return this.#scores[s]!;
  }

  /** Grows every scratch array to at least n, geometrically; never shrinks. */
  #grow(n: number): void {
    const cap = Math.max(n, this.#capacity * 2, MIN_CAPACITY);
    const cands = this.#candidates;
    while (cands.length < cap) cands.push(PLACEHOLDER);
    for (let s = 0; s < this.#scores.length; s++) this.#scores[s] = new Float64Array(cap);
    this.#totals = new Float64Array(cap);
    this.#capacity = cap;
  }
}
