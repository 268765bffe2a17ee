/** The one timer the flow controller arms (its next TTL expiry): real in production, by hand in tests. */
import type { Clock } from '../framework/clock.ts';

export interface TimerHost {
  /** Calls `fn` once after `delayMs`; returns a handle for cancel. */
  set(fn: () => void, delayMs: number): unknown;
  cancel(handle: unknown): void;
}

export const realTimers: TimerHost = {
  set: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)).unref(),
  cancel: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A clock and timers a test moves by hand: advance() fires what falls due, in time order. */
interface ManualTimer {
  at: number;
  fn: () => void;
  live: boolean;
}

export class ManualTimers implements TimerHost, Clock {
  #t: number;
  #timers: ManualTimer[] = [];
  constructor(start = 0) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  set(fn: () => void, delayMs: number): unknown {
    const t: ManualTimer = { at: this.#t + Math.max(0, delayMs), fn, live: true };
    this.#timers.push(t);
    return t;
  }
  cancel(handle: unknown): void {
    (handle as { live: boolean }).live = false;
  }
  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }
  advance(ms: number): void {
    const end = this.#t + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => t.live);
      let next: ManualTimer | undefined;
      for (const t of this.#timers) if (t.at <= end && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      this.#t = Math.max(this.#t, next.at);
      next.live = false;
      next.fn();
    }
    this.#t = end;
  }
}
