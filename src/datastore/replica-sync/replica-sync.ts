/**
 * Replica sync: shares the plugins' SyncedStates (framework/synced-state.ts) with the other picker replicas of
 * the pool. Every `flushMs` it takes each state's delta and publishes one batch; a batch from a peer is applied
 * to the local states, so reads on the request path stay local. Batches double as heartbeats (an empty one goes
 * out every `heartbeatMs` when nothing changed); a peer silent for `peerTtlMs` is dropped from every state, so a
 * dead replica's in-flight requests stop counting while the others go on. A joining replica asks one peer for a
 * snapshot and holds the batches that arrive meanwhile until it is applied.
 *
 * The transport (ZMQ PUB/SUB + REQ/REP in production, an in-process bus in the bench) only moves bytes.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../framework/clock.ts';
import type { SyncedState } from '../../framework/synced-state.ts';
import { decodeBatch, decodeSnapshot, encodeBatch, encodeSnapshot, type SyncRecord } from './wire.ts';

export interface SyncTransport {
  /** Sends one batch (empty = heartbeat) to every peer. */
  publish(from: string, body: Uint8Array): void;
  /** Batches from peers (possibly also this replica's own, which the service ignores). */
  onBatch(handler: (from: string, body: Uint8Array) => void): void;
  /** Answers peers' snapshot requests. */
  serveSnapshots(provider: () => Uint8Array): void;
  /** Asks one peer (an address from setPeers) for its snapshot; rejects after timeoutMs. */
  requestSnapshot(peer: string, timeoutMs: number): Promise<Uint8Array>;
  /** The peers to listen to (sync addresses); replaces the previous set. */
  setPeers(peers: readonly string[]): void;
  close(): Promise<void>;
}

export interface ReplicaSyncOptions {
  readonly id: string;
  readonly transport: SyncTransport;
  readonly clock: Clock;
  readonly flushMs?: number;
  readonly heartbeatMs?: number;
  readonly peerTtlMs?: number;
  readonly logger?: Logger;
}

export interface ReplicaSyncStats {
  batchesSent: number;
  bytesSent: number;
  batchesReceived: number;
  bytesReceived: number;
  peersExpired: number;
}

export class ReplicaSync {
  readonly id: string;
  readonly stats: ReplicaSyncStats = { batchesSent: 0, bytesSent: 0, batchesReceived: 0, bytesReceived: 0, peersExpired: 0 };
  readonly #transport: SyncTransport;
  readonly #clock: Clock;
  readonly #flushMs: number;
  readonly #heartbeatMs: number;
  readonly #peerTtlMs: number;
  readonly #logger: Logger | undefined;
  readonly #states = new Map<string, SyncedState>();
  /** Last time each peer was heard from (directly, or named in a snapshot). */
  readonly #lastSeen = new Map<string, number>();
  #lastSent = -Infinity;
  /** Batches held while a bootstrap snapshot is on its way. */
  #held: { from: string; body: Uint8Array }[] | null = null;
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(options: ReplicaSyncOptions) {
    this.id = options.id;
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#flushMs = options.flushMs ?? 5;
    this.#heartbeatMs = options.heartbeatMs ?? 500;
    this.#peerTtlMs = options.peerTtlMs ?? 3 * (options.heartbeatMs ?? 500);
    this.#logger = options.logger;
    this.#transport.onBatch((from, body) => this.receive(from, body));
    this.#transport.serveSnapshots(() => this.snapshot());
  }

  register(state: SyncedState): void {
    if (this.#states.has(state.syncKey)) throw new Error(`two synced states share the key ${state.syncKey}`);
    this.#states.set(state.syncKey, state);
  }

  get stateKeys(): string[] {
    return [...this.#states.keys()];
  }

  /** Peers heard from within the TTL. */
  peers(): string[] {
    return [...this.#lastSeen.keys()];
  }

  /** Calls `f` after every applied batch or snapshot and every expiry (tests wait on it). */
  onChange(f: () => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  /** Starts the flush timer (flush, heartbeat and expiry all run on it). */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#flushMs);
    this.#timer.unref();
  }

  setPeers(peers: readonly string[]): void {
    this.#transport.setPeers(peers);
  }

  /** One timer turn: publish the local deltas (or a heartbeat), expire silent peers. */
  tick(): void {
    this.flush();
    this.expire();
  }

  flush(): void {
    const records: SyncRecord[] = [];
    for (const [key, state] of this.#states) {
      const bytes = state.takeDelta();
      if (bytes !== null && bytes.length > 0) records.push({ key, bytes });
    }
    const now = this.#clock.now();
    if (records.length === 0 && now - this.#lastSent < this.#heartbeatMs) return;
    const body = encodeBatch(records);
    this.#transport.publish(this.id, body);
    this.#lastSent = now;
    if (records.length > 0) {
      this.stats.batchesSent++;
      this.stats.bytesSent += body.length;
    }
  }

  expire(): void {
    const limit = this.#clock.now() - this.#peerTtlMs;
    let dropped = false;
    for (const [peer, seen] of this.#lastSeen) {
      if (seen >= limit) continue;
      this.#lastSeen.delete(peer);
      for (const state of this.#states.values()) state.dropReplica(peer);
      this.stats.peersExpired++;
      dropped = true;
      this.#logger?.info({ replica: peer }, 'replica sync: peer silent past its TTL; its contributions dropped');
    }
    if (dropped) this.#changed();
  }

  receive(from: string, body: Uint8Array): void {
    if (from === this.id) return;
    this.#lastSeen.set(from, this.#clock.now());
    if (body.length === 0) return;
    if (this.#held !== null) {
      this.#held.push({ from, body });
      return;
    }
    this.stats.batchesReceived++;
    this.stats.bytesReceived += body.length;
    try {
      for (const r of decodeBatch(body)) this.#states.get(r.key)?.applyDelta(from, r.bytes);
    } catch (err) {
      this.#logger?.warn({ err, replica: from }, 'replica sync: malformed batch ignored');
    }
    this.#changed();
  }

  snapshot(): Uint8Array {
    const records: SyncRecord[] = [];
    for (const [key, state] of this.#states) records.push({ key, bytes: state.snapshot() });
    return encodeSnapshot([this.id, ...this.#lastSeen.keys()], records);
  }

  applySnapshot(body: Uint8Array): void {
    const { replicas, records } = decodeSnapshot(body);
    if (replicas[0] === this.id) throw new Error('asked itself for a snapshot');
    const now = this.#clock.now();
    for (const r of replicas) if (r !== this.id && !this.#lastSeen.has(r)) this.#lastSeen.set(r, now);
    const from = replicas[0] ?? '';
    for (const r of records) this.#states.get(r.key)?.applySnapshot(from, r.bytes);
    this.#changed();
  }

  /**
   * Bootstraps from the first peer that answers; batches arriving meanwhile are applied after the snapshot.
   * Returns the peer used, or '' when none answered (a first replica starts empty).
   */
  async bootstrap(peers: readonly string[], timeoutMs = 2000): Promise<string> {
    this.#held = [];
    try {
      for (const peer of peers) {
        try {
          this.applySnapshot(await this.#transport.requestSnapshot(peer, timeoutMs));
          return peer;
        } catch (err) {
          this.#logger?.info({ err, peer }, 'replica sync: no snapshot from peer');
        }
      }
      return '';
    } finally {
      const held = this.#held;
      this.#held = null;
      for (const b of held) this.receive(b.from, b.body);
    }
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#transport.close();
  }

  #changed(): void {
    for (const f of this.#listeners) f();
  }
}
