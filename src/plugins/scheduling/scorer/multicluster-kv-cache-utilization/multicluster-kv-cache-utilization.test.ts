/** multicluster-kv-cache-utilization-scorer: the shared contract (behaviour table: ../multicluster-queue/multicluster-queue.test.ts). */
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { createMulticlusterKvCacheUtilizationScorer } from './multicluster-kv-cache-utilization.ts';

scorerContract('multicluster-kv-cache-utilization-scorer', (h) => createMulticlusterKvCacheUtilizationScorer('k', undefined, h));
