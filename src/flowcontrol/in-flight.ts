/**
 * The requests flow control let through and that are still running (upstream pkg/epp/flowcontrol/eviction:
 * EvictionQueue + RequestEvictor). Every routed request holds a lease until its stream ends; sheddable ones
 * (priority < 0, upstream's sheddable-eviction-filter) also sit in a victim heap ordered lowest priority first,
 * then newest dispatch first (upstream's priority-then-time-eviction-order-policy: least KV-cache invested).
 * Track, release and evict are O(log n); a lease is released exactly once.
 */
import { IndexedHeap } from './heap.ts';

export class InFlightLease {
  readonly priority: number;
  /** Dispatch order: a larger seq was dispatched later. */
  readonly seq: number;
  /** Ends the request's stream with the eviction answer (the ext_proc stream's). */
  readonly terminate: () => void;
  /** Position in the victim heap; -1 when not in it. */
  victimIndex = -1;
  released = false;
  /** Eviction was issued: its release confirms the revocation. */
  evicted = false;

  constructor(priority: number, seq: number, terminate: () => void) {
    this.priority = priority;
    this.seq = seq;
    this.terminate = terminate;
  }
}

export class InFlightLeases {
  readonly #victims = new IndexedHeap<InFlightLease>(
    (a, b) => a.priority < b.priority || (a.priority === b.priority && a.seq > b.seq),
    (l) => l.victimIndex,
    (l, i) => {
      l.victimIndex = i;
    },
  );
  #seq = 0;
  #inFlight = 0;
  /** Called once per evicted lease when its stream has ended (the reclamation's confirmation). */
  onEvictedReleased: ((lease: InFlightLease) => void) | null = null;

  /** Requests running, and how many of them may be evicted. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get evictable(): number {
    return this.#victims.size;
  }

  /** A request was routed; `terminate` ends its stream if it is chosen as a victim. */
  track(priority: number, terminate: () => void): InFlightLease {
    const lease = new InFlightLease(priority, ++this.#seq, terminate);
    this.#inFlight++;
    if (priority < 0) this.#victims.push(lease);
    return lease;
  }

  /** The request's stream ended (however); later calls do nothing. */
  release(lease: InFlightLease): void {
    if (lease.released) return;
    lease.released = true;
    this.#victims.remove(lease);
    if (!lease.evicted) this.#inFlight--;
    else this.onEvictedReleased?.(lease);
  }

  /** The priority of the next victim; undefined when nothing is evictable. */
  peekVictimPriority(): number | undefined {
    return this.#victims.peek()?.priority;
  }

  /**
   * Evicts up to `n` victims in order, stopping at the first whose priority is not strictly below `priorityBound`
   * (no victim at or above the demand's band). An evicted lease leaves the in-flight count at once, as upstream's
   * PopN untracks it. Returns the leases chosen; the caller terminates them once it has recorded them (a stream
   * may end synchronously, and its release confirms the eviction).
   */
  evictN(n: number, priorityBound: number): InFlightLease[] {
    const out: InFlightLease[] = [];
    while (out.length < n) {
      const lease = this.#victims.peek();
      if (lease === undefined || lease.priority >= priorityBound) break;
      this.#victims.remove(lease);
      lease.evicted = true;
      this.#inFlight--;
      out.push(lease);
    }
    return out;
  }
}
