/**
 * multicluster-queue-scorer (upstream scheduling/scorer/queuedepth multicluster.go, Alpha, Distribution): scores
 * peer clusters by their average queue size (`llm-d.ai/multicluster-queue-size`, from multicluster-metrics-extractor,
 * which a config must therefore have): (max - q) / (max - min) over the peers that report one, all equal 1, a peer
 * without one 0. It is endpoint-attribute-scorer's adaptive lower-is-better over that attribute. No parameters.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { EndpointAttributeScorer } from '../endpoint-attribute/endpoint-attribute.ts';
import { MULTICLUSTER_QUEUE_SIZE_KEY } from '../../../datalayer/extractor/multicluster-metrics/multicluster-metrics.ts';

export const MULTICLUSTER_QUEUE_SCORER_TYPE = 'multicluster-queue-scorer';

export function createMulticlusterQueueScorer(name: string, params: unknown, _handle: PluginHandle): EndpointAttributeScorer {
  readParams(name, params, []);
  return new EndpointAttributeScorer(name, MULTICLUSTER_QUEUE_SIZE_KEY, true, NaN, NaN, MULTICLUSTER_QUEUE_SCORER_TYPE, true);
}
