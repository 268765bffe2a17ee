/** Time source in milliseconds. Injected so tests advance time themselves instead of sleeping. */
export interface Clock {
  now(): number;
}

/** Monotonic wall-clock-free time (performance.now), immune to NTP steps. */
export const systemClock: Clock = { now: () => performance.now() };

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start = 0) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}
