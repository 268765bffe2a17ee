/**
 * In-flight load as cross-replica state (framework/synced-state.ts). Each endpoint's Counters keep this
 * replica's own requests apart from the sum of what peers reported; readers see the total. A delta is the
 * replica's own absolute counts for the endpoints that changed since the last one (a lost delta heals at the
 * next change), a snapshot every replica's counts as this replica knows them; dropReplica subtracts a dead
 * peer's counts, so its in-flight requests stop loading the servers when it stops heartbeating.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { InflightLoad } from '../../../../framework/data-keys.ts';
import type { SyncedState } from '../../../../framework/synced-state.ts';

/** One endpoint's counters; the object is what a request is charged against (released on the same one). */
export class Counters implements InflightLoad {
  /** Totals, read by scorers and filters. */
  requests = 0;
  tokens = 0;
  // Private, so the object still looks like an InflightLoad ({requests, tokens}) to readers.
  #ownRequests = 0;
  #ownTokens = 0;
  #remoteRequests = 0;
  #remoteTokens = 0;

  get ownRequests(): number {
    return this.#ownRequests;
  }

  get ownTokens(): number {
    return this.#ownTokens;
  }

  add(requests: number, tokens: number): void {
    this.#ownRequests = Math.max(0, this.#ownRequests + requests);
    this.#ownTokens = Math.max(0, this.#ownTokens + tokens);
    this.#total();
  }

  addRemote(requests: number, tokens: number): void {
    this.#remoteRequests = Math.max(0, this.#remoteRequests + requests);
    this.#remoteTokens = Math.max(0, this.#remoteTokens + tokens);
    this.#total();
  }

  #total(): void {
    this.requests = this.#ownRequests + this.#remoteRequests;
    this.tokens = this.#ownTokens + this.#remoteTokens;
  }
}

/** [endpoint key, requests, tokens] */
type Count = [string, number, number];

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class InflightSyncState implements SyncedState {
  readonly syncKey: string;
  readonly #counters: (key: string) => Counters | undefined;
  readonly #dirty = new Map<string, Counters>();
  /** Every endpoint this replica charged (its own counts go into snapshots). */
  readonly #charged = new Map<string, Counters>();
  /** What each peer last reported, by replica and endpoint key. */
  readonly #peers = new Map<string, Map<string, { requests: number; tokens: number }>>();

  /** `counters` finds (or creates) the Counters of an endpoint this replica knows, undefined otherwise. */
  constructor(syncKey: string, counters: (key: string) => Counters | undefined) {
    this.syncKey = syncKey;
    this.#counters = counters;
  }

  /** The producer changed an endpoint's own counts. */
  changed(ep: Endpoint, counters: Counters): void {
    this.#dirty.set(ep.key, counters);
    this.#charged.set(ep.key, counters);
  }

  takeDelta(): Uint8Array | null {
    if (this.#dirty.size === 0) return null;
    const counts: Count[] = [];
    for (const [key, c] of this.#dirty) counts.push([key, c.ownRequests, c.ownTokens]);
    this.#dirty.clear();
    return utf8.encode(JSON.stringify(counts));
  }

  applyDelta(replica: string, delta: Uint8Array): void {
    this.#apply(replica, JSON.parse(fromUtf8.decode(delta)) as Count[]);
  }

  snapshot(): Uint8Array {
    const own: Count[] = [];
    for (const [key, c] of this.#charged) own.push([key, c.ownRequests, c.ownTokens]);
    const peers: [string, Count[]][] = [];
    for (const [replica, m] of this.#peers) peers.push([replica, [...m].map(([k, v]): Count => [k, v.requests, v.tokens])]);
    return utf8.encode(JSON.stringify({ own, peers }));
  }

  applySnapshot(replica: string, snapshot: Uint8Array): void {
    const s = JSON.parse(fromUtf8.decode(snapshot)) as { own: Count[]; peers: [string, Count[]][] };
    this.#apply(replica, s.own);
    for (const [r, counts] of s.peers) this.#apply(r, counts);
  }

  dropReplica(replica: string): void {
    const m = this.#peers.get(replica);
    if (m === undefined) return;
    this.#peers.delete(replica);
    for (const [key, v] of m) this.#counters(key)?.addRemote(-v.requests, -v.tokens);
  }


  #apply(replica: string, counts: Count[]): void {
    let m = this.#peers.get(replica);
    if (m === undefined) {
      m = new Map();
      this.#peers.set(replica, m);
    }
    for (const [key, requests, tokens] of counts) {
      const before = m.get(key);
      const dr = requests - (before?.requests ?? 0);
      const dt = tokens - (before?.tokens ?? 0);
      if (requests === 0 && tokens === 0) m.delete(key);
      else m.set(key, { requests, tokens });
      this.#counters(key)?.addRemote(dr, dt);
    }
  }
}
