/**
 * The scheduler engine: runs the primary profile, then the PreRequest plugins, and fans response completion
 * out to ResponseComplete plugins. It knows plugins only through the framework contracts.
 *
 * Profiles: every configured profile is compiled and validated, but only the first (primary) one runs, like
 * upstream's single-profile-handler. Multi-profile handlers (e.g. prefill/decode) are not implemented.
 */
import type { Endpoint } from '../datastore/endpoint.ts';
import type { Plugin } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import {
  isPreRequest,
  isResponseComplete,
  type PreRequest,
  type ResponseComplete,
  type ScheduleResult,
  type Scheduler,
} from '../framework/scheduling.ts';
import { SchedulerProfile, type PluginDurationHook, type ProfileSpec } from './profile.ts';

export const PRE_REQUEST_POINT = 'PreRequest';
export const RESPONSE_COMPLETE_POINT = 'ResponseComplete';

/** Observability hooks, fixed at construction so the hot path tests one precomputed field. */
export interface SchedulerObserver {
  /** Per-plugin call duration (e.g. inference_extension_plugin_duration_seconds). Off when absent. */
  readonly onPluginDuration?: PluginDurationHook | undefined;
  /** Duration of one scheduling cycle, PreRequest excluded (e.g. ..._scheduler_e2e_duration_seconds). */
  readonly onScheduleDuration?: ((seconds: number, ok: boolean) => void) | undefined;
}

/** A plugin that keeps per-endpoint state; the engine forwards datastore removals to it. */
export interface EndpointStateHolder {
  removeEndpoint(key: string): void;
}

/** A plugin with an index whose size is exported as a metric. */
export interface IndexSizeReporter {
  indexEntries(): number;
}

function holdsEndpointState(p: Plugin): p is Plugin & EndpointStateHolder {
  return typeof (p as Partial<EndpointStateHolder>).removeEndpoint === 'function';
}
function reportsIndexSize(p: Plugin): p is Plugin & IndexSizeReporter {
  return typeof (p as Partial<IndexSizeReporter>).indexEntries === 'function';
}

export class SchedulerEngine implements Scheduler {
  readonly profiles: readonly SchedulerProfile[];
  readonly #primary: SchedulerProfile;
  readonly #preRequest: readonly PreRequest[];
  readonly #responseComplete: readonly ResponseComplete[];
  readonly #stateHolders: readonly EndpointStateHolder[];
  readonly #indexReporters: readonly IndexSizeReporter[];
  readonly #onPluginDuration: PluginDurationHook | null;
  readonly #onScheduleDuration: ((seconds: number, ok: boolean) => void) | null;

  /**
   * @param profiles compiled in order; the first is primary.
   * @param plugins every plugin instance of the config: those implementing PreRequest / ResponseComplete run
   *   on every request, whether or not a profile references them (as upstream's request-control config).
   */
  constructor(profiles: readonly ProfileSpec[], plugins: readonly Plugin[], observer: SchedulerObserver = {}) {
    if (profiles.length === 0) throw new Error('a scheduler needs at least one profile');
    this.#onPluginDuration = observer.onPluginDuration ?? null;
    this.#onScheduleDuration = observer.onScheduleDuration ?? null;
    this.profiles = profiles.map((p) => new SchedulerProfile(p, this.#onPluginDuration));
    this.#primary = this.profiles[0]!;
    const unique = [...new Set(plugins)];
    this.#preRequest = unique.filter(isPreRequest);
    this.#responseComplete = unique.filter(isResponseComplete);
    this.#stateHolders = unique.filter(holdsEndpointState);
    this.#indexReporters = unique.filter(reportsIndexSize);
  }

  get primaryProfile(): SchedulerProfile {
    return this.#primary;
  }

  schedule(request: LLMRequest, candidates: readonly Endpoint[]): ScheduleResult {
    const onCycle = this.#onScheduleDuration;
    const t0 = onCycle === null ? 0 : performance.now();
    const result = this.#primary.run(request, candidates);
    if (onCycle !== null) onCycle((performance.now() - t0) / 1000, result.ok);
    if (result.ok) this.#runPreRequest(request, result.endpoints, result.count);
    return result;
  }

  responseComplete(request: LLMRequest, endpoint: Endpoint): void {
    const plugins = this.#responseComplete;
    const hook = this.#onPluginDuration;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (hook === null) {
        p.responseComplete(request, endpoint);
      } else {
        const t0 = performance.now();
        p.responseComplete(request, endpoint);
        hook(RESPONSE_COMPLETE_POINT, p.type, p.name, (performance.now() - t0) / 1000);
      }
    }
  }

  /** Purges per-endpoint plugin state; wire to the datastore's 'endpointRemoved' event. */
  removeEndpoint(key: string): void {
    for (const p of this.#stateHolders) p.removeEndpoint(key);
  }

  /** Sum of plugin index entries (prefix index size metric). */
  indexEntries(): number {
    let total = 0;
    for (const p of this.#indexReporters) total += p.indexEntries();
    return total;
  }

  #runPreRequest(request: LLMRequest, picked: readonly Endpoint[], count: number): void {
    const plugins = this.#preRequest;
    const hook = this.#onPluginDuration;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (hook === null) {
        p.preRequest(request, picked, count);
      } else {
        const t0 = performance.now();
        p.preRequest(request, picked, count);
        hook(PRE_REQUEST_POINT, p.type, p.name, (performance.now() - t0) / 1000);
      }
    }
  }
}
