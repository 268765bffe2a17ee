/**
 * Flow-control policy plugins (upstream `fwkfc.FairnessPolicy`, `OrderingPolicy`, `UsageLimitPolicy`): what
 * `flowControl` may reference, and the views of queued requests and flows the policies read. The engine that
 * queues and dispatches is src/flowcontrol/.
 */
import type { Plugin } from './plugin.ts';

export type FlowControlRole = 'fairness-policy' | 'ordering-policy' | 'usage-limit-policy';

export interface FlowControlPolicy extends Plugin {
  readonly flowControlRole: FlowControlRole;
}

export function flowControlRole(p: Plugin): FlowControlRole | undefined {
  return (p as Partial<FlowControlPolicy>).flowControlRole;
}

/** A queued request as policies see it. Times are the flow controller's clock (ms). */
export interface QueuedItemView {
  /** Arrival order (unique, increasing). */
  readonly seq: number;
  readonly enqueuedAtMs: number;
  /** When its TTL runs out (enqueue + effective TTL). */
  readonly expiresAtMs: number;
  /** enqueue + x-llm-d-slo-ttft-ms (or its old alias); Infinity when the request has no TTFT objective. */
  readonly sloDeadlineMs: number;
  readonly bytes: number;
  /** Prompt size in tokens (estimated from the body when no tokenizer ran). */
  readonly tokens: number;
}

/** One flow's queue in a band, as a fairness policy sees it. */
export interface FlowQueueView {
  readonly flowId: string;
  readonly length: number;
  /** Free for the band's fairness policy (e.g. a virtual start tag); 0 when the flow is new. */
  fairnessTag: number;
  /** The item the flow's ordering policy would dispatch next; undefined when empty. */
  head(): QueuedItemView | undefined;
}

/** Orders the requests of one flow: `before(a, b)` = a goes first. Must be a strict weak order. */
export interface OrderingPolicy extends FlowControlPolicy {
  readonly flowControlRole: 'ordering-policy';
  before(a: QueuedItemView, b: QueuedItemView): boolean;
}

/** One band's fairness state (policies keep per-band state, e.g. a round-robin cursor or virtual time). */
export interface BandFairness {
  /** Chooses among the band's non-empty flows (never called with none). */
  pick(flows: readonly FlowQueueView[], before: (a: QueuedItemView, b: QueuedItemView) => boolean): FlowQueueView;
  /** The item left `flow` for dispatch. */
  dispatched?(flow: FlowQueueView, item: QueuedItemView): void;
  /** `flow` became non-empty (or was created). */
  activated?(flow: FlowQueueView): void;
}

/** Chooses which flow of a band dispatches next. */
export interface FairnessPolicy extends FlowControlPolicy {
  readonly flowControlRole: 'fairness-policy';
  newBand(): BandFairness;
}

/**
 * Gates dispatch per band as saturation rises (upstream `UsageLimitPolicy.ComputeLimit`): fills `ceilings[i]`
 * for `priorities[i]` (highest first; the buffer arrives filled with 1.0). The controller stops a dispatch
 * cycle at the first band whose ceiling is at or below the pool saturation (head-of-line, as upstream).
 */
export interface UsageLimitPolicy extends FlowControlPolicy {
  readonly flowControlRole: 'usage-limit-policy';
  computeLimit(saturation: number, priorities: readonly number[], ceilings: number[]): void;
  /** Ours: per-flow gating inside a band (a flow whose ceiling is at or below saturation is skipped this cycle). */
  newBand?(): BandUsageLimit;
}

/** One band's per-flow usage-limit state (ours; upstream's policies are per band only). */
export interface BandUsageLimit {
  /** The ceiling for `flow` now: it may dispatch while saturation is below it. */
  flowCeiling(flow: FlowQueueView, nowMs: number): number;
  /** An item of `flow` was dispatched. */
  dispatched(flow: FlowQueueView, item: QueuedItemView, nowMs: number): void;
}
