/** fcfs-ordering-policy (upstream ordering/fcfs): first come, first served within a flow (strict, by arrival). */
import type { OrderingPolicy, QueuedItemView } from '../../../../framework/flowcontrol.ts';

export const FCFS_ORDERING_POLICY_TYPE = 'fcfs-ordering-policy';

export function fcfsBefore(a: QueuedItemView, b: QueuedItemView): boolean {
  return a.seq < b.seq;
}

export function createFcfsOrderingPolicy(name: string): OrderingPolicy {
  return { type: FCFS_ORDERING_POLICY_TYPE, name, flowControlRole: 'ordering-policy', before: fcfsBefore };
}
