import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testRandom } from '../../../../../test/support/scheduling/testing.ts';
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

test('prefix-index: shrinking capacity keeps the most recent entries and fits the new capacity', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 5);
  for (let k = 1; k <= 5; k++) ix.add(s, 0, k);
  ix.setCapacity(s, 2);
  const kept = [1, 2, 3, 4, 5].map((k) => ix.has(s, 0, k));
  assert.ok(kept[4], 'the most recent entry stays');
  assert.ok(ix.sizeOf(s) >= 1 && ix.sizeOf(s) <= 2, `size ${ix.sizeOf(s)}`);
  assert.equal(kept.filter(Boolean).length, ix.sizeOf(s));
  assert.deepEqual(kept.slice(0, 3), [false, false, false]);
});

test('prefix-index: shrinking a large, still-growing slot to a small capacity fits it', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 5623);
  // 700 blocks: the eighth-size table (879 words) holds them, not yet grown.
  for (let k = 1; k <= 700; k++) ix.add(s, k, -k);
  ix.setCapacity(s, 100);
  // All 700 are one generation (capacity/8 = 703): it is halved by fingerprint until it fits.
  const kept = ix.sizeOf(s);
  assert.ok(kept <= 100 && kept > 0, `${kept} entries after shrinking to 100`);
  let found = 0;
  for (let k = 1; k <= 700; k++) if (ix.has(s, k, -k)) found++;
  assert.equal(found, kept);
  for (let k = 701; k <= 1700; k++) ix.add(s, k, -k);
  assert.ok(ix.sizeOf(s) <= 100 && ix.sizeOf(s) > 100 - 100 / 8);
});

test('prefix-index: a slot grown to its full (narrow) table starts over when its capacity changes', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 5623);
  for (let k = 1; k <= 20_000; k++) ix.add(s, k, -k);
  const before = ix.entries;
  assert.ok(before > 5623 * 0.75);
  // With autoTune a new capacity is a new num_gpu_blocks: a restarted server, whose cache is empty.
  ix.setCapacity(s, 5623);
  assert.equal(ix.entries, before, 'the same capacity changes nothing');
  ix.setCapacity(s, 100);
  assert.equal(ix.sizeOf(s), 0);
  assert.equal(ix.entries, 0);
  assert.ok(!ix.has(s, 20_000, -20_000));
  for (let k = 20_001; k <= 21_000; k++) ix.add(s, k, -k);
  assert.ok(ix.sizeOf(s) <= 100 && ix.sizeOf(s) > 100 - 100 / 8);
  assert.ok(ix.has(s, 21_000, -21_000));
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

test('prefix-index: keeps the newest blocks, all of them under capacity, never more than capacity (reference model)', () => {
  const ix = new PrefixIndex();
  const rnd = testRandom(11);
  const CAP = 300;
  const keys = ['e0', 'e1', 'e2', 'e3', 'e4'];
  // Reference: per endpoint, a Map in insertion order = recency order (oldest first), unbounded.
  const model = new Map<string, Map<string, [number, number]>>();
  const check = () => {
    let total = 0;
    for (const key of keys) {
      const m = model.get(key);
      const slot = ix.slotOf(key);
      if (!m) {
        assert.equal(slot, -1);
        continue;
      }
      // Held = exactly the `size` most recent distinct blocks, all of them while under capacity.
      const size = ix.sizeOf(slot);
      const recent = [...m.values()].reverse();
      assert.ok(size <= CAP, `${key}: ${size} > capacity`);
      if (recent.length < CAP) assert.equal(size, recent.length, `${key}: dropped under capacity`);
      // The most recent capacity/8 (one generation) are always held, and held counts match.
      const held = recent.filter(([hi, lo]) => ix.has(slot, hi, lo)).length;
      assert.equal(held, size, `${key}: has() finds ${held} of ${size}`);
      recent.forEach(([hi, lo], rank) => rank < CAP / 8 && assert.ok(ix.has(slot, hi, lo), `${key} rank ${rank} of ${size}`));
      total += size;
    }
    assert.equal(ix.entries, total);
  };
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
    if (op % 997 === 0) check();
  }
  check();
});

test('prefix-index: capacities up to 4 are exact LRU', () => {
  for (let cap = 1; cap <= 4; cap++) {
    const ix = new PrefixIndex();
    const s = ix.ensureSlot('a', cap);
    const order: number[] = [];
    const rnd = testRandom(cap);
    for (let op = 0; op < 2000; op++) {
      const k = 1 + Math.floor(rnd() * 12);
      ix.add(s, k, k * 31);
      const at = order.indexOf(k);
      if (at >= 0) order.splice(at, 1);
      order.push(k);
      if (order.length > cap) order.shift();
      for (let q = 1; q <= 12; q++) assert.equal(ix.has(s, q, q * 31), order.includes(q), `cap ${cap} op ${op} key ${q}`);
    }
  }
});

