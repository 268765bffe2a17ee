/**
 * When in-flight eviction fires and how many leases it revokes (upstream controller/internal/reclamation.go,
 * flowControl.enableEviction). Triggered by the dispatch cycle when a band with queued requests is blocked by
 * saturation and the next victim's priority is strictly below that band's:
 *   - sizing: n = max(1, ceil((saturation - ceiling - pendingReclaim) / (saturation / inFlight))), capped at
 *     maxPerDecision and at the evictable count; victims strictly below the demand band only;
 *   - pacing: stop-and-wait. A new decision runs only when every revocation issued before is confirmed (its
 *     stream ended, or timeoutMs passed) and graceMs has passed since, so the saturation signal has seen it.
 */
import type { Clock } from '../framework/clock.ts';
import { InFlightLeases, type InFlightLease } from './in-flight.ts';

export interface ReclamationSettings {
  /** Upstream defaultMaxRevocationsPerDecision: 2. */
  readonly maxPerDecision: number;
  /** Upstream defaultEvictionConfirmationGrace: 500 ms. */
  readonly graceMs: number;
  /** Upstream defaultEvictionConfirmationTimeout: 10 s. */
  readonly timeoutMs: number;
}

export const DEFAULT_RECLAMATION: ReclamationSettings = { maxPerDecision: 2, graceMs: 500, timeoutMs: 10_000 };

interface Revocation {
  readonly credit: number;
  readonly issuedAtMs: number;
}

interface CoolingDebit {
  readonly credit: number;
  readonly expiresAtMs: number;
}

/** How a revocation ended (upstream's outcome label values). */
export type RevocationOutcome = 'confirmed' | 'timed_out';

/**
 * Metrics hooks: a decision revoked `count` leases for a band of `demandPriority`; one revocation ended; a
 * decision's deficit (saturation - ceiling); the pending-reclaim debit after it grew or shrank.
 */
export interface ReclamationObserver {
  revoked(count: number, demandPriority: number): void;
  revocationEnded(outcome: RevocationOutcome): void;
  reclaimTargetIs?(target: number): void;
  pendingReclaimIs?(pending: number): void;
}

export class Reclamation {
  readonly leases: InFlightLeases;
  readonly #clock: Clock;
  readonly #s: ReclamationSettings;
  readonly #outstanding = new Map<InFlightLease, Revocation>();
  #cooling: CoolingDebit[] = [];
  #pendingReclaim = 0;
  readonly #observer: ReclamationObserver | null;

  constructor(clock: Clock, settings: ReclamationSettings = DEFAULT_RECLAMATION, observer: ReclamationObserver | null = null, leases = new InFlightLeases()) {
    this.#clock = clock;
    this.#s = settings;
    this.#observer = observer;
    this.leases = leases;
    leases.onEvictedReleased = (lease) => this.#confirm(lease);
  }

  /** Whether a new decision may run: nothing outstanding, nothing cooling (timed-out and expired ones retired). */
  gateOpen(): boolean {
    const now = this.#clock.now();
    for (const [lease, r] of this.#outstanding) {
      if (now - r.issuedAtMs < this.#s.timeoutMs) continue;
      // A stream that never ends must not hold the gate closed forever.
      this.#outstanding.delete(lease);
      this.#cool(r, now);
      this.#observer?.revocationEnded('timed_out');
    }
    if (this.#cooling.length > 0) {
      const before = this.#cooling.length;
      this.#cooling = this.#cooling.filter((d) => {
        if (now < d.expiresAtMs) return true;
        this.#pendingReclaim = Math.max(0, this.#pendingReclaim - d.credit);
        return false;
      });
      if (this.#cooling.length < before) this.#observer?.pendingReclaimIs?.(this.#pendingReclaim);
    }
    return this.#outstanding.size === 0 && this.#cooling.length === 0;
  }

  victimPriority(): number | undefined {
    return this.leases.peekVictimPriority();
  }

  /** One sizing decision for a band of `demandPriority` blocked at `ceiling`; returns how many it evicted. */
  reclaim(saturation: number, ceiling: number, demandPriority: number): number {
    const { inFlight, evictable } = this.leases;
    if (inFlight <= 0 || evictable <= 0) return 0;
    const credit = saturation / inFlight;
    if (!(credit > 0) || !Number.isFinite(credit)) return 0;
    const target = saturation - ceiling;
    this.#observer?.reclaimTargetIs?.(target);
    const net = target - this.#pendingReclaim;
    if (net < 0 || (net === 0 && this.#pendingReclaim > 0)) return 0;
    // Dispatch needs saturation strictly below the ceiling: at the boundary the quotient is 0, so take one.
    const n = Math.min(Math.max(1, Math.ceil(net / credit)), this.#s.maxPerDecision, evictable);
    const victims = this.leases.evictN(n, demandPriority);
    const now = this.#clock.now();
    for (const lease of victims) {
      this.#outstanding.set(lease, { credit, issuedAtMs: now });
      this.#pendingReclaim += credit;
    }
    if (victims.length > 0) this.#observer?.revoked(victims.length, demandPriority);
    this.#observer?.pendingReclaimIs?.(this.#pendingReclaim);
    for (const lease of victims) lease.terminate();
    return victims.length;
  }

  #confirm(lease: InFlightLease): void {
    const r = this.#outstanding.get(lease);
    if (r === undefined) return; // already retired by the timeout
    this.#outstanding.delete(lease);
    this.#cool(r, this.#clock.now());
    this.#observer?.revocationEnded('confirmed');
  }

  /** The stream is gone but the freed capacity is not yet visible in the signal: the debit holds for graceMs. */
  #cool(r: Revocation, now: number): void {
    this.#cooling.push({ credit: r.credit, expiresAtMs: now + this.#s.graceMs });
  }
}
