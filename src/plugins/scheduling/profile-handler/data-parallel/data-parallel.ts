/**
 * data-parallel-profile-handler (upstream profilehandler/dataparallel, Beta, deprecated there in favour of the
 * single handler with Istio >= 1.28.1): runs the one profile like single-profile-handler and tells the pod's
 * sidecar which data-parallel rank was chosen: the picked endpoint's `ip:port` goes in the request header
 * x-data-parallel-host-port. Upstream also rewrites the destination to `primaryPort` (default 8000), the
 * sidecar's port; this picker routes to the rank's own port (what Istio >= 1.28.1 needs), and validates
 * primaryPort (0, or 1-65535) without applying it.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest } from '../../../../framework/requestcontrol.ts';
import type { ProfileHandler, ProfileHandlerOutcome, ProfileResults, SchedulerProfile, SchedulingResult } from '../../../../framework/scheduling.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';
import { SingleProfileHandler } from '../single/single.ts';

export const DATA_PARALLEL_PROFILE_HANDLER_TYPE = 'data-parallel-profile-handler';
/** upstream routing.DataParallelEndpointHeader. */
export const DATA_PARALLEL_ENDPOINT_HEADER = 'x-data-parallel-host-port';

export class DataParallelProfileHandler implements ProfileHandler, PreRequest {
  readonly type = DATA_PARALLEL_PROFILE_HANDLER_TYPE;
  readonly name: string;
  readonly primaryPort: number;
  readonly #single: SingleProfileHandler;

  constructor(name: string, primaryPort: number) {
    this.name = name;
    this.primaryPort = primaryPort;
    this.#single = new SingleProfileHandler(name);
  }

  pick(request: LLMRequest, profiles: readonly SchedulerProfile[], results: ProfileResults): readonly SchedulerProfile[] {
    return this.#single.pick(request, profiles, results);
  }

  processResults(request: LLMRequest, results: ProfileResults): ProfileHandlerOutcome {
    const out = this.#single.processResults(request, results);
    return out.ok ? out : { ok: false, reason: out.reason.replace('single profile handler', 'data parallel profile handler') };
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const target = result.primary.endpoints[0];
    if (target !== undefined && result.primary.count > 0) (request.outHeaders ??= new Map()).set(DATA_PARALLEL_ENDPOINT_HEADER, target.key);
  }
}

export function createDataParallelProfileHandler(name: string, params: unknown, handle: PluginHandle): DataParallelProfileHandler {
  const p = readParams(name, params, ['primaryPort']);
  const primaryPort = intParam(name, p, 'primaryPort', 8000, 0, 65535);
  handle.logger.info({ plugin: name }, 'Deprecated: Use simple-profile-handler with Istio >= 1.28.1');
  return new DataParallelProfileHandler(name, primaryPort);
}
