/**
 * topology-affinity-filter (upstream scheduling/filter/topologyaffinity, Alpha): in a disaggregated cycle, keeps
 * the candidates at least as close to the peer endpoint (the other stage's pick) as `minAffinity` (host, the
 * default; rack, zone, region). No peer or peer without topology: every candidate; none close enough: every
 * candidate too (soft). Candidates without topology are dropped when others qualify.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { FieldError } from '../../../../input/fields.ts';
import { read, readParams, stringParam } from '../../../../input/plugin-params.ts';
import { compareTopology, endpointTopology, LEVELS, peerTopology, topologyKey, type LevelName } from '../../topology.ts';

export const TOPOLOGY_AFFINITY_FILTER_TYPE = 'topology-affinity-filter';

export class TopologyAffinityFilter implements Filter {
  readonly type = TOPOLOGY_AFFINITY_FILTER_TYPE;
  readonly name: string;
  readonly consumes;
  readonly #key: string;
  readonly #minAffinity: number;

  constructor(name: string, minAffinity: LevelName, producerName: string) {
    this.name = name;
    this.#key = topologyKey(producerName);
    this.consumes = { optional: [this.#key] };
    this.#minAffinity = LEVELS.indexOf(minAffinity);
  }

  filter(request: LLMRequest, candidates: Endpoint[], n: number): number {
    const peer = peerTopology(request, this.#key);
    if (peer === undefined) return n;
    let kept = 0;
    for (let i = 0; i < n; i++) if (this.#close(peer, candidates[i]!)) kept++;
    if (kept === 0 || kept === n) return n;
    kept = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (this.#close(peer, ep)) candidates[kept++] = ep;
    }
    return kept;
  }

  #close(peer: ReturnType<typeof peerTopology>, ep: Endpoint): boolean {
    const t = endpointTopology(ep, this.#key);
    return t !== undefined && compareTopology(peer, t) <= this.#minAffinity;
  }
}

export function createTopologyAffinityFilter(name: string, params: unknown, _handle: PluginHandle): TopologyAffinityFilter {
  const p = readParams(name, params, ['minAffinity', 'topologyProducerName']);
  const level = stringParam(name, p, 'minAffinity', '') || 'host';
  if (!(LEVELS as readonly string[]).includes(level)) {
    read(name, () => {
      throw new FieldError('minAffinity', `invalid topology level ${JSON.stringify(level)}, must be one of host, rack, zone, region`);
    });
  }
  return new TopologyAffinityFilter(name, level as LevelName, stringParam(name, p, 'topologyProducerName', ''));
}
