/**
 * The director's side of RequestHolder (a producer that places a window of requests jointly, e.g.
 * burst-prefix-cache-producer): a held request gets a PendingDecision; when its window is decided the rest of
 * the request path runs (flow control, then routing) and the decision it makes is the pending one's.
 */
import type { Endpoint } from '../framework/endpoint.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { RequestHolder } from '../framework/requestcontrol.ts';
import type { RequestDecision } from './decision.ts';
import type { PendingDecision } from './flow-gate.ts';

class Held implements PendingDecision {
  readonly ok = 'queued' as const;
  #decision: RequestDecision | null = null;
  #cb: ((d: RequestDecision) => void) | null = null;
  #cancelled = false;
  /** The flow-control wait the request went on to, if any. */
  #next: PendingDecision | null = null;
  readonly #holder: RequestHolder;
  readonly #request: LLMRequest;
  constructor(holder: RequestHolder, request: LLMRequest) {
    this.#holder = holder;
    this.#request = request;
  }
  get cancelled(): boolean {
    return this.#cancelled;
  }
  onDecided(cb: (decision: RequestDecision) => void): void {
    if (this.#decision !== null) cb(this.#decision);
    else this.#cb = cb;
  }
  cancel(): void {
    this.#cancelled = true;
    this.#cb = null;
    if (this.#next !== null) this.#next.cancel();
    else this.#holder.unhold(this.#request);
  }
  settle(d: RequestDecision | PendingDecision): void {
    if (d.ok === 'queued') {
      this.#next = d;
      d.onDecided((final) => this.settle(final));
      return;
    }
    this.#decision = d;
    const cb = this.#cb;
    this.#cb = null;
    cb?.(d);
  }
}

/**
 * Asks each holder in turn; returns null when none holds the request, else its pending decision, settled
 * with what `proceed` decides once the window is released.
 */
export function holdRequest(
  holders: readonly RequestHolder[],
  request: LLMRequest,
  candidates: readonly Endpoint[],
  proceed: () => RequestDecision | PendingDecision,
): PendingDecision | null {
  for (const holder of holders) {
    const held = new Held(holder, request);
    if (holder.hold(request, candidates, () => (held.cancelled ? undefined : held.settle(proceed())))) return held;
  }
  return null;
}
