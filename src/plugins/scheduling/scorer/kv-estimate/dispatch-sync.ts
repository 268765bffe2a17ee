/**
 * kv-estimate-scorer's dispatches as cross-replica state (framework/synced-state.ts): every replica adds the
 * prompts the others sent to an endpoint to its own estimate, as if it had sent them. A delta is the
 * dispatches since the last one, each with its age at sending time (clocks of two processes do not compare;
 * an age does), so the receiver decays it from when it happened. The terms fade within a few prefillDecay
 * (or reset at the next scrape), so there is nothing to snapshot and nothing to drop when a replica dies.
 */
import type { Clock } from '../../../../framework/clock.ts';
import type { SyncedState } from '../../../../framework/synced-state.ts';

/** [endpoint key, uncached prompt tokens, age ms] */
type Dispatch = [string, number, number];

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class KvDispatchSync implements SyncedState {
  readonly syncKey: string;
  readonly #clock: Clock;
  readonly #apply: (key: string, tokens: number, at: number) => void;
  #keys: string[] = [];
  #tokens: number[] = [];
  #times: number[] = [];

  /** `apply(key, tokens, at)` adds a peer's dispatch made at local time `at`. */
  constructor(syncKey: string, clock: Clock, apply: (key: string, tokens: number, at: number) => void) {
    this.syncKey = syncKey;
    this.#clock = clock;
    this.#apply = apply;
  }

  noteDispatch(key: string, tokens: number, at: number): void {
    this.#keys.push(key);
    this.#tokens.push(tokens);
    this.#times.push(at);
  }

  takeDelta(): Uint8Array | null {
    if (this.#keys.length === 0) return null;
    const now = this.#clock.now();
    const out: Dispatch[] = this.#keys.map((k, i) => [k, this.#tokens[i]!, Math.max(0, Math.round(now - this.#times[i]!))]);
    this.#keys = [];
    this.#tokens = [];
    this.#times = [];
    return utf8.encode(JSON.stringify(out));
  }

  applyDelta(_replica: string, delta: Uint8Array): void {
    const now = this.#clock.now();
    for (const [key, tokens, age] of JSON.parse(fromUtf8.decode(delta)) as Dispatch[]) this.#apply(key, tokens, now - age);
  }

  snapshot(): Uint8Array {
    return EMPTY;
  }

  applySnapshot(_replica: string, _snapshot: Uint8Array): void {}

  dropReplica(_replica: string): void {}
}
