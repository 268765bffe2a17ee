/**
 * Scheduling contracts. The hot path passes caller-owned arrays: candidates live in a scratch Endpoint[]
 * with an explicit count `n`, scores go into a Float64Array. No plugin allocates per call in steady state.
 * A scheduling cycle and the PreRequest hooks after it run synchronously in one call, so a plugin may keep
 * per-request scratch state on its instance between score() and preRequest().
 */
import type { Endpoint } from './endpoint.ts';
import type { LLMRequest } from './request.ts';
import type { Plugin } from './plugin.ts';
import type { ExplainRecorder } from './explain.ts';

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

/** What one profile run chose. Scratch owned by the profile: valid until its next run. */
export interface ProfileRunResult {
  /** Picks in order of preference; only the first `count` are this run's. */
  readonly endpoints: readonly Endpoint[];
  readonly count: number;
  /**
   * Every candidate the scorers saw (after the filters): the first `scoredCount` of `scored`, each with its
   * weighted total score at the same index of `scores`. scoredCount is 0 when the profile has no scorers.
   * Read for --emit-endpoint-scores (upstream ProfileRunResult.ScoredCandidates).
   */
  readonly scored?: readonly Endpoint[];
  readonly scoredCount?: number;
  readonly scores?: Float64Array;
}

/** A profile as a profile handler sees it: filters -> scorers -> picker over the candidates. */
export interface SchedulerProfile {
  readonly name: string;
  /** null when the profile chose nothing (every candidate filtered out, or no pick). */
  run(request: LLMRequest, candidates: readonly Endpoint[]): ProfileRunResult | null;
}

/** Profile results of one cycle, by profile name; null for a profile that ran and chose nothing. */
export type ProfileResults = ReadonlyMap<string, ProfileRunResult | null>;

/** What a profile handler makes of the runs: the primary profile, or why the cycle failed. */
export type ProfileHandlerOutcome =
  | {
      readonly ok: true;
      readonly primaryProfileName: string;
      /** The profile that ran the prefill stage, when the handler disaggregates (default "prefill"). */
      readonly prefillProfileName?: string;
      /**
       * The port the destination names for every target instead of the endpoint's own (upstream: the handler
       * rewrites the targets' Port, as data-parallel-profile-handler's primaryPort). Absent or 0: their own.
       */
      readonly destinationPort?: number;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Decides which profiles run for a request, in what order, and which result is primary (upstream
 * ProfileHandler Pick / ProcessResults). The engine calls pick() until it returns no profile, running each
 * returned profile and adding its result, then processResults() once.
 */
export interface ProfileHandler extends Plugin {
  pick(request: LLMRequest, profiles: readonly SchedulerProfile[], results: ProfileResults): readonly SchedulerProfile[];
  processResults(request: LLMRequest, results: ProfileResults): ProfileHandlerOutcome;
}

/** One scheduling cycle's outcome: one result per profile that ran, and the primary one. */
export interface SchedulingResult {
  readonly ok: true;
  readonly profileResults: ProfileResults;
  readonly primaryProfileName: string;
  /** profileResults.get(primaryProfileName), never null. */
  readonly primary: ProfileRunResult;
  /** The prefill stage's profile (disagg handlers name it; undefined = upstream's fixed name "prefill"). */
  readonly prefillProfileName?: string;
  /** The handler's destinationPort: the port x-gateway-destination-endpoint names; absent or 0 = each endpoint's own. */
  readonly destinationPort?: number;
}

/** Upstream's fixed prefill profile name (approximateprefix experimentalDefaultPrefillProfile). */
export const DEFAULT_PREFILL_PROFILE = 'prefill';

/**
 * The prefill stage's result of a cycle, when one ran apart from the primary (P/D): plugins that update state
 * for both endpoints a request used (prefix index, in-flight load) read it here.
 */
export function prefillResult(result: SchedulingResult): ProfileRunResult | null {
  const name = result.prefillProfileName ?? DEFAULT_PREFILL_PROFILE;
  if (name === result.primaryProfileName) return null;
  const r = result.profileResults.get(name);
  return r != null && r.count > 0 ? r : null;
}

export interface SchedulingFailure {
  readonly ok: false;
  readonly reason: string;
  /** A failed profile's filters removed every candidate: the pool is busy, not broken (429 rejected-saturated). */
  readonly filteredOut?: boolean;
}

/** Scratch owned by the scheduler: valid until its next schedule() call. */
export type ScheduleOutcome = SchedulingResult | SchedulingFailure;

/** The scheduler as request control sees it: runs the profiles, nothing else. */
export interface Scheduler {
  /** `explain` (decision explain, off the normal path) collects what every profile run did. */
  schedule(request: LLMRequest, candidates: readonly Endpoint[], explain?: ExplainRecorder | null): ScheduleOutcome;
}

export function isFilter(p: Plugin): p is Filter {
  return typeof (p as Partial<Filter>).filter === 'function';
}
export function isScorer(p: Plugin): p is Scorer {
  return typeof (p as Partial<Scorer>).score === 'function';
}
export function isPicker(p: Plugin): p is Picker {
  return typeof (p as Partial<Picker>).pick === 'function' && typeof (p as Partial<Picker>).maxEndpoints === 'number';
}
export function isProfileHandler(p: Plugin): p is ProfileHandler {
  return typeof (p as Partial<ProfileHandler>).processResults === 'function';
}
