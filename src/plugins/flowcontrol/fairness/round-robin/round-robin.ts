/**
 * round-robin-fairness-policy (upstream fairness/roundrobin): the band's non-empty flows take turns, one
 * dispatch each, in the order they became non-empty (a flow that empties and returns joins the end).
 */
import type { BandFairness, FairnessPolicy, FlowQueueView } from '../../../../framework/flowcontrol.ts';

export const ROUND_ROBIN_FAIRNESS_POLICY_TYPE = 'round-robin-fairness-policy';

/** fairnessTag = the turn a flow last had (or joined at): the smallest goes next. */
class RoundRobinBand implements BandFairness {
  #turn = 0;
  pick(flows: readonly FlowQueueView[]): FlowQueueView {
    let best = flows[0]!;
    for (let i = 1; i < flows.length; i++) if (flows[i]!.fairnessTag < best.fairnessTag) best = flows[i]!;
    return best;
  }
  dispatched(flow: FlowQueueView): void {
    flow.fairnessTag = ++this.#turn;
  }
  activated(flow: FlowQueueView): void {
    flow.fairnessTag = ++this.#turn;
  }
}

export function createRoundRobinFairnessPolicy(name: string): FairnessPolicy {
  return { type: ROUND_ROBIN_FAIRNESS_POLICY_TYPE, name, flowControlRole: 'fairness-policy', newBand: () => new RoundRobinBand() };
}
