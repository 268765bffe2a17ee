/** edf-ordering-policy (upstream ordering/edf): earliest deadline first, deadline = enqueue + effective TTL; ties by arrival. */
import type { OrderingPolicy, QueuedItemView } from '../../../../framework/flowcontrol.ts';

export const EDF_ORDERING_POLICY_TYPE = 'edf-ordering-policy';

function edfBefore(a: QueuedItemView, b: QueuedItemView): boolean {
  return a.expiresAtMs < b.expiresAtMs || (a.expiresAtMs === b.expiresAtMs && a.seq < b.seq);
}

export function createEdfOrderingPolicy(name: string): OrderingPolicy {
  return { type: EDF_ORDERING_POLICY_TYPE, name, flowControlRole: 'ordering-policy', before: edfBefore };
}
