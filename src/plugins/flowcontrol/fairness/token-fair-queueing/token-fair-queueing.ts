/**
 * token-fair-queueing-policy (ours): weighted fair queueing in prompt tokens, not requests (start-time fair
 * queueing). Each flow carries a virtual start tag; the flow with the least goes next and its tag grows by the
 * tokens it sent, so a tenant of long prompts gets the same token share as one of short prompts, not the same
 * request count. A flow that (re)joins starts at the band's virtual time: idle time earns no credit.
 */
import type { BandFairness, FairnessPolicy, FlowQueueView, QueuedItemView } from '../../../../framework/flowcontrol.ts';

export const TOKEN_FAIR_QUEUEING_POLICY_TYPE = 'token-fair-queueing-policy';

class TokenFairBand implements BandFairness {
  /** The start tag of the last dispatch: where a joining flow begins. */
  #virtualTime = 0;
  pick(flows: readonly FlowQueueView[], before: (a: QueuedItemView, b: QueuedItemView) => boolean): FlowQueueView {
    let best = flows[0]!;
    for (let i = 1; i < flows.length; i++) {
      const f = flows[i]!;
      if (f.fairnessTag < best.fairnessTag || (f.fairnessTag === best.fairnessTag && before(f.head()!, best.head()!))) best = f;
    }
    return best;
  }
  dispatched(flow: FlowQueueView, item: QueuedItemView): void {
    this.#virtualTime = flow.fairnessTag;
    flow.fairnessTag += Math.max(1, item.tokens);
  }
  activated(flow: FlowQueueView): void {
    flow.fairnessTag = Math.max(flow.fairnessTag, this.#virtualTime);
  }
}

export function createTokenFairQueueingPolicy(name: string): FairnessPolicy {
  return { type: TOKEN_FAIR_QUEUEING_POLICY_TYPE, name, flowControlRole: 'fairness-policy', newBand: () => new TokenFairBand() };
}
