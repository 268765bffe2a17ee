/**
 * Flow-control policy plugins (upstream `fwkfc.FairnessPolicy`, `OrderingPolicy`, `UsageLimitPolicy`): what
 * `flowControl` may reference. Only the role is defined here; queueing comes with flow control.
 */
import type { Plugin } from './plugin.ts';

export type FlowControlRole = 'fairness-policy' | 'ordering-policy' | 'usage-limit-policy';

export interface FlowControlPolicy extends Plugin {
  readonly flowControlRole: FlowControlRole;
}

export function flowControlRole(p: Plugin): FlowControlRole | undefined {
  return (p as Partial<FlowControlPolicy>).flowControlRole;
}
