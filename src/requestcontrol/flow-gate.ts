/**
 * The director's side of flow control: whether a request may go now or must wait, and the pending decision a
 * queued request gets instead of a RouteDecision. When the controller dispatches it, the director routes it
 * then (late binding: the endpoint is chosen when it leaves the queue); when it is rejected or evicted, it is
 * answered with upstream's status, x-llm-d-request-dropped-reason and a Retry-After hint.
 */
import type { FlowController } from '../flowcontrol/controller.ts';
import type { QueueOutcome, QueuedRequest } from '../flowcontrol/queued-request.ts';
import { parseDuration } from '../input/duration.ts';
import type { ErrorDecision, RequestDecision } from './decision.ts';
import { EppError, type ErrorCode } from './errors.ts';
import { LaterDecision, type PendingDecision } from './later-decision.ts';
import type { RequestContext } from './request-context.ts';

/** The request's own queue TTL (ours; upstream's InitialEffectiveTTL is 0 = the controller default). */
export const HEADER_INFERENCE_TTL = 'x-llm-d-inference-ttl';

export type { PendingDecision } from './later-decision.ts';

export interface Routing {
  fail(ctx: RequestContext, err: EppError): ErrorDecision;
  /** Whether the pool has endpoints at all (a TTL expiry on an empty pool is 503, not 429). */
  hasEndpoints(): boolean;
}

const OUTCOME_ERRORS: Record<Exclude<QueueOutcome, 'dispatched'>, [ErrorCode, string]> = {
  'rejected-capacity': ['QUEUE_FULL', 'flow control queue is full for this priority band'],
  'evicted-ttl': ['QUEUE_TTL', 'request timed out in queue'],
  'evicted-cancelled': ['QUEUE_CANCELLED', 'client disconnected'],
  'evicted-shutdown': ['SHUTTING_DOWN', 'flow controller shutting down'],
};

export class FlowGate {
  readonly controller: FlowController;
  readonly #routing: Routing;

  constructor(controller: FlowController, routing: Routing) {
    this.controller = controller;
    this.#routing = routing;
  }

  /** Nothing waits and the pool has room: route synchronously, no queueing. */
  bypass(): boolean {
    return this.controller.canBypass();
  }

  /** A request was routed: with eviction on, it runs under a lease (a sheddable one may be chosen as a victim). */
  routed(ctx: RequestContext): void {
    const leases = this.controller.inFlight;
    if (leases !== null) ctx.lease = leases.track(ctx.request.priority, () => ctx.evict?.());
  }

  /** A routed request ended (however): its lease goes, exactly once. */
  released(ctx: RequestContext): void {
    const lease = ctx.lease;
    if (lease === null) return;
    ctx.lease = null;
    this.controller.inFlight?.release(lease);
  }

  /** Capacity may have freed (a completion, a scrape): dispatch what can go. */
  poke(): void {
    if (this.controller.size > 0) this.controller.dispatch();
  }

  /**
   * Queues the request; `route` routes it when it is dispatched (the rest of handleRequest), or returns a decision
   * that comes later still (data producers awaited).
   */
  enqueue(ctx: RequestContext, route: () => RequestDecision | PendingDecision): PendingDecision {
    const req = ctx.request;
    const pending = new LaterDecision();
    const ttlHeader = req.headers.get(HEADER_INFERENCE_TTL);
    let item: QueuedRequest | null = null;
    // Until dispatch, cancelling leaves the queue; after it, follow() points cancel() at the awaited data producers.
    pending.whenCancelled(() => item !== null && this.controller.cancel(item));
    item = this.controller.enqueue(
      {
        flowId: req.fairnessId,
        priority: req.priority,
        bytes: req.bodySize,
        // No tokenizer on this path: ~4 bytes a token, as the rest of the picker estimates.
        tokens: Math.ceil(req.bodySize / 4),
        ttlMs: ttlHeader ? requestTtlMs(ttlHeader) : 0,
        sloTtftMs: req.sloTtftMs,
        model: req.model,
        targetModel: req.targetModel,
      },
      (outcome) => (outcome === 'dispatched' ? pending.follow(route()) : pending.settle(this.#reject(ctx, outcome))),
    );
    return pending;
  }

  #reject(ctx: RequestContext, outcome: Exclude<QueueOutcome, 'dispatched'>): ErrorDecision {
    let [code, message] = OUTCOME_ERRORS[outcome];
    // With no endpoints the queue is a scale-from-zero waiting room: expiry or overflow there is unavailability (503).
    if ((outcome === 'evicted-ttl' || outcome === 'rejected-capacity') && !this.#routing.hasEndpoints()) code = 'QUEUE_NO_ENDPOINTS';
    if (code === 'QUEUE_FULL' || code === 'QUEUE_TTL') ctx.response.setHeader('retry-after', String(this.controller.retryAfterSeconds()));
    return this.#routing.fail(ctx, new EppError(code, message));
  }
}

/** x-llm-d-inference-ttl: a Go duration ("30s") or a number of seconds; 0 (ignored) when malformed. */
function requestTtlMs(v: string): number {
  const n = Number(v);
  if (Number.isFinite(n)) return n > 0 ? n * 1000 : 0;
  try {
    return parseDuration(v, HEADER_INFERENCE_TTL);
  } catch {
    return 0;
  }
}
