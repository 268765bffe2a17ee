/**
 * The flow controller (upstream pkg/epp/flowcontrol): requests that cannot go to the pool now wait here, in
 * priority bands, one queue per flow. Dispatch is strictly by band (highest first), then the band's fairness
 * policy picks a flow, then the flow's ordering policy its head. Nothing polls: dispatch() runs when something
 * may have freed capacity (a request completed, a scrape landed, a request arrived), and one timer, armed for
 * the earliest TTL in an expiry heap, evicts what waited too long. Every queued request costs O(log n).
 */
import type { Clock } from '../framework/clock.ts';
import type { UsageLimitPolicy } from '../framework/flowcontrol.ts';
import { Band, type BandSettings } from './band.ts';
import { IndexedHeap } from './heap.ts';
import { QueuedRequest, type EnqueueInput, type QueueOutcome } from './queued-request.ts';
import type { InFlightLeases } from './in-flight.ts';
import type { Reclamation } from './reclamation.ts';
import type { TimerHost } from './timers.ts';

export interface FlowControllerOptions {
  clock: Clock;
  timers: TimerHost;
  /** Whether the pool can take one more request now (the saturation detector says it is below 1). */
  canDispatch: () => boolean;
  /** The band settings for a priority (explicit band, else the default or default-negative template). */
  bandSettings: (priority: number) => BandSettings;
  /** Across all bands (upstream's top-level maxRequests / maxBytes). */
  maxRequests: number;
  maxBytes: number;
  /** defaultRequestTTL (ms); each request waits at most the least of this, its band's and its own TTL. */
  defaultTtlMs: number;
  observer?: FlowControlObserver | undefined;
  /**
   * usageLimitPolicyPluginRef: per-band (and, ours, per-flow) ceilings against `saturation`. Unset = upstream's
   * default static policy at 1.0, which gates nothing beyond canDispatch.
   */
  usageLimit?: UsageLimitPolicy | undefined;
  /** The pool's saturation (the detector's figure) for the usage limit; canDispatch() is `saturation() < 1`. */
  saturation?: (() => number) | undefined;
  /** Whether the pool has endpoints at all; unset = always. While it has none, noEndpointTtlMs is the budget. */
  hasEndpoints?: (() => boolean) | undefined;
  /** noEndpointRequestTTL (ms; 0 = wait until an endpoint appears): replaces every TTL while the pool is empty. */
  noEndpointTtlMs?: number | undefined;
  /** flowControl.enableEviction: blocked bands may evict sheddable in-flight requests (unset = never). */
  reclamation?: Reclamation | undefined;
}

/** Metrics hooks: a request entered, and left with an outcome after waiting `waitedMs`. */
export interface FlowControlObserver {
  enqueued(item: QueuedRequest): void;
  left(item: QueuedRequest, outcome: QueueOutcome, waitedMs: number): void;
  /** enqueue() returned after `seconds` (CPU time; the item's outcome is set if it is already decided). */
  enqueueTook?(item: QueuedRequest, seconds: number): void;
  /** One dispatch() run took `seconds`. */
  dispatchCycleTook?(seconds: number): void;
}

