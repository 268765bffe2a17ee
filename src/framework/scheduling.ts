/**
 * Scheduling contracts. The hot path passes caller-owned arrays: candidates live in a scratch Endpoint[]
 * with an explicit count `n`, scores go into a Float64Array. No plugin allocates per call in steady state.
 * Schedule -> PreRequest runs synchronously in one call, so a plugin may keep per-request scratch state on
 * its instance between score() and preRequest().
 */
import type { Endpoint } from '../datastore/endpoint.ts';
import type { LLMRequest } from './request.ts';
import type { Plugin } from './plugin.ts';

export type ScorerCategory = 'Affinity' | 'Distribution' | 'Balance';

/** Keeps a subset of candidates: compacts the kept ones to the front of `candidates` and returns their count. */
export interface Filter extends Plugin {
  filter(request: LLMRequest, candidates: Endpoint[], n: number): number;
}

/** Writes a score in [0,1] for candidates[i] into out[i], for i < n. Out-of-range values are clamped by the engine. */
export interface Scorer extends Plugin {
  readonly category: ScorerCategory;
  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void;
}

/**
 * Chooses endpoints given total weighted scores. Writes up to `out.length` picks into `out` in order of
 * preference (primary first) and returns how many it wrote (>= 1 when n >= 1).
 */
export interface Picker extends Plugin {
  /** Most endpoints this picker returns (fallback list length). */
  readonly maxEndpoints: number;
  pick(request: LLMRequest, candidates: readonly Endpoint[], n: number, scores: Float64Array, out: Endpoint[]): number;
}

/** Runs after a pick, before the request is forwarded (e.g. record the prefix on the chosen endpoint). */
export interface PreRequest extends Plugin {
  preRequest(request: LLMRequest, picked: readonly Endpoint[], count: number): void;
}

/** Runs when a routed request ends, however it ends (success, error, cancel). */
export interface ResponseComplete extends Plugin {
  responseComplete(request: LLMRequest, endpoint: Endpoint): void;
}

export function isFilter(p: Plugin): p is Filter {
  return typeof (p as Partial<Filter>).filter === 'function';
}
export function isScorer(p: Plugin): p is Scorer {
  return typeof (p as Partial<Scorer>).score === 'function';
}
export function isPicker(p: Plugin): p is Picker {
  return typeof (p as Partial<Picker>).pick === 'function';
}
export function isPreRequest(p: Plugin): p is PreRequest {
  return typeof (p as Partial<PreRequest>).preRequest === 'function';
}
export function isResponseComplete(p: Plugin): p is ResponseComplete {
  return typeof (p as Partial<ResponseComplete>).responseComplete === 'function';
}

/** Outcome of one scheduling cycle. `endpoints` is scratch owned by the scheduler: copy before an await. */
export type ScheduleResult =
  | { readonly ok: true; readonly endpoints: readonly Endpoint[]; readonly count: number }
  | { readonly ok: false; readonly reason: string };

/** The scheduler as the director sees it. */
export interface Scheduler {
  schedule(request: LLMRequest, candidates: readonly Endpoint[]): ScheduleResult;
  /** Called when a routed request ends; fans out to ResponseComplete plugins. */
  responseComplete(request: LLMRequest, endpoint: Endpoint): void;
}

/** Admission: decides from the candidates' load whether the pool is saturated (>= 1.0). */
export interface SaturationDetector {
  saturation(candidates: readonly Endpoint[]): number;
}
