/**
 * Prototype scorers for the fast simulation only: not registered in the picker, so e2e mode refuses them.
 * bench/README.md "Tuning" gives the numbers. (The kv-estimate prototype that used to live here became the
 * production kv-estimate-scorer, src/plugins/scheduling/scorer/kv-estimate/.)
 */
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import type { Plugin, PluginHandle } from '../../../src/framework/plugin.ts';
import type { LLMRequest } from '../../../src/framework/request.ts';
import type { Scorer } from '../../../src/framework/scheduling.ts';
import type { PluginRegistry } from '../../../src/config/plugin-registry.ts';

export const INFLIGHT_SCORER_TYPE = 'inflight-requests-scorer';

/**
 * inflight-requests-scorer (Distribution): min-max over the candidates of Endpoint.inflightRequests, the
 * picker's own count of requests it routed there that have not finished: (max - x) / (max - min), all equal
 * -> 1. Never stale, but blind to request size.
 */
export class InflightRequestsScorer implements Scorer {
  readonly type = INFLIGHT_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = (candidates[i] as Endpoint).inflightRequests;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const range = max - min;
    for (let i = 0; i < n; i++) out[i] = range === 0 ? 1 : (max - (candidates[i] as Endpoint).inflightRequests) / range;
  }
}

export function registerExperimental(registry: PluginRegistry): void {
  registry.register(INFLIGHT_SCORER_TYPE, (name: string, _params: unknown, _handle: PluginHandle): Plugin => new InflightRequestsScorer(name));
}
