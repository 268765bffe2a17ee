/**
 * topology-extractor (upstream datalayer/extractor/topology, Alpha): writes each endpoint's Topology attribute
 * (hostname, rack, zone, region) from its pod labels, when the endpoint joins and when its labels change. Label
 * keys: `hostname` (kubernetes.io/hostname), `rack` (topology.kubernetes.io/rack), `zone`
 * (topology.kubernetes.io/zone), `region` (topology.kubernetes.io/region). An endpoint with none of them gets no
 * attribute. Upstream also falls back to the pod's spec.hostname; the datastore does not keep pod specs.
 */
import type { EndpointObserver } from '../../../../framework/datalayer.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams, stringParam } from '../../../../input/plugin-params.ts';
import { TOPOLOGY_EXTRACTOR_TYPE, topologyKey, type Topology } from '../../../scheduling/topology.ts';

export { TOPOLOGY_EXTRACTOR_TYPE };

export interface TopologyLabels {
  readonly hostname: string;
  readonly rack: string;
  readonly zone: string;
  readonly region: string;
}

export const DEFAULT_TOPOLOGY_LABELS: TopologyLabels = {
  hostname: 'kubernetes.io/hostname',
  rack: 'topology.kubernetes.io/rack',
  zone: 'topology.kubernetes.io/zone',
  region: 'topology.kubernetes.io/region',
};

export class TopologyExtractor implements EndpointObserver {
  readonly type = TOPOLOGY_EXTRACTOR_TYPE;
  readonly name: string;
  readonly produces: readonly string[];
  readonly #key: string;
  readonly #labels: TopologyLabels;

  constructor(name: string, labels: TopologyLabels) {
    this.name = name;
    this.#key = topologyKey(name);
    this.produces = [this.#key];
    this.#labels = labels;
  }

  endpointChanged(endpoint: Endpoint): void {
    const l = endpoint.labels;
    const t: Topology = {
      hostname: l[this.#labels.hostname] ?? '',
      rack: l[this.#labels.rack] ?? '',
      zone: l[this.#labels.zone] ?? '',
      region: l[this.#labels.region] ?? '',
    };
    if (t.hostname === '' && t.rack === '' && t.zone === '' && t.region === '') endpoint.attributes.delete(this.#key);
    else endpoint.attributes.set(this.#key, t);
  }
}

export function createTopologyExtractor(name: string, params: unknown, _handle: PluginHandle): TopologyExtractor {
  const p = readParams(name, params, ['hostname', 'rack', 'zone', 'region']);
  const d = DEFAULT_TOPOLOGY_LABELS;
  return new TopologyExtractor(name, {
    hostname: stringParam(name, p, 'hostname', '') || d.hostname,
    rack: stringParam(name, p, 'rack', '') || d.rack,
    zone: stringParam(name, p, 'zone', '') || d.zone,
    region: stringParam(name, p, 'region', '') || d.region,
  });
}
