import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testText } from '../../../../../test/support/scheduling/testing.ts';
import { hashBytes, hashPromptBlocks, seedHash } from './prefix-hash.ts';

function blocks(text: string, blockChars = 64, maxBlocks = 256, seed = [1, 2]): string[] {
  const hi = new Int32Array(maxBlocks);
  const lo = new Int32Array(maxBlocks);
  const n = hashPromptBlocks(text, blockChars, maxBlocks, seed[0]!, seed[1]!, hi, lo);
  return Array.from({ length: n }, (_, i) => `${hi[i]}:${lo[i]}`);
}

const randomText = (len: number, seed: number): string => testText(len, seed, true);

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
  const bytes = Buffer.from(text, 'utf8');
  for (const blockSize of [64, 65, 7, 2, 4]) {
    const maxBlocks = Math.ceil(bytes.length / blockSize);
    const hi = new Int32Array(maxBlocks);
    const lo = new Int32Array(maxBlocks);
    const n = hashPromptBlocks(text, blockSize, maxBlocks, 11, 22, hi, lo);
    assert.equal(n, maxBlocks, 'blocks cover the UTF-8 bytes');
    const h = new Int32Array(1);
    const l = new Int32Array(1);
    for (const i of [0, 1, 2, 47, 48, 49, n >> 1, n - 2, n - 1]) {
      const seedHi = i > 0 ? hi[i - 1]! : 11;
      const seedLo = i > 0 ? lo[i - 1]! : 22;
      hashBytes(bytes, i * blockSize, Math.min(bytes.length, (i + 1) * blockSize), seedHi, seedLo, h, l, 0);
      assert.deepEqual([h[0], l[0]], [hi[i], lo[i]], `block ${i} of ${blockSize}`);
    }
  }
});

test('prefix-hash: every trailing length 1-7 bytes counts, whatever the bytes past the end', () => {
  const seen = new Set<string>();
  for (let extra = 0; extra < 8; extra++) {
    const b = blocks('q'.repeat(64 + extra));
    seen.add(b[b.length - 1]!);
    // The shared scratch still holds longer text from before: it must not leak into a shorter block.
    blocks('z'.repeat(200));
    assert.deepEqual(blocks('q'.repeat(64 + extra)), b);
  }
  assert.equal(seen.size, 8);
});

test('prefix-hash: the window stops at maxBlocks blocks of bytes, multi-byte text included', () => {
  const text = '北'.repeat(100); // 300 bytes
  assert.equal(blocks(text, 64, 256).length, 5);
  assert.equal(blocks(text, 64, 2).length, 2);
  assert.deepEqual(blocks(text, 64, 2), blocks(text, 64, 256).slice(0, 2));
});

test('prefix-hash: characters beyond Latin-1 are hashed whole (no truncation to bytes)', () => {
  // U+0141 and U+0041 share their low byte; U+4E2D and U+4E2E differ in the last of their three UTF-8 bytes.
  assert.notDeepEqual(blocks(`${'x'.repeat(63)}\u0141`), blocks(`${'x'.repeat(63)}A`));
  assert.notDeepEqual(blocks(`${'x'.repeat(62)}\u4e2dA`), blocks(`${'x'.repeat(62)}\u4e2eA`));
  assert.notDeepEqual(blocks(`${'x'.repeat(64)}\u4e2d`), blocks(`${'x'.repeat(64)}\u4e2e`));
});
