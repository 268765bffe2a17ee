/**
 * topology-extractor with topology-affinity-filter and -scorer, end to end through a real disagg-profile-handler
 * cycle: the extractor reads pod labels, the handler publishes the decode pick as the prefill stage's peer, and the
 * prefill profile keeps or prefers the prefill pods near it. Cases from upstream llm-d-router
 * `datalayer/extractor/topology/extractor_test.go`, `scheduling/filter/topologyaffinity/filter_test.go`,
 * `scheduling/scorer/topologyaffinity/scorer_test.go`, `scheduling/util/topology/level_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PEER_ENDPOINT_KEY } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { labelledEndpoints, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createTopologyAffinityFilter } from '../../../scheduling/filter/topology-affinity/topology-affinity.ts';
import { createTopologyAffinityScorer } from '../../../scheduling/scorer/topology-affinity/topology-affinity.ts';
import { createTopologyExtractor } from './topology.ts';


const HOST = 'kubernetes.io/hostname';
const RACK = 'topology.kubernetes.io/rack';
const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';

function fleet(): Endpoint[] {
  const { eps } = labelledEndpoints([
    ['decode', { [HOST]: 'n1', [RACK]: 'r1', [ZONE]: 'z1', [REGION]: 'eu' }],
    ['same-host', { [HOST]: 'n1', [RACK]: 'r1', [ZONE]: 'z1', [REGION]: 'eu' }],
    ['same-rack', { [HOST]: 'n2', [RACK]: 'r1', [ZONE]: 'z1', [REGION]: 'eu' }],
    ['same-zone', { [HOST]: 'n3', [RACK]: 'r2', [ZONE]: 'z1', [REGION]: 'eu' }],
    ['same-region', { [HOST]: 'n4', [RACK]: 'r3', [ZONE]: 'z2', [REGION]: 'eu' }],
    ['far', { [HOST]: 'n5', [RACK]: 'r9', [ZONE]: 'z9', [REGION]: 'us' }],
    ['unlabelled', {}],
  ]);
  const ex = createTopologyExtractor('topology-extractor', undefined, testHandle());
  for (const ep of eps) ex.endpointChanged(ep);
  return eps;
}
const withPeer = (peer: Endpoint) => {
  const req = makeRequest();
  req.data.set(PEER_ENDPOINT_KEY, { request: req, endpoint: peer });
  return req;
};

test('topology-extractor: writes the labels as Topology; no labels, no attribute; a relabel updates it', () => {
  const eps = fleet();
  assert.deepEqual(eps[2]!.attributes.get('Topology/topology-extractor'), { hostname: 'n2', rack: 'r1', zone: 'z1', region: 'eu' });
  assert.equal(eps[6]!.attributes.has('Topology/topology-extractor'), false);
  const ex = createTopologyExtractor('topo', { zone: 'example.com/zone' }, testHandle());
  eps[6]!.labels = { 'example.com/zone': 'zz' };
  ex.endpointChanged(eps[6]!);
  assert.deepEqual(eps[6]!.attributes.get('Topology/topo'), { hostname: '', rack: '', zone: 'zz', region: '' });
});

test('topology-affinity-scorer: host 1, rack 0.2, zone 0.05, region 0.02, else 0; no peer: all 0', () => {
  const eps = fleet();
  const s = createTopologyAffinityScorer('s', undefined, testHandle());
  const cands = eps.slice(1);
  const out = new Float64Array(cands.length);
  s.score(withPeer(eps[0]!), cands, cands.length, out);
  assert.deepEqual([...out], [1, 0.2, 0.05, 0.02, 0, 0]);
  s.score(makeRequest(), cands, cands.length, out);
  assert.deepEqual([...out], [0, 0, 0, 0, 0, 0]);
});

test('topology-affinity-filter: keeps candidates within minAffinity of the peer; soft when none qualifies', () => {
  const eps = fleet();
  const kept = (minAffinity: string | undefined, cands: Endpoint[], req = withPeer(eps[0]!)): number[] => {
    const work = [...cands];
    const n = createTopologyAffinityFilter('f', minAffinity === undefined ? undefined : { minAffinity }, testHandle()).filter(req, work, work.length);
    return work.slice(0, n).map((ep) => eps.indexOf(ep));
  };
  const cands = eps.slice(1);
  assert.deepEqual(kept(undefined, cands), [1], 'default host');
  assert.deepEqual(kept('rack', cands), [1, 2]);
  assert.deepEqual(kept('zone', cands), [1, 2, 3]);
  assert.deepEqual(kept('region', cands), [1, 2, 3, 4]);
  assert.deepEqual(kept('host', [eps[5]!, eps[6]!]), [5, 6], 'none close enough: every candidate');
  assert.deepEqual(kept('host', cands, makeRequest()), [1, 2, 3, 4, 5, 6], 'no peer: every candidate');
  assert.throws(() => createTopologyAffinityFilter('f', { minAffinity: 'datacenter' }, testHandle()), /parameters\.minAffinity: invalid topology level "datacenter"/);
});
