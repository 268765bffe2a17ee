/**
 * A decision that comes later: a request queued by flow control, or one whose data producers are awaited
 * (awaited-producers.ts). The ext_proc stream waits on it and cancels it when the client goes away.
 */
import type { RequestDecision } from './decision.ts';

/** onDecided runs once (at once if the decision is already known); after cancel() it never runs. */
export interface PendingDecision {
  readonly ok: 'queued';
  onDecided(cb: (decision: RequestDecision) => void): void;
  /** The client went away: stop waiting now (leave the queue, abort the I/O); the decision, if any comes, is dropped. */
  cancel(): void;
}

export class LaterDecision implements PendingDecision {
  readonly ok = 'queued' as const;
  #decision: RequestDecision | null = null;
  #cb: ((d: RequestDecision) => void) | null = null;
  #onCancel: (() => void) | null = null;
  #cancelled = false;

  get cancelled(): boolean {
    return this.#cancelled;
  }

  onDecided(cb: (decision: RequestDecision) => void): void {
    if (this.#decision !== null) cb(this.#decision);
    else if (!this.#cancelled) this.#cb = cb;
  }

  /** What cancel() undoes while the decision is not known (replaces the previous one). */
  whenCancelled(undo: () => void): void {
    this.#onCancel = undo;
  }

  cancel(): void {
    if (this.#cancelled || this.#decision !== null) return;
    this.#cancelled = true;
    this.#cb = null;
    const undo = this.#onCancel;
    this.#onCancel = null;
    undo?.();
  }

  settle(d: RequestDecision): void {
    if (this.#cancelled || this.#decision !== null) return;
    this.#decision = d;
    this.#onCancel = null;
    const cb = this.#cb;
    this.#cb = null;
    cb?.(d);
  }

  /** Settles with `d`, or, when `d` is itself pending, with its decision (a cancel reaches it). */
  follow(d: RequestDecision | PendingDecision): void {
    if (d.ok !== 'queued') return this.settle(d);
    if (this.#cancelled) return d.cancel();
    this.#onCancel = () => d.cancel();
    d.onDecided((x) => this.settle(x));
  }
}