export class FlowController {
  readonly #o: FlowControllerOptions;
  /** Highest priority first. */
  readonly #bands: Band[] = [];
  readonly #byPriority = new Map<number, Band>();
  readonly #expiry = new IndexedHeap<QueuedRequest>(
    (a, b) => a.evictAtMs < b.evictAtMs || (a.evictAtMs === b.evictAtMs && a.seq < b.seq),
    (r) => r.expiryIndex,
    (r, i) => {
      r.expiryIndex = i;
    },
  );
  #seq = 0;
  #requests = 0;
  #bytes = 0;
  #timer: unknown = null;
  #timerAt = Infinity;
  #dispatching = false;
  #again = false;
  /** Dispatches per second, smoothed: the Retry-After hint. */
  #rate = 0;
  #lastDispatchAt = -1;
  /** The bands' priorities and ceilings, highest first, reused across cycles. */
  readonly #priorities: number[] = [];
  readonly #ceilings: number[] = [];
  /** The pool's regime (upstream regimeSample): whether it has no endpoints, and since when. */
  #empty = false;
  #regimeSince = -Infinity;

  constructor(options: FlowControllerOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#requests;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The routed requests eviction may choose from; null unless flowControl.enableEviction. */
  get inFlight(): InFlightLeases | null {
    return this.#o.reclamation?.leases ?? null;
  }

  /** Requests waiting in the band of `priority` (0 when it has none). */
  bandSize(priority: number): number {
    return this.#byPriority.get(priority)?.requests ?? 0;
  }

  /**
   * Nothing waits and the pool has room: the request may go at once, without queueing. Never under a usage-limit
   * policy: its ceilings (per band, per flow) decide, so every request goes through enqueue(), which dispatches
   * synchronously when they allow (as upstream, where every request passes the controller).
   */
  canBypass(): boolean {
    return this.#requests === 0 && this.#o.usageLimit === undefined && this.#o.canDispatch();
  }

  /**
   * Queues a request; `onOutcome` is called exactly once (possibly synchronously, from this call: a capacity
   * rejection, or a dispatch when the pool has room). Returns the item, for cancel().
   */
  enqueue(input: EnqueueInput, onOutcome: (outcome: QueueOutcome, item: QueuedRequest) => void): QueuedRequest {
    const obs = this.#o.observer;
    if (obs?.enqueueTook === undefined) return this.#enqueue(input, onOutcome);
    const t0 = performance.now();
    const item = this.#enqueue(input, onOutcome);
    obs.enqueueTook(item, (performance.now() - t0) / 1000);
    return item;
  }

  #enqueue(input: EnqueueInput, onOutcome: (outcome: QueueOutcome, item: QueuedRequest) => void): QueuedRequest {
    const now = this.#o.clock.now();
    this.#sampleRegime(now);
    const band = this.#band(input.priority);
    const ttl = leastTtl(this.#o.defaultTtlMs, band.settings.ttlMs, input.ttlMs);
    const item = new QueuedRequest(++this.#seq, now, ttl, input, onOutcome);
    if (this.#empty) item.evictAtMs = this.#evictAt(item);
    if (!band.fits(item.bytes) || !this.#globalRoom(item)) {
      this.#finish(item, 'rejected-capacity', now);
      return item;
    }
    band.add(item);
    item.queued = true;
    this.#requests++;
    this.#bytes += item.bytes;
    this.#expiry.push(item);
    this.#o.observer?.enqueued(item);
    this.#arm();
    this.dispatch();
    return item;
  }

  /** The client went away: the request leaves the queue now. No-op once it has an outcome. */
  cancel(item: QueuedRequest): void {
    if (item.outcome !== null) return;
    this.#take(item);
    this.#finish(item, 'evicted-cancelled', this.#o.clock.now());
    this.#arm();
  }

  /** Dispatches while the pool has room. Re-entrant calls (from an outcome callback) fold into the running one. */
  dispatch(): void {
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    this.#sampleRegime(this.#o.clock.now());
    const timed = this.#o.observer?.dispatchCycleTook !== undefined && this.#requests > 0;
    const t0 = timed ? performance.now() : 0;
    try {
      do {
        this.#again = false;
        while (this.#requests > 0 && this.#o.canDispatch()) {
          const item = this.#next();
          if (item === undefined) break;
          this.#requests--;
          this.#bytes -= item.bytes;
          this.#expiry.remove(item);
          const now = this.#o.clock.now();
          this.#countDispatch(now);
          this.#finish(item, 'dispatched', now);
        }
        // Inside the loop: a victim whose stream ends at once frees room this cycle may already use.
        if (this.#requests > 0 && this.#o.reclamation !== undefined) this.#reclaimIfBlocked(this.#o.reclamation);
      } while (this.#again);
    } finally {
      this.#dispatching = false;
    }
    if (timed) this.#o.observer!.dispatchCycleTook!((performance.now() - t0) / 1000);
    this.#arm();
  }

  /** Evicts everything still waiting (shutdown). */
  close(): void {
    const now = this.#o.clock.now();
    for (let item = this.#expiry.peek(); item !== undefined; item = this.#expiry.peek()) {
      this.#take(item);
      this.#finish(item, 'evicted-shutdown', now);
    }
    this.#arm();
  }

  /** Seconds a client should wait before retrying: the queue's length over the recent dispatch rate, 1..60. */
  retryAfterSeconds(): number {
    if (this.#rate <= 0) return 1;
    return Math.min(60, Math.max(1, Math.ceil(this.#requests / this.#rate)));
  }

  /**
   * Whether the global bounds take `item`. When they are full, sheddable (negative-priority) requests below its
   * priority give way first, lowest band first: each is rejected with rejected-capacity, as if it had arrived last.
   */
  #globalRoom(item: QueuedRequest): boolean {
    const fits = () => this.#requests + 1 <= this.#o.maxRequests && this.#bytes + item.bytes <= this.#o.maxBytes;
    for (let i = this.#bands.length - 1; i >= 0 && !fits(); i--) {
      const band = this.#bands[i]!;
      if (band.priority >= 0 || band.priority >= item.priority) break;
      while (band.requests > 0 && !fits()) {
        const victim = band.take()!;
        this.#requests--;
        this.#bytes -= victim.bytes;
        this.#expiry.remove(victim);
        this.#finish(victim, 'rejected-capacity', item.enqueuedAtMs);
      }
    }
    return fits();
  }

  #next(): QueuedRequest | undefined {
    if (this.#o.usageLimit !== undefined) return this.#nextUnderLimit(this.#o.usageLimit);
    for (const band of this.#bands) if (band.requests > 0) return band.take();
    return undefined;
  }

  /**
   * Upstream's dispatch cycle (processor.go dispatchCycle): one ComputeLimit per cycle over every band, then the
   * first band with work dispatches; a band whose ceiling is at or below saturation stops the cycle
   * (head-of-line: lower bands do not take the room it was denied). Ours: a band none of whose flows is open
   * stops it too.
   */
  #nextUnderLimit(limit: UsageLimitPolicy): QueuedRequest | undefined {
    const saturation = this.#o.saturation?.() ?? 0;
    const ceilings = this.#computeCeilings(saturation, limit);
    const now = this.#o.clock.now();
    for (let i = 0; i < ceilings.length; i++) {
      if (saturation >= ceilings[i]!) return undefined;
      const band = this.#bands[i]!;
      if (band.requests === 0) continue;
      return band.takeGated(saturation, now);
    }
    return undefined;
  }

  /** Every band's ceiling for this cycle, highest band first: the usage limit's, else upstream's static 1.0. */
  #computeCeilings(saturation: number, limit: UsageLimitPolicy | undefined): readonly number[] {
    const n = this.#bands.length;
    const priorities = this.#priorities;
    const ceilings = this.#ceilings;
    priorities.length = n;
    ceilings.length = n;
    for (let i = 0; i < n; i++) {
      priorities[i] = this.#bands[i]!.priority;
      ceilings[i] = 1;
    }
    limit?.computeLimit(saturation, priorities, ceilings);
    return ceilings;
  }

  /**
   * Upstream maybeReclaim: the pacing gate first (cheap), then the highest band with queued requests that
   * saturation blocks, whose priority is strictly above the next victim's (no same-band churn), asks for
   * reclamation. A zero ceiling is a policy that the band never dispatches: no eviction can help it.
   */
  #reclaimIfBlocked(r: Reclamation): void {
    if (!r.gateOpen()) return;
    const victim = r.victimPriority();
    if (victim === undefined) return;
    const saturation = this.#o.saturation?.() ?? (this.#o.canDispatch() ? 0 : 1);
    const ceilings = this.#computeCeilings(saturation, this.#o.usageLimit);
    for (let i = 0; i < ceilings.length; i++) {
      const band = this.#bands[i]!;
      if (band.priority <= victim) return;
      const ceiling = ceilings[i]!;
      if (ceiling <= 0 || saturation < ceiling || band.requests === 0) continue;
      r.reclaim(saturation, ceiling, band.priority);
      return;
    }
  }

  #take(item: QueuedRequest): void {
    if (item.expiryIndex < 0) return;
    this.#expiry.remove(item);
    this.#byPriority.get(item.priority)?.remove(item);
    this.#requests--;
    this.#bytes -= item.bytes;
  }

  #finish(item: QueuedRequest, outcome: QueueOutcome, now: number): void {
    item.outcome = outcome;
    item.flow = null;
    this.#o.observer?.left(item, outcome, now - item.enqueuedAtMs);
    item.onOutcome(outcome, item);
  }

  #band(priority: number): Band {
    let band = this.#byPriority.get(priority);
    if (band !== undefined) return band;
    band = new Band(priority, this.#o.bandSettings(priority));
    band.usageLimit = this.#o.usageLimit?.newBand?.() ?? null;
    this.#byPriority.set(priority, band);
    let i = 0;
    while (i < this.#bands.length && this.#bands[i]!.priority > priority) i++;
    this.#bands.splice(i, 0, band);
    return band;
  }

  /**
   * Notices the pool gaining or losing its last endpoint: each regime change starts a fresh budget for every
   * queued request (upstream isExpired), so their eviction times are recomputed (O(n log n), on a rare event).
   */
  #sampleRegime(now: number): void {
    const empty = this.#o.hasEndpoints !== undefined && !this.#o.hasEndpoints();
    if (empty === this.#empty) return;
    this.#empty = empty;
    this.#regimeSince = now;
    const items: QueuedRequest[] = [];
    for (let item = this.#expiry.pop(); item !== undefined; item = this.#expiry.pop()) items.push(item);
    for (const item of items) {
      item.evictAtMs = this.#evictAt(item);
      this.#expiry.push(item);
    }
  }

  #evictAt(item: QueuedRequest): number {
    const budget = this.#empty ? this.#o.noEndpointTtlMs ?? item.ttlMs : item.ttlMs;
    if (!(budget > 0) || budget === Infinity) return Infinity;
    return Math.max(item.enqueuedAtMs, this.#regimeSince) + budget;
  }

  /** Keeps the single timer armed for the earliest expiry (re-armed only when that moves). */
  #arm(): void {
    const at = this.#expiry.peek()?.evictAtMs ?? Infinity;
    if (at === this.#timerAt) return;
    if (this.#timer !== null) this.#o.timers.cancel(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Infinity) return;
    this.#timer = this.#o.timers.set(() => this.#expire(), at - this.#o.clock.now());
  }

  #expire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = this.#o.clock.now();
    this.#sampleRegime(now);
    for (let item = this.#expiry.peek(); item !== undefined && item.evictAtMs <= now; item = this.#expiry.peek()) {
      this.#take(item);
      this.#finish(item, 'evicted-ttl', now);
    }
    this.#arm();
  }

  #countDispatch(now: number): void {
    if (this.#lastDispatchAt >= 0) {
      const gap = Math.max(now - this.#lastDispatchAt, 0.001);
      this.#rate = this.#rate === 0 ? 1000 / gap : 0.9 * this.#rate + 0.1 * (1000 / gap);
    }
    this.#lastDispatchAt = now;
  }
}

/** The least of the positive TTLs (0 = unset); Infinity when none is set. */
function leastTtl(a: number, b: number, c: number): number {
  let t = Infinity;
  if (a > 0) t = a;
  if (b > 0 && b < t) t = b;
  if (c > 0 && c < t) t = c;
  return t;
}
