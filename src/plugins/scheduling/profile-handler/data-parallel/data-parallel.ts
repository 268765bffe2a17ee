/**
 * data-parallel-profile-handler (upstream profilehandler/dataparallel, Beta, deprecated there in favour of the
 * single handler with Istio >= 1.28.1): runs the one profile like single-profile-handler, sends the request to
 * the picked pod's `primaryPort` (default 8000, the pod's sidecar; x-gateway-destination-endpoint and the
 * envoy.lb metadata name `ip:primaryPort` for every target) and tells that sidecar which data-parallel rank was
 * chosen: the picked endpoint's own `ip:port` goes in the request header x-data-parallel-host-port.
 * primaryPort is 0 or 1-65535; 0 keeps each endpoint's own port (upstream would send to port 0).
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
  /** The last outcome, reused while the primary profile stays the same (it always does: one profile). */
  #outcome: ProfileHandlerOutcome | null = null;

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
    if (!out.ok) return { ok: false, reason: out.reason.replace('single profile handler', 'data parallel profile handler') };
    const last = this.#outcome;
    if (last !== null && last.ok && last.primaryProfileName === out.primaryProfileName) return last;
    return (this.#outcome = { ok: true, primaryProfileName: out.primaryProfileName, destinationPort: this.primaryPort });
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
