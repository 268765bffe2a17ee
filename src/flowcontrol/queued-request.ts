/** A request waiting in the flow controller, and how its wait ended. */
import type { QueuedItemView } from '../framework/flowcontrol.ts';
import type { Flow } from './flow.ts';

export type QueueOutcome = 'dispatched' | 'rejected-capacity' | 'evicted-ttl' | 'evicted-cancelled' | 'evicted-shutdown';

export interface EnqueueInput {
  readonly flowId: string;
  readonly priority: number;
  readonly bytes: number;
  readonly tokens: number;
  /** The request's own TTL (x-llm-d-inference-ttl), 0 = none. */
  readonly ttlMs: number;
  /** Its TTFT objective, 0 = none. */
  readonly sloTtftMs: number;
  /** For metric labels only. */
  readonly model: string;
  readonly targetModel: string;
}

export class QueuedRequest implements QueuedItemView {
  readonly seq: number;
  readonly enqueuedAtMs: number;
  /** enqueue + effective TTL (what ordering policies see; fixed). */
  readonly expiresAtMs: number;
  /** The effective TTL (ms; Infinity = none). */
  readonly ttlMs: number;
  /**
   * When the controller evicts it: the budget in force for the pool's regime (this TTL while the pool has
   * endpoints, noEndpointRequestTTL while it has none), charged from the later of enqueue and the last regime change.
   */
  evictAtMs: number;
  readonly sloDeadlineMs: number;
  readonly bytes: number;
  readonly tokens: number;
  readonly priority: number;
  readonly flowId: string;
  readonly model: string;
  readonly targetModel: string;
  /** Position in its flow's heap and in the controller's expiry heap (owned by the heaps). */
  flowIndex = -1;
  expiryIndex = -1;
  flow: Flow | null = null;
  outcome: QueueOutcome | null = null;
  /** It entered a queue (false for a request rejected at the door): whether it counted in the queue gauges. */
  queued = false;
  readonly onOutcome: (outcome: QueueOutcome, item: QueuedRequest) => void;

  constructor(seq: number, now: number, ttlMs: number, input: EnqueueInput, onOutcome: (outcome: QueueOutcome, item: QueuedRequest) => void) {
    this.seq = seq;
    this.enqueuedAtMs = now;
    this.expiresAtMs = now + ttlMs;
    this.ttlMs = ttlMs;
    this.evictAtMs = this.expiresAtMs;
    this.sloDeadlineMs = input.sloTtftMs > 0 ? now + input.sloTtftMs : Infinity;
    this.bytes = input.bytes;
    this.tokens = input.tokens;
    this.priority = input.priority;
    this.flowId = input.flowId;
    this.model = input.model;
    this.targetModel = input.targetModel;
    this.onOutcome = onOutcome;
  }
}
