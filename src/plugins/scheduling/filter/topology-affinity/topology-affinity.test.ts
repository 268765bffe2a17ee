/**
 * topology-affinity-filter: the shared contract here; its behaviour table (peer levels, minAffinity, soft fallback) runs end to end
 * with topology-extractor in src/plugins/datalayer/extractor/topology/topology.test.ts.
 */
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { createTopologyAffinityFilter } from './topology-affinity.ts';

filterContract('topology-affinity-filter', (h) => createTopologyAffinityFilter('f', undefined, h));
