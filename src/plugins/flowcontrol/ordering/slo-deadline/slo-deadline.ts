/**
 * slo-deadline-ordering-policy (upstream ordering/slodeadline): earliest TTFT deadline first, deadline = arrival
 * + the request's TTFT objective; requests without one go after those with one, by arrival.
 */
import type { OrderingPolicy, QueuedItemView } from '../../../../framework/flowcontrol.ts';

export const SLO_DEADLINE_ORDERING_POLICY_TYPE = 'slo-deadline-ordering-policy';

function sloBefore(a: QueuedItemView, b: QueuedItemView): boolean {
  return a.sloDeadlineMs < b.sloDeadlineMs || (a.sloDeadlineMs === b.sloDeadlineMs && a.seq < b.seq);
}

export function createSloDeadlineOrderingPolicy(name: string): OrderingPolicy {
  return { type: SLO_DEADLINE_ORDERING_POLICY_TYPE, name, flowControlRole: 'ordering-policy', before: sloBefore };
}
