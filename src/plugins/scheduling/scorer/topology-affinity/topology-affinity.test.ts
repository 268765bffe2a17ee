/**
 * topology-affinity-scorer: the shared contract here; its behaviour table (peer levels, minAffinity, soft fallback) runs end to end
 * with topology-extractor in src/plugins/datalayer/extractor/topology/topology.test.ts.
 */
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { createTopologyAffinityScorer } from './topology-affinity.ts';

scorerContract('topology-affinity-scorer', (h) => createTopologyAffinityScorer('s', undefined, h));
