/**
 * session-affinity-scorer (Alpha upstream, category Affinity): 1 for the session's pod, 0 for every other
 * candidate (and 0 everywhere when the request has no usable session). A soft pin other scorers can outweigh.
 * Strategies and parameters: ../../session-affinity.ts. Also a PreRequest and a ResponseReceived hook.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { LLMResponse, PreRequest, ResponseReceived } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult, Scorer } from '../../../../framework/scheduling.ts';
import { isPod, readSessionAffinityConfig, SessionAffinity, STRATEGY_SESSION_ID } from '../../session-affinity.ts';

export const SESSION_AFFINITY_SCORER_TYPE = 'session-affinity-scorer';

export class SessionAffinityScorer implements Scorer, PreRequest, ResponseReceived {
  readonly type = SESSION_AFFINITY_SCORER_TYPE;
  readonly category = 'Affinity';
  readonly name: string;
  readonly session: SessionAffinity;

  constructor(name: string, session: SessionAffinity) {
    this.name = name;
    this.session = session;
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) out[i] = 0;
    const pod = this.session.target(request, candidates, n);
    if (pod === '') return;
    if (this.session.config.strategy === STRATEGY_SESSION_ID) {
      // Upstream Choose: one target, the last candidate of the pod.
      for (let i = n - 1; i >= 0; i--) {
        if (isPod(candidates[i]!, pod)) {
          out[i] = 1;
          return;
        }
      }
      return;
    }
    // encoded_endpoint_header: every candidate of the pod (each data-parallel rank) scores 1.
    for (let i = 0; i < n; i++) if (isPod(candidates[i]!, pod)) out[i] = 1;
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    this.session.preRequest(request, result);
  }

  responseReceived(request: LLMRequest, response: LLMResponse, endpoint: Endpoint): void {
    this.session.responseReceived(request, response, endpoint);
  }
}

export function createSessionAffinityScorer(name: string, params: unknown, handle: PluginHandle): SessionAffinityScorer {
  return new SessionAffinityScorer(name, new SessionAffinity(readSessionAffinityConfig(name, params), handle));
}
