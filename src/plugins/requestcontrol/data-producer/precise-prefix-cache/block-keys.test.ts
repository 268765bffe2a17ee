import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockKeyHasher, fnv64a } from './block-keys.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function u64be(v: bigint): number[] {
  const out: number[] = [];
  for (let i = 7; i >= 0; i--) out.push(Number((v >> BigInt(i * 8)) & 0xffn));
  return out;
}

test('FNV-64a matches the published test vectors', () => {
  assert.equal(fnv64a(utf8('')), 0xcbf29ce484222325n);
  assert.equal(fnv64a(utf8('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv64a(utf8('foobar')), 0x85944171f73967e8n);
});

test('keys are FNV-64a over canonical CBOR [parent, tokens, null], rooted at CBOR [FNV(seed), null, model]', () => {
  const hasher = new BlockKeyHasher({ blockSizeTokens: 4, hashSeed: '' });
  const seed = fnv64a(utf8('')); // > 2^32: 8-byte head 0x1b
  const rootBytes = [0x83, 0x1b, ...u64be(seed), 0xf6, 0x61, 0x6d /* "m" */];
  const root = fnv64a(Uint8Array.from(rootBytes));
  assert.equal(hasher.root('m'), root);
  // Tokens in each CBOR integer width: 1 (immediate), 100 (1 byte), 300 (2 bytes), 70000 (4 bytes).
  const tokens = [1, 100, 300, 70000, 5, 6, 7]; // the partial second block is not hashed
  const block0 = [0x83, 0x1b, ...u64be(root), 0x84, 0x01, 0x18, 100, 0x19, 0x01, 0x2c, 0x1a, 0x00, 0x01, 0x11, 0x70, 0xf6];
  assert.deepEqual(hasher.keys(tokens, 'm'), [fnv64a(Uint8Array.from(block0))]);
});

test('a chain continued from a parent key equals the whole chain; model and seed change every key', () => {
  const hasher = new BlockKeyHasher({ blockSizeTokens: 2, hashSeed: '' });
  const tokens = [10, 11, 12, 13, 14, 15, 16, 17];
  const all = hasher.keys(tokens, 'model-a');
  assert.equal(all.length, 4);
  const head = hasher.keys(tokens.slice(0, 4), 'model-a');
  assert.deepEqual(hasher.keys(tokens.slice(4), 'ignored', head[1] as bigint), all.slice(2));
  assert.notDeepEqual(hasher.keys(tokens, 'model-b'), all);
  assert.notDeepEqual(new BlockKeyHasher({ blockSizeTokens: 2, hashSeed: '42' }).keys(tokens, 'model-a'), all);
  assert.deepEqual(hasher.keys(tokens, 'model-a', null, 3), all.slice(0, 3));
});
