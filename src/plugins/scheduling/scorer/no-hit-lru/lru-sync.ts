/**
 * no-hit-lru-scorer's LRU order as cross-replica state (framework/synced-state.ts): the endpoints this
 * replica sent cold requests to, in order, are touched on the peers too, so every replica spreads cold
 * requests over the endpoints that least recently got one from any replica. A snapshot is the LRU oldest
 * first (touched in that order, a joiner gets the same order). Touches outlive their sender: dropReplica
 * keeps them.
 */
import type { SyncedState } from '../../../../framework/synced-state.ts';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class LruSync implements SyncedState {
  readonly syncKey: string;
  readonly #touch: (key: string) => void;
  readonly #keys: () => string[];
  #touched: string[] = [];

  constructor(syncKey: string, touch: (key: string) => void, keys: () => string[]) {
    this.syncKey = syncKey;
    this.#touch = touch;
    this.#keys = keys;
  }

  noteTouch(key: string): void {
    this.#touched.push(key);
  }

  takeDelta(): Uint8Array | null {
    if (this.#touched.length === 0) return null;
    const out = utf8.encode(JSON.stringify(this.#touched));
    this.#touched = [];
    return out;
  }

  applyDelta(_replica: string, delta: Uint8Array): void {
    for (const key of JSON.parse(fromUtf8.decode(delta)) as string[]) this.#touch(key);
  }

  snapshot(): Uint8Array {
    return utf8.encode(JSON.stringify(this.#keys()));
  }

  applySnapshot(replica: string, snapshot: Uint8Array): void {
    this.applyDelta(replica, snapshot);
  }

  dropReplica(_replica: string): void {}
}
