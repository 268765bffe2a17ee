import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testRandom } from '../../../../scheduling/testing.ts';
import { hashPromptBlocks, hashRange, seedHash } from './prefix-hash.ts';

function blocks(text: string, blockChars = 64, maxBlocks = 256, seed = [1, 2]): string[] {
  const hi = new Int32Array(maxBlocks);
  const lo = new Int32Array(maxBlocks);
  const n = hashPromptBlocks(text, blockChars, maxBlocks, seed[0]!, seed[1]!, hi, lo);
  return Array.from({ length: n }, (_, i) => `${hi[i]}:${lo[i]}`);
}

function randomText(len: number, seed: number): string {
  const rnd = testRandom(seed);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
  return s;
}

test('prefix-hash: shorter than one block -> no blocks', () => {
  assert.deepEqual(blocks('x'.repeat(63)), []);
  assert.equal(blocks('x'.repeat(64)).length, 1);
});

test('prefix-hash: trailing partial block is hashed', () => {
  assert.equal(blocks('x'.repeat(65)).length, 2);
  assert.notEqual(blocks('x'.repeat(65))[1], blocks('x'.repeat(66))[1]);
});

test('prefix-hash: deterministic', () => {
  const t = randomText(1000, 1);
  assert.deepEqual(blocks(t), blocks(t));
});

test('prefix-hash: chained — a change in block 2 keeps blocks 0-1 and changes every later block', () => {
  const a = randomText(64 * 5, 2);
  const b = a.slice(0, 130) + (a[130] === 'z' ? 'y' : 'z') + a.slice(131);
  const ha = blocks(a);
  const hb = blocks(b);
  assert.deepEqual(hb.slice(0, 2), ha.slice(0, 2));
  for (let i = 2; i < 5; i++) assert.notEqual(hb[i], ha[i], `block ${i}`);
});

test('prefix-hash: same block text after different prefixes hashes differently', () => {
  const tail = 'y'.repeat(64);
  assert.notEqual(blocks('a'.repeat(64) + tail)[1], blocks('b'.repeat(64) + tail)[1]);
});

test('prefix-hash: character order and odd lengths matter', () => {
  assert.notEqual(blocks('ab'.repeat(32), 64)[0], blocks('ba'.repeat(32), 64)[0]);
  assert.notEqual(blocks('x'.repeat(64) + 'a', 65)[0], blocks('x'.repeat(64) + 'b', 65)[0]);
});

test('prefix-hash: at most maxBlocks blocks', () => {
  assert.equal(blocks('x'.repeat(64 * 10), 64, 3).length, 3);
  assert.equal(blocks('x'.repeat(64 * 10), 64, 0).length, 0);
});

test('prefix-hash: the seed separates models and salts', () => {
  const s = new Int32Array(2);
  const seeds = new Set<string>();
  for (const [m, salt] of [['ab', 'c'], ['a', 'bc'], ['abc', ''], ['', 'abc'], ['m', ''], ['m', 's']] as const) {
    seedHash(m, salt, s);
    seeds.add(`${s[0]}:${s[1]}`);
  }
  assert.equal(seeds.size, 6);
  const t = randomText(200, 3);
  seedHash('m', '', s);
  const a = blocks(t, 64, 256, [s[0]!, s[1]!]);
  seedHash('m', 's', s);
  assert.notDeepEqual(blocks(t, 64, 256, [s[0]!, s[1]!]), a);
});

test('prefix-hash: no 64-bit collisions and few 32-bit ones over 200k distinct blocks', () => {
  const hi = new Int32Array(1);
  const lo = new Int32Array(1);
  const full = new Set<string>();
  const low = new Set<number>();
  const base = randomText(64, 4);
  for (let i = 0; i < 200_000; i++) {
    // Blocks differing in a few characters only: the hard case for a weak mix.
    const text = base.slice(0, 58) + i.toString(36).padStart(6, '0');
    hashPromptBlocks(text, 64, 1, 0, 0, hi, lo);
    full.add(`${hi[0]}:${lo[0]}`);
    low.add(lo[0]!);
  }
  assert.equal(full.size, 200_000);
  // Expected 32-bit collisions for 200k keys: n^2 / 2^33 ≈ 4.7.
  assert.ok(200_000 - low.size < 30, `${200_000 - low.size} low-lane collisions`);
});

test('prefix-hash: whole-window and per-block hashing agree, odd block sizes and long prompts included', () => {
  const text = `${randomText(3000, 5)}łódź 北京 🚀 ${randomText(40_000, 6)}`;
  for (const blockChars of [64, 65, 7, 2]) {
    const maxBlocks = Math.ceil(text.length / blockChars);
    const hi = new Int32Array(maxBlocks);
    const lo = new Int32Array(maxBlocks);
    const n = hashPromptBlocks(text, blockChars, maxBlocks, 11, 22, hi, lo);
    assert.equal(n, maxBlocks);
    const h = new Int32Array(1);
    const l = new Int32Array(1);
    let seedHi = 11;
    let seedLo = 22;
    for (const i of [0, 1, 2, n >> 1, n - 2, n - 1]) {
      if (i > 0) {
        seedHi = hi[i - 1]!;
        seedLo = lo[i - 1]!;
      } else {
        seedHi = 11;
        seedLo = 22;
      }
      hashRange(text, i * blockChars, Math.min(text.length, (i + 1) * blockChars), seedHi, seedLo, h, l, 0);
      assert.deepEqual([h[0], l[0]], [hi[i], lo[i]], `block ${i} of ${blockChars}`);
    }
  }
});

test('prefix-hash: characters beyond Latin-1 are hashed whole (no truncation to bytes)', () => {
  // U+0141 and U+0041 share their low byte.
  assert.notEqual(blocks(`${'x'.repeat(63)}\u0141`)[0], blocks(`${'x'.repeat(63)}A`)[0]);
  assert.notEqual(blocks(`${'x'.repeat(62)}\u4e2dA`)[0], blocks(`${'x'.repeat(62)}\u4e2eA`)[0]);
});
