import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKvEventBatch, KvEventDecodeError } from './kv-event-decoder.ts';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

// KVEventBatch(ts=1.5, events=[BlockStored(...), BlockRemoved(...), AllBlocksCleared()]) as msgspec encodes it
// (array_like structs, tag first), written byte by byte.
const sha = Array.from({ length: 32 }, (_, i) => i); // a 32-byte block hash: last 8 bytes 0x18..0x1f
const VLLM_BATCH = Uint8Array.from([
  0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, // [1.5,
  0x93, // [
  0x97, 0xab, ...ascii('BlockStored'),
  0x92, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0xc4, 0x20, ...sha, // block_hashes [uint64, bytes]
  0xc0, // parent_block_hash None
  0x94, 0x01, 0x02, 0xcd, 0x01, 0x2c, 0xce, 0x00, 0x01, 0x11, 0x70, // token_ids [1, 2, 300, 70000]
  0x02, // block_size
  0xc0, // lora_id None
  0xa3, ...ascii('GPU'), // medium
  0x93, 0xac, ...ascii('BlockRemoved'), 0x91, 0x7b, 0xa3, ...ascii('CPU'),
  0x91, 0xb0, ...ascii('AllBlocksCleared'),
]);

test('decodes a vLLM KVEventBatch: uint64 and 32-byte hashes, None fields, medium', () => {
  const b = decodeKvEventBatch(VLLM_BATCH);
  assert.equal(b.ts, 1.5);
  assert.equal(b.dataParallelRank, null);
  assert.deepEqual(b.events, [
    { type: 'BlockStored', blockHashes: [0xfffffffffffffff0n, 0x18191a1b1c1d1e1fn], parentHash: null, tokens: [1, 2, 300, 70000], blockSize: 2, medium: 'GPU', loraName: null },
    { type: 'BlockRemoved', blockHashes: [123n], medium: 'CPU' },
    { type: 'AllBlocksCleared' },
  ]);
});

test('SGLang layout without trailing fields, a parent hash, and a data-parallel rank', () => {
  const bytes = Uint8Array.from([
    0x93, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x91, // [0.0, [
    0x95, 0xab, ...ascii('BlockStored'), 0x91, 0x07, 0x05, 0x92, 0x09, 0x0a, 0x02, // ["BlockStored", [7], 5, [9, 10], 2]
    0x03, // data_parallel_rank
  ]);
  const b = decodeKvEventBatch(bytes);
  assert.equal(b.dataParallelRank, 3);
  assert.deepEqual(b.events[0], { type: 'BlockStored', blockHashes: [7n], parentHash: 5n, tokens: [9, 10], blockSize: 2, medium: '', loraName: null });
});

test('rejects unknown tags and malformed payloads', () => {
  assert.throws(() => decodeKvEventBatch(Uint8Array.from([0x92, 0x00, 0x91, 0x91, 0xa3, ...ascii('Foo')])), KvEventDecodeError);
  assert.throws(() => decodeKvEventBatch(Uint8Array.from([0xc1])), KvEventDecodeError);
  assert.throws(() => decodeKvEventBatch(Uint8Array.from([0x91, 0x00])), KvEventDecodeError);
});
