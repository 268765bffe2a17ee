/**
 * global-strict-fairness-policy (upstream fairness/globalstrict, the default): no fairness; the band behaves as
 * one queue, the flow whose head the ordering policy ranks first goes next. O(flows) per dispatch.
 */
import type { BandFairness, FairnessPolicy, FlowQueueView, QueuedItemView } from '../../../../framework/flowcontrol.ts';

export const GLOBAL_STRICT_FAIRNESS_POLICY_TYPE = 'global-strict-fairness-policy';

const GLOBAL_STRICT: BandFairness = {
  pick(flows: readonly FlowQueueView[], before: (a: QueuedItemView, b: QueuedItemView) => boolean): FlowQueueView {
    let best = flows[0]!;
    let head = best.head()!;
    for (let i = 1; i < flows.length; i++) {
      const h = flows[i]!.head()!;
      if (before(h, head)) {
        best = flows[i]!;
        head = h;
      }
    }
    return best;
  },
};

export function createGlobalStrictFairnessPolicy(name: string): FairnessPolicy {
  return { type: GLOBAL_STRICT_FAIRNESS_POLICY_TYPE, name, flowControlRole: 'fairness-policy', newBand: () => GLOBAL_STRICT };
}
