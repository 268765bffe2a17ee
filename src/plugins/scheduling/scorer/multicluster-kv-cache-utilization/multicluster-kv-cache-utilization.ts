/**
 * multicluster-kv-cache-utilization-scorer (upstream scheduling/scorer/kvcacheutilization multicluster.go, Alpha,
 * Distribution): 1 - a peer cluster's average KV-cache utilization (`llm-d.ai/multicluster-kv-cache-utilization`,
 * from multicluster-metrics-extractor, which a config must therefore have); a peer without one scores 0. No
 * parameters.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { scalarAttribute } from '../../endpoint-attribute.ts';
import { MULTICLUSTER_KV_CACHE_UTILIZATION_KEY } from '../../../datalayer/extractor/multicluster-metrics/multicluster-metrics.ts';

export const MULTICLUSTER_KV_CACHE_UTILIZATION_SCORER_TYPE = 'multicluster-kv-cache-utilization-scorer';

export class MulticlusterKvCacheUtilizationScorer implements Scorer {
  readonly type = MULTICLUSTER_KV_CACHE_UTILIZATION_SCORER_TYPE;
  readonly category = 'Distribution' as const;
  readonly name: string;
  readonly consumes = { required: [MULTICLUSTER_KV_CACHE_UTILIZATION_KEY] };

  constructor(name: string) {
    this.name = name;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const util = scalarAttribute(candidates[i]!, MULTICLUSTER_KV_CACHE_UTILIZATION_KEY);
      out[i] = Number.isNaN(util) ? 0 : 1 - util;
    }
  }
}

export function createMulticlusterKvCacheUtilizationScorer(name: string, params: unknown, _handle: PluginHandle): MulticlusterKvCacheUtilizationScorer {
  readParams(name, params, []);
  return new MulticlusterKvCacheUtilizationScorer(name);
}
