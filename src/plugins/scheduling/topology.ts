/**
 * What the topology-affinity filter and scorer share (upstream scheduling/util/topology and
 * datalayer/attribute/topology): the Topology attribute topology-extractor writes on each endpoint, how close two
 * endpoints are, and the peer endpoint (the other stage's pick in a disaggregated cycle) they compare against.
 */
import { dataKey, endpointData, requestData, PEER_ENDPOINT_KEY, type PeerEndpoint } from '../../framework/data-keys.ts';
import type { Endpoint } from '../../framework/endpoint.ts';
import type { LLMRequest } from '../../framework/request.ts';

export const TOPOLOGY_EXTRACTOR_TYPE = 'topology-extractor';
export const TOPOLOGY_KEY = 'Topology';

/** An endpoint's placement, from its pod labels. */
export interface Topology {
  readonly hostname: string;
  readonly rack: string;
  readonly zone: string;
  readonly region: string;
}

/** Closest shared level, host (0) to none (4). */
export const LEVELS = ['host', 'rack', 'zone', 'region'] as const;
export type LevelName = (typeof LEVELS)[number];
export const LEVEL_NONE = 4;

/** The key the plugins read: `Topology` of the named producer (the extractor's type when ''). */
export function topologyKey(producerName: string): string {
  return dataKey(TOPOLOGY_KEY, producerName === '' ? TOPOLOGY_EXTRACTOR_TYPE : producerName);
}

/** The closest level both share (a level matches when both values are set and equal), LEVEL_NONE if none. */
export function compareTopology(peer: Topology | undefined, candidate: Topology | undefined): number {
  if (peer === undefined || candidate === undefined) return LEVEL_NONE;
  if (peer.hostname !== '' && peer.hostname === candidate.hostname) return 0;
  if (peer.rack !== '' && peer.rack === candidate.rack) return 1;
  if (peer.zone !== '' && peer.zone === candidate.zone) return 2;
  if (peer.region !== '' && peer.region === candidate.region) return 3;
  return LEVEL_NONE;
}

/** The topology of the request's peer endpoint, undefined when there is no peer or it has none. */
export function peerTopology(request: LLMRequest, key: string): Topology | undefined {
  const peer = requestData<PeerEndpoint>(request, PEER_ENDPOINT_KEY);
  return peer === null ? undefined : endpointData<Topology>(peer.endpoint, key);
}

export function endpointTopology(endpoint: Endpoint, key: string): Topology | undefined {
  return endpointData<Topology>(endpoint, key);
}