test('prefix-index: new blocks past capacity keep between 7/8 capacity and capacity (32-bit table)', () => {
  const ix = new PrefixIndex();
  const CAP = 400; // full table of 501 words: stays 32-bit, exact
  const s = ix.ensureSlot('a', CAP);
  for (let k = 1; k <= 20_000; k++) {
    ix.add(s, k, -k);
    if (k >= CAP) {
      const size = ix.sizeOf(s);
      assert.ok(size > CAP - CAP / 8 && size <= CAP, `after ${k}: ${size}`);
      assert.ok(ix.has(s, k - size + 1, -(k - size + 1)) && !ix.has(s, k - size, -(k - size)));
    }
  }
});

test('prefix-index: a 16-bit table keeps the newest blocks, about capacity of them, and confuses ~0.3% of absent ones', () => {
  const ix = new PrefixIndex();
  const CAP = 1000;
  const s = ix.ensureSlot('a', CAP);
  for (let k = 1; k <= CAP; k++) ix.add(s, k, -k);
  assert.equal(ix.sizeOf(s), CAP, 'nothing dropped up to capacity');
  for (let k = 1; k <= CAP; k++) assert.ok(ix.has(s, k, -k), `block ${k}`);
  // Lookups of blocks never added: a shared home slot and remainder (8 bits) confuse ~load/255 of them.
  let confused = 0;
  for (let k = 100_001; k <= 200_000; k++) if (ix.has(s, k, -k)) confused++;
  assert.ok(confused < 500, `${confused} of 100,000 absent blocks reported held`);
  // A stream of new blocks: a confused add refreshes the block it was confused with instead of adding one,
  // so the bounds are looser than the 32-bit table's.
  let minSize = CAP;
  for (let k = CAP + 1; k <= 20_000; k++) {
    ix.add(s, k, -k);
    minSize = Math.min(minSize, ix.sizeOf(s));
    assert.ok(ix.sizeOf(s) <= CAP);
  }
  assert.ok(minSize > CAP * 0.75, `size fell to ${minSize}`);
  let newest = 0;
  for (let k = 20_000 - CAP / 2 + 1; k <= 20_000; k++) if (ix.has(s, k, -k)) newest++;
  assert.ok(newest >= CAP / 2 - 5, `${newest} of the newest ${CAP / 2} held`);
  // Two bytes a word at load 0.8, plus the rebuild scratch.
  assert.ok(ix.tableBytes <= 2 * 2 * (Math.ceil(CAP / 0.8) + 1), `${ix.tableBytes} bytes`);
});

test('prefix-index: hit rate within 7% of exact LRU on a skewed block stream', () => {
  const CAP = 2000;
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', CAP);
  const lru = new Map<number, true>();
  const rnd = testRandom(5);
  let hits = 0;
  let lruHits = 0;
  for (let op = 0; op < 200_000; op++) {
    // Heavy-tailed popularity over 20,000 blocks: small ids are hot.
    const k = Math.floor(20_000 * rnd() ** 3);
    if (ix.has(s, k, k ^ 0x5bd1e995)) hits++;
    ix.add(s, k, k ^ 0x5bd1e995);
    if (lru.delete(k)) lruHits++;
    lru.set(k, true);
    if (lru.size > CAP) lru.delete(lru.keys().next().value!);
  }
  assert.ok(hits >= lruHits * 0.93, `${hits} hits against exact LRU's ${lruHits}`);
});

test('prefix-index: a full slot costs about 2.5 bytes per entry', () => {
  const ix = new PrefixIndex();
  const CAP = 5623;
  const s = ix.ensureSlot('a', CAP);
  const rnd = testRandom(3);
  for (let k = 0; k < 50_000; k++) ix.add(s, (rnd() * 2 ** 32) | 0, (rnd() * 2 ** 32) | 0);
  assert.ok(ix.sizeOf(s) > CAP * 0.75 && ix.sizeOf(s) <= CAP);
  // The slot's 16-bit table plus the rebuild scratch shared by all slots.
  assert.ok(ix.tableBytes <= 2 * (Math.ceil(CAP / 0.8) + 1) * 2, `${ix.tableBytes} bytes`);
});

test('prefix-index: grows past the initial table and node sizes', () => {
  const ix = new PrefixIndex();
  const s = ix.ensureSlot('a', 100_000);
  for (let k = 0; k < 20_000; k++) ix.add(s, k, -k);
  assert.equal(ix.entries, 20_000);
  for (let k = 0; k < 20_000; k += 997) assert.ok(ix.has(s, k, -k));
});
