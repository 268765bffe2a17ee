/**
 * slo-aware-profile-handler (GIE v1.0 / llm-d guides, experimental SLO routing): runs the `prefix` profile first
 * when the config has one, then every other profile; the primary result is the `slo` profile's when the request
 * says `x-prediction-based-scheduling: true`, else the `default` profile's. A header that is not a bool fails
 * the cycle, as upstream (strconv.ParseBool).
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { ProfileHandler, ProfileHandlerOutcome, ProfileResults, SchedulerProfile } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const SLO_AWARE_PROFILE_HANDLER_TYPE = 'slo-aware-profile-handler';
export const PREDICTION_BASED_SCHEDULING_HEADER = 'x-prediction-based-scheduling';
const PREFIX = 'prefix';
const SLO = 'slo';
const DEFAULT = 'default';

/** Go strconv.ParseBool. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export class SloAwareProfileHandler implements ProfileHandler {
  readonly type = SLO_AWARE_PROFILE_HANDLER_TYPE;
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  pick(_request: LLMRequest, profiles: readonly SchedulerProfile[], results: ProfileResults): readonly SchedulerProfile[] {
    if (results.size >= profiles.length) return [];
    const prefix = profiles.find((p) => p.name === PREFIX);
    if (prefix !== undefined && !results.has(PREFIX)) return [prefix];
    return profiles.filter((p) => !results.has(p.name));
  }

  processResults(request: LLMRequest, results: ProfileResults): ProfileHandlerOutcome {
    if (results.size < 2) return { ok: false, reason: 'SLOAwareProfileHandler requires at least two profiles to operate' };
    const raw = request.headers.get(PREDICTION_BASED_SCHEDULING_HEADER);
    if (raw !== undefined && !TRUE.has(raw) && !FALSE.has(raw)) {
      return { ok: false, reason: `error parsing predictorBasedScheduling from header failed to choose scheduling profile: ${PREDICTION_BASED_SCHEDULING_HEADER} must be a bool` };
    }
    const primary = raw !== undefined && TRUE.has(raw) ? SLO : DEFAULT;
    if ((results.get(primary) ?? null) === null) return { ok: false, reason: `failed to run scheduler profile '${primary}'` };
    return { ok: true, primaryProfileName: primary };
  }
}

export function createSloAwareProfileHandler(name: string, params: unknown, _handle: PluginHandle): SloAwareProfileHandler {
  readParams(name, params, []);
  return new SloAwareProfileHandler(name);
}
