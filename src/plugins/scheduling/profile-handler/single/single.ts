/**
 * single-profile-handler: runs the one configured profile once and makes it primary (upstream
 * profilehandler/single). The config loader adds it when one profile is configured and no handler is, and
 * rejects it beside more than one profile, as upstream does.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { ProfileHandler, ProfileHandlerOutcome, ProfileResults, SchedulerProfile } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const SINGLE_PROFILE_HANDLER_TYPE = 'single-profile-handler';

const NONE: readonly SchedulerProfile[] = [];

export class SingleProfileHandler implements ProfileHandler {
  readonly type = SINGLE_PROFILE_HANDLER_TYPE;
  readonly name: string;
  /** The profile pick() returned, and its success outcome, made once: the hot path allocates nothing. */
  #picked: SchedulerProfile | null = null;
  #outcome: ProfileHandlerOutcome = { ok: true, primaryProfileName: '' };

  constructor(name: string) {
    this.name = name;
  }

  pick(_request: LLMRequest, profiles: readonly SchedulerProfile[], results: ProfileResults): readonly SchedulerProfile[] {
    if (results.size > 0) return NONE;
    const only = profiles.length === 1 ? profiles[0]! : null;
    if (only !== this.#picked) {
      this.#picked = only;
      this.#outcome = { ok: true, primaryProfileName: only?.name ?? '' };
    }
    return profiles;
  }

  processResults(_request: LLMRequest, results: ProfileResults): ProfileHandlerOutcome {
    if (results.size !== 1) {
      return { ok: false, reason: 'single profile handler is intended to be used with a single profile, failed to process multiple profiles' };
    }
    const name = this.#picked?.name ?? '';
    const result = results.get(name);
    if (result === undefined) return { ok: false, reason: 'single profile handler: the profile it picked has no result' };
    return result === null ? { ok: false, reason: `failed to run scheduler profile '${name}'` } : this.#outcome;
  }
}

export function createSingleProfileHandler(name: string, params: unknown, _handle: PluginHandle): SingleProfileHandler {
  readParams(name, params, []);
  return new SingleProfileHandler(name);
}
