/**
 * The prefix index as cross-replica state (framework/synced-state.ts): the blocks this replica recorded on an
 * endpoint go to the peers as fingerprints (4 bytes a block), in the order they were added, so a peer's slot
 * gets the same entries with the same recency. A snapshot is every slot's fingerprints, oldest first.
 * Entries outlive the replica that sent them (the server still caches the blocks), so dropReplica keeps them.
 *
 * Layout of a delta or snapshot: groups of [u16 key length][key][u32 capacity][u32 n][n x u32 fingerprint].
 */
import type { SyncedState } from '../../../../framework/synced-state.ts';
import type { PrefixIndex } from './prefix-index.ts';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

interface Group {
  key: string;
  capacity: number;
  start: number;
  count: number;
}

export class PrefixSyncState implements SyncedState {
  readonly syncKey: string;
  readonly #index: PrefixIndex;
  readonly #known: ((key: string) => boolean) | undefined;
  #fps = new Uint32Array(1024);
  #used = 0;
  #groups: Group[] = [];

  /** `known(key)`: whether this replica has the endpoint (a peer may still name one removed here); absent = all. */
  constructor(syncKey: string, index: PrefixIndex, known?: (key: string) => boolean) {
    this.syncKey = syncKey;
    this.#index = index;
    this.#known = known;
  }

  /** Starts a group of blocks added to `key`'s slot; add their fingerprints with noteBlock. */
  beginGroup(key: string, capacity: number): void {
    const last = this.#groups[this.#groups.length - 1];
    if (last !== undefined && last.key === key && last.capacity === capacity && last.start + last.count === this.#used) return;
    this.#groups.push({ key, capacity, start: this.#used, count: 0 });
  }

  noteBlock(fp: number): void {
    if (this.#used === this.#fps.length) {
      const next = new Uint32Array(this.#fps.length * 2);
      next.set(this.#fps);
      this.#fps = next;
    }
    this.#fps[this.#used++] = fp;
    this.#groups[this.#groups.length - 1]!.count++;
  }

  takeDelta(): Uint8Array | null {
    if (this.#used === 0) return null;
    const out = encodeGroups(this.#groups, this.#fps);
    this.#groups = [];
    this.#used = 0;
    return out;
  }

  applyDelta(_replica: string, delta: Uint8Array): void {
    decodeGroups(delta, (key, capacity, fps, at, n) => {
      if (this.#known !== undefined && !this.#known(key)) return;
      const index = this.#index;
      const slot = index.ensureSlot(key, capacity);
      for (let i = 0; i < n; i++) index.addFingerprint(slot, fps.getUint32(at + 4 * i));
    });
  }

  snapshot(): Uint8Array {
    const index = this.#index;
    const groups: Group[] = [];
    let fps = new Uint32Array(1024);
    let used = 0;
    for (const key of index.keys()) {
      const slot = index.slotOf(key);
      const g: Group = { key, capacity: index.capacityOf(slot), start: used, count: 0 };
      index.forEachFingerprint(slot, (fp) => {
        if (used === fps.length) {
          const next = new Uint32Array(fps.length * 2);
          next.set(fps);
          fps = next;
        }
        fps[used++] = fp;
        g.count++;
      });
      groups.push(g);
    }
    return encodeGroups(groups, fps);
  }

  applySnapshot(replica: string, snapshot: Uint8Array): void {
    this.applyDelta(replica, snapshot);
  }

  dropReplica(_replica: string): void {}
}

function encodeGroups(groups: readonly Group[], fps: Uint32Array): Uint8Array {
  const keys = groups.map((g) => utf8.encode(g.key));
  let size = 0;
  for (let i = 0; i < groups.length; i++) size += 2 + keys[i]!.length + 8 + 4 * groups[i]!.count;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    view.setUint16(at, keys[i]!.length);
    out.set(keys[i]!, at + 2);
    at += 2 + keys[i]!.length;
    view.setUint32(at, g.capacity);
    view.setUint32(at + 4, g.count);
    at += 8;
    for (let j = 0; j < g.count; j++, at += 4) view.setUint32(at, fps[g.start + j]!);
  }
  return out;
}

function decodeGroups(bytes: Uint8Array, group: (key: string, capacity: number, view: DataView, at: number, n: number) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    const keyLen = view.getUint16(at);
    const key = fromUtf8.decode(bytes.subarray(at + 2, at + 2 + keyLen));
    at += 2 + keyLen;
    const capacity = view.getUint32(at);
    const n = view.getUint32(at + 4);
    at += 8;
    if (at + 4 * n > bytes.length) throw new RangeError('prefix sync group past the end of its record');
    group(key, capacity, view, at, n);
    at += 4 * n;
  }
}
