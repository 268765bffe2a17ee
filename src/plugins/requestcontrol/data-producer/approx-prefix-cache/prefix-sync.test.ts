/** The prefix index as synced state: deltas carry what was recorded; snapshots copy wide and narrow tables. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprint } from './index-tables.ts';
import { PrefixIndex } from './prefix-index.ts';
import { PrefixSyncState } from './prefix-sync.ts';

function filled(capacity: number, blocks: number): PrefixIndex {
  const index = new PrefixIndex();
  const slot = index.ensureSlot('10.0.0.1:8000', capacity);
  for (let b = 0; b < blocks; b++) index.add(slot, b * 7919, b ^ 0x5bd1e995);
  return index;
}

for (const [form, capacity, blocks] of [['wide', 100_000, 500], ['narrow', 1000, 1000]] as const) {
  test(`prefix sync: a snapshot of a ${form} table gives a peer the same entries`, () => {
    const from = filled(capacity, blocks);
    const to = new PrefixIndex();
    new PrefixSyncState('k', to).applySnapshot('a', new PrefixSyncState('k', from).snapshot());
    const a = from.slotOf('10.0.0.1:8000');
    const b = to.slotOf('10.0.0.1:8000');
    assert.equal(to.capacityOf(b), capacity);
    assert.equal(to.sizeOf(b), from.sizeOf(a));
    let missing = 0;
    for (let i = 0; i < blocks; i++) if (from.has(a, i * 7919, i ^ 0x5bd1e995) && !to.has(b, i * 7919, i ^ 0x5bd1e995)) missing++;
    assert.equal(missing, 0, 'every block the source holds is held by the copy');
    let foreign = 0;
    for (let i = blocks; i < blocks + 2000; i++) foreign += to.has(b, i * 7919, i ^ 0x5bd1e995) ? 1 : 0;
    assert.ok(foreign < 20, `${foreign} false matches out of 2000`);
  });
}

test('prefix sync: a delta holds the noted blocks in order, then is empty', () => {
  const index = new PrefixIndex();
  const state = new PrefixSyncState('k', index);
  assert.equal(state.takeDelta(), null);
  state.beginGroup('e1', 64);
  state.noteBlock(fingerprint(1, 2));
  state.noteBlock(fingerprint(3, 4));
  state.beginGroup('e2', 64);
  state.noteBlock(fingerprint(5, 6));
  const delta = state.takeDelta()!;
  assert.equal(delta.length, 2 * (2 + 2 + 8) + 3 * 4);
  assert.equal(state.takeDelta(), null);
  const peer = new PrefixIndex();
  new PrefixSyncState('k', peer).applyDelta('a', delta);
  assert.ok(peer.has(peer.slotOf('e1'), 1, 2) && peer.has(peer.slotOf('e1'), 3, 4) && peer.has(peer.slotOf('e2'), 5, 6));
  assert.ok(!peer.has(peer.slotOf('e2'), 1, 2));
});
