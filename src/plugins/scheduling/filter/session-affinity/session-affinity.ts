/**
 * session-affinity-filter (Alpha upstream): a hard pin. When the session's pod is a candidate it is the only one
 * kept; otherwise (no session, undecodable token, unbound session, pod gone) every candidate is kept. Never empty.
 * Strategies and parameters: ../../session-affinity.ts. Also a PreRequest hook (session_id binds the pick) and a
 * ResponseReceived hook (encoded_endpoint_header writes the token on the response).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { LLMResponse, PreRequest, ResponseReceived } from '../../../../framework/requestcontrol.ts';
import type { Filter, SchedulingResult } from '../../../../framework/scheduling.ts';
import { isPod, readSessionAffinityConfig, SessionAffinity, STRATEGY_SESSION_ID } from '../../session-affinity.ts';

export const SESSION_AFFINITY_FILTER_TYPE = 'session-affinity-filter';

export class SessionAffinityFilter implements Filter, PreRequest, ResponseReceived {
  readonly type: string;
  readonly name: string;
  readonly session: SessionAffinity;

  /** `type`: multicluster-session-affinity-filter is this filter over peer clusters. */
  constructor(name: string, session: SessionAffinity, type = SESSION_AFFINITY_FILTER_TYPE) {
    this.type = type;
    this.name = name;
    this.session = session;
  }

  filter(request: LLMRequest, candidates: Endpoint[], n: number): number {
    const pod = this.session.target(request, candidates, n);
    if (pod === '') return n;
    // encoded_endpoint_header keeps the first endpoint of the pod, session_id the last (as upstream's loops).
    const last = this.session.config.strategy === STRATEGY_SESSION_ID;
    let found = -1;
    for (let i = 0; i < n; i++) {
      if (!isPod(candidates[i]!, pod)) continue;
      found = i;
      if (!last) break;
    }
    if (found < 0) return n;
    candidates[0] = candidates[found]!;
    return 1;
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    this.session.preRequest(request, result);
  }

  responseReceived(request: LLMRequest, response: LLMResponse, endpoint: Endpoint): void {
    this.session.responseReceived(request, response, endpoint);
  }
}

export function createSessionAffinityFilter(name: string, params: unknown, handle: PluginHandle): SessionAffinityFilter {
  return new SessionAffinityFilter(name, new SessionAffinity(readSessionAffinityConfig(name, params), handle));
}
