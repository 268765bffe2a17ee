import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testRandom } from '../../../../scheduling/testing.ts';
import { PrefixIndex } from './prefix-index.ts';

test('prefix-index: add, has, per-endpoint isolation', () => {
  const ix = new PrefixIndex();
  const a = ix.ensureSlot('a', 10);
  const b = ix.ensureSlot('b', 10);
  ix.add(a, 1, 2);
  assert.ok(ix.has(a, 1, 2));
  assert.ok(!ix.has(b, 1, 2));
  assert.ok(!ix.has(a, 2, 1));
  ix.add(a, 1, 2);
  assert.equal(ix.entries, 1);
});

test('prefix-index: evicts the least recently added entry at capacity', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 3);
  ix.add(s, 0, 1);
  ix.add(s, 0, 2);
  ix.add(s, 0, 3);
  ix.add(s, 0, 1); // refresh 1: now 2 is oldest
  ix.add(s, 0, 4);
  assert.deepEqual([1, 2, 3, 4].map((k) => ix.has(s, 0, k)), [true, false, true, true]);
  assert.equal(ix.sizeOf(s), 3);
  assert.equal(ix.entries, 3);
});

test('prefix-index: shrinking capacity evicts oldest first', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 5);
  for (let k = 1; k <= 5; k++) ix.add(s, 0, k);
  ix.setCapacity(s, 2);
  assert.deepEqual([1, 2, 3, 4, 5].map((k) => ix.has(s, 0, k)), [false, false, false, true, true]);
});

test('prefix-index: removeEndpoint purges its entries and frees the slot', () => {
  const ix = new PrefixIndex();
  const a = ix.ensureSlot('a', 100);
  const b = ix.ensureSlot('b', 100);
  for (let k = 0; k < 50; k++) {
    ix.add(a, k, k);
    ix.add(b, k, k);
  }
  assert.equal(ix.entries, 100);
  assert.ok(ix.removeEndpoint('a'));
  assert.ok(!ix.removeEndpoint('a'));
  assert.equal(ix.entries, 50);
  assert.equal(ix.slotOf('a'), -1);
  for (let k = 0; k < 50; k++) assert.ok(ix.has(b, k, k));
  const c = ix.ensureSlot('c', 100);
  assert.equal(c, a, 'slot reused');
  for (let k = 0; k < 50; k++) assert.ok(!ix.has(c, k, k), 'reused slot starts empty');
});

test('prefix-index: matches a reference model under random adds, evictions and removals', () => {
  const ix = new PrefixIndex();
  const rnd = testRandom(11);
  const CAP = 300;
  const keys = ['e0', 'e1', 'e2', 'e3', 'e4'];
  // Reference: per endpoint, a Map in insertion order = LRU order (oldest first).
  const model = new Map<string, Map<string, [number, number]>>();
  for (let op = 0; op < 60_000; op++) {
    const key = keys[Math.floor(rnd() * keys.length)]!;
    if (rnd() < 0.001) {
      ix.removeEndpoint(key);
      model.delete(key);
      continue;
    }
    const slot = ix.ensureSlot(key, CAP);
    let m = model.get(key);
    if (!m) model.set(key, (m = new Map()));
    // Few distinct hashes so refreshes and cross-endpoint sharing happen.
    const v = Math.floor(rnd() * 600);
    const hi = v * 7919;
    const lo = (v * 2654435761) | 0;
    ix.add(slot, hi, lo);
    const id = `${hi}:${lo}`;
    m.delete(id);
    m.set(id, [hi, lo]);
    if (m.size > CAP) m.delete(m.keys().next().value!);
  }
  let total = 0;
  for (const key of keys) {
    const m = model.get(key);
    const slot = ix.slotOf(key);
    if (!m) {
      assert.equal(slot, -1);
      continue;
    }
    total += m.size;
    assert.equal(ix.sizeOf(slot), m.size);
    for (let v = 0; v < 600; v++) {
      const hi = v * 7919;
      const lo = (v * 2654435761) | 0;
      assert.equal(ix.has(slot, hi, lo), m.has(`${hi}:${lo}`), `${key} v=${v}`);
    }
  }
  assert.equal(ix.entries, total);
});

test('prefix-index: grows past the initial table and node sizes', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 100_000);
  for (let k = 0; k < 20_000; k++) ix.add(s, k, -k);
  assert.equal(ix.entries, 20_000);
  for (let k = 0; k < 20_000; k += 997) assert.ok(ix.has(s, k, -k));
});
