/**
 * topology-affinity-scorer (upstream scheduling/scorer/topologyaffinity, Alpha, Affinity): in a disaggregated
 * cycle, scores each candidate by how close it is to the peer endpoint (the other stage's pick): same host 1,
 * rack 0.2, zone 0.05, region 0.02, else 0. No peer (or no topology on it): every candidate 0.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams, stringParam } from '../../../../input/plugin-params.ts';
import { compareTopology, endpointTopology, peerTopology, topologyKey } from '../../topology.ts';

export const TOPOLOGY_AFFINITY_SCORER_TYPE = 'topology-affinity-scorer';

/** By level: host, rack, zone, region, none (upstream levelScores). */
const LEVEL_SCORES = [1, 0.2, 0.05, 0.02, 0];

export class TopologyAffinityScorer implements Scorer {
  readonly type = TOPOLOGY_AFFINITY_SCORER_TYPE;
  readonly category = 'Affinity' as const;
  readonly name: string;
  readonly consumes;
  readonly #key: string;

  constructor(name: string, producerName: string) {
    this.name = name;
    this.#key = topologyKey(producerName);
    this.consumes = { optional: [this.#key] };
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const peer = peerTopology(request, this.#key);
    for (let i = 0; i < n; i++) out[i] = peer === undefined ? 0 : LEVEL_SCORES[compareTopology(peer, endpointTopology(candidates[i]!, this.#key))]!;
  }
}

export function createTopologyAffinityScorer(name: string, params: unknown, _handle: PluginHandle): TopologyAffinityScorer {
  const p = readParams(name, params, ['topologyProducerName']);
  return new TopologyAffinityScorer(name, stringParam(name, p, 'topologyProducerName', ''));
}
