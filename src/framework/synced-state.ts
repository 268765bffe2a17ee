/**
 * Cross-replica state: what a plugin learns from the requests its own replica routes (prefix index entries,
 * in-flight load, ...) and shares with the other picker replicas of the pool. The replica-sync service
 * (src/datastore/replica-sync/) moves the bytes; plugins only encode and apply them, and never see the
 * transport. Reads stay local: a plugin folds what peers sent into its own structures.
 *
 * A delta is what changed locally since the last takeDelta(); deltas from one peer arrive in order. A snapshot
 * is everything the replica would share (its own learning and what it merged from peers); a joining replica
 * applies one peer's snapshot before that peer's deltas. State attributed to a peer (in-flight requests it
 * routed) is dropped by dropReplica when that peer stops heartbeating.
 */

export interface SyncedState {
  /** Unique among the replica's synced states and equal on every replica (the plugin type and name). */
  readonly syncKey: string;
  /** Local changes since the previous call, or null when there are none. */
  takeDelta(): Uint8Array | null;
  applyDelta(replica: string, delta: Uint8Array): void;
  snapshot(): Uint8Array;
  applySnapshot(replica: string, snapshot: Uint8Array): void;
  /** The replica left or died: forget what is attributed to it (no-op for state that outlives its sender). */
  dropReplica(replica: string): void;
}

/** A plugin that shares state across replicas; the runner registers its SyncedState with the service. */
export interface SyncedStateOwner {
  syncedState(): SyncedState | null;
}

export function ownsSyncedState(p: object): p is SyncedStateOwner {
  return typeof (p as Partial<SyncedStateOwner>).syncedState === 'function';
}
