/**
 * Mixed priorities: two workloads interleaved per request index, each request naming its class's
 * InferenceObjective. The picker reads the objective's priority (< 0 = sheddable) and may shed sheddable
 * requests when its saturation detector says the pool is full; peers ignore it. Each class keeps its own SLO.
 */
import { Rng } from '../../sim/rng.ts';
import type { RequestClass, WorkItem, Workload } from './workload.ts';

export interface PriorityMix {
  /** Class of the requests drawn from `high` (e.g. interactive, priority > 0, tight SLO). */
  high: RequestClass;
  /** Class of the requests drawn from `low` (e.g. batch, priority < 0, lax SLO). */
  low: RequestClass;
  /** Share of requests in the high class. */
  highShare: number;
  seed: number;
}

/** Item i comes from `high` or `low` (a seeded draw per index, the same for every policy), tagged with its objective. */
export function withPriorityMix(high: Workload, low: Workload, mix: PriorityMix): Workload {
  const isHigh = (i: number): boolean => new Rng((Math.imul(mix.seed ^ 0x9a1a, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0).next() < mix.highShare;
  return {
    name: `${high.name}+${low.name}`,
    size: Math.max(high.size, low.size),
    item(i: number): WorkItem {
      return isHigh(i) ? { ...high.item(i), objective: mix.high.objective } : { ...low.item(i), objective: mix.low.objective };
    },
    describe: {
      generator: 'priority-mix',
      seed: mix.seed,
      highShare: mix.highShare,
      [mix.high.objective]: { priority: mix.high.priority, slo: mix.high.slo, workload: high.describe },
      [mix.low.objective]: { priority: mix.low.priority, slo: mix.low.slo, workload: low.describe },
    },
    classes: [mix.high, mix.low],
  };
}
