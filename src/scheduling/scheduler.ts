/**
 * The scheduler engine: runs the profiles its profile handler picks, then lets the handler name the primary
 * result (upstream Scheduler.Schedule). It knows plugins only through the framework contracts; request-control
 * hooks (PreRequest, ResponseComplete, ...) are the director's, not the scheduler's.
 */
import type { Endpoint } from '../framework/endpoint.ts';
import type { ExplainRecorder } from '../framework/explain.ts';
import type { PluginDurationHook } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import type {
  ProfileHandler,
  ProfileRunResult,
  ScheduleOutcome,
  Scheduler,
  SchedulingFailure,
} from '../framework/scheduling.ts';
import { DEFAULT_PREFILL_PROFILE } from '../framework/scheduling.ts';
import { SchedulerProfile, type ProfileSpec } from './profile.ts';
import { ProfileResultsMap } from './profile-results.ts';

export const PROFILE_PICKER_POINT = 'ProfilePicker';
export const PROCESS_PROFILES_RESULTS_POINT = 'ProcessProfilesResults';

/** Observability hooks, fixed at construction so the hot path tests one precomputed field. */
export interface SchedulerObserver {
  /** Per-plugin call duration (e.g. inference_extension_plugin_duration_seconds). Off when absent. */
  readonly onPluginDuration?: PluginDurationHook | undefined;
  /** Duration of one scheduling cycle (e.g. ..._scheduler_e2e_duration_seconds). */
  readonly onScheduleDuration?: ((seconds: number, ok: boolean) => void) | undefined;
}

/** A profile handler that loops pick() forever is a bug; the engine stops it here. */
const MAX_PICK_ROUNDS = 64;

interface MutableSchedulingResult {
  readonly ok: true;
  readonly profileResults: ProfileResultsMap;
  primaryProfileName: string;
  primary: ProfileRunResult;
  prefillProfileName: string;
  destinationPort: number;
}

export class SchedulerEngine implements Scheduler {
  readonly profiles: readonly SchedulerProfile[];
  readonly handler: ProfileHandler;
  readonly #onPluginDuration: PluginDurationHook | null;
  readonly #onScheduleDuration: ((seconds: number, ok: boolean) => void) | null;
  /** Reused every cycle: callers copy what they keep before the next schedule(). */
  readonly #result: MutableSchedulingResult;

  constructor(profiles: readonly ProfileSpec[], handler: ProfileHandler, observer: SchedulerObserver = {}) {
    if (profiles.length === 0) throw new Error('a scheduler needs at least one profile');
    this.#onPluginDuration = observer.onPluginDuration ?? null;
    this.#onScheduleDuration = observer.onScheduleDuration ?? null;
    this.profiles = profiles.map((p) => new SchedulerProfile(p, this.#onPluginDuration));
    this.handler = handler;
    this.#result = { ok: true, profileResults: new ProfileResultsMap(this.profiles.map((p) => p.name)), primaryProfileName: '', primary: { endpoints: [], count: 0 }, prefillProfileName: DEFAULT_PREFILL_PROFILE, destinationPort: 0 };
  }

  profile(name: string): SchedulerProfile | undefined {
    return this.profiles.find((p) => p.name === name);
  }

  /** With `explain`, every profile run is recorded into it (decision explain); null on the normal path. */
  schedule(request: LLMRequest, candidates: readonly Endpoint[], explain: ExplainRecorder | null = null): ScheduleOutcome {
    const onCycle = explain !== null && explain.dryRun === true ? null : this.#onScheduleDuration;
    const t0 = onCycle === null ? 0 : performance.now();
    const outcome = this.#cycle(request, candidates, explain);
    if (onCycle !== null) onCycle((performance.now() - t0) / 1000, outcome.ok);
    return outcome;
  }

  #cycle(request: LLMRequest, candidates: readonly Endpoint[], explain: ExplainRecorder | null): ScheduleOutcome {
    const handler = this.handler;
    const hook = this.#onPluginDuration;
    const result = this.#result;
    const results = result.profileResults;
    results.clear();
    for (let round = 0; ; round++) {
      if (round === MAX_PICK_ROUNDS) return failure(`profile handler "${handler.name}" kept picking profiles after ${round} rounds`);
      const t0 = hook === null ? 0 : performance.now();
      const picked = handler.pick(request, this.profiles, results);
      if (hook !== null) hook(PROFILE_PICKER_POINT, handler.type, handler.name, (performance.now() - t0) / 1000);
      if (picked.length === 0) break;
      for (let i = 0; i < picked.length; i++) {
        const profile = picked[i]!;
        if (explain === null || !(profile instanceof SchedulerProfile)) {
          results.set(profile.name, profile.run(request, candidates));
        } else {
          const trace = profile.newTrace();
          results.set(profile.name, profile.run(request, candidates, trace));
          explain.profiles.push(trace.finish());
        }
      }
    }
    if (results.size === 0) return failure(`profile handler "${handler.name}" ran no profile`);
    const t1 = hook === null ? 0 : performance.now();
    const processed = handler.processResults(request, results);
    if (hook !== null) hook(PROCESS_PROFILES_RESULTS_POINT, handler.type, handler.name, (performance.now() - t1) / 1000);
    if (!processed.ok) return failure(this.#explain(processed.reason), this.#filteredOut());
    const primary = results.get(processed.primaryProfileName);
    if (!primary) return failure(this.#explain(`primary profile "${processed.primaryProfileName}" has no result`), this.#filteredOut());
    result.primaryProfileName = processed.primaryProfileName;
    result.primary = primary;
    result.prefillProfileName = processed.prefillProfileName ?? DEFAULT_PREFILL_PROFILE;
    result.destinationPort = processed.destinationPort ?? 0;
    return result;
  }

  /** A profile of this cycle chose nothing because its filters removed every candidate. */
  #filteredOut(): boolean {
    for (const [name, r] of this.#result.profileResults) if (r === null && this.profile(name)?.lastFilteredOut) return true;
    return false;
  }

  /** The handler's reason, followed by why each failed profile chose nothing. */
  #explain(reason: string): string {
    let why = reason;
    for (const [name, r] of this.#result.profileResults) {
      if (r === null) why += `; profile "${name}": ${this.profile(name)?.lastFailure || 'no result'}`;
    }
    return why;
  }
}

function failure(reason: string, filteredOut = false): SchedulingFailure {
  return { ok: false, reason, filteredOut };
}
