/** Exponential backoff with jitter for reconnects, and an abortable sleep so `stop()` never waits it out. */
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** First delay in ms. */
  initialMs?: number;
  /** Upper bound in ms. */
  maxMs?: number;
  /** Fraction of the delay added at random, so replicas do not reconnect in lockstep. */
  jitter?: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: number;
  #attempt = 0;
  #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.jitter = options.jitter ?? 0.2;
    this.#random = random;
  }

  /** The next delay: initial x 2^attempt, capped, plus up to `jitter` of itself. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.min(this.maxMs, base * (1 + this.jitter * this.#random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks its own stopped flag
  }
}
