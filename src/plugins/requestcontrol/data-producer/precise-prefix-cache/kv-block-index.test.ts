import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvBlockIndex } from './kv-block-index.ts';

const scores = (ix: KvBlockIndex, keys: bigint[]): Record<string, number> => {
  const out = new Map<string, number>();
  ix.score(keys, out);
  return Object.fromEntries([...out].sort());
};

test('longest consecutive prefix per pod; a hole ends the run', () => {
  const ix = new KvBlockIndex();
  ix.add('a', 'GPU', [101n, 102n, 103n], [1n, 2n, 3n]);
  ix.add('b', 'GPU', [201n], [1n]);
  ix.add('b', 'GPU', [203n], [3n]); // b holds 1 and 3 but not 2
  assert.deepEqual(scores(ix, [1n, 2n, 3n, 4n]), { a: 3, b: 1 });
  assert.deepEqual(scores(ix, [2n, 3n]), { a: 2 }); // no leading block on b
  assert.deepEqual(scores(ix, [9n, 1n]), {});
});

test('tiers weight each block by the best tier the pod holds it in; removal is per tier', () => {
  const ix = new KvBlockIndex({ maxKeys: 100, tierWeights: [{ name: 'gpu', weight: 1 }, { name: 'cpu', weight: 0.8 }] });
  ix.add('a', 'GPU', [11n, 12n], [1n, 2n]);
  ix.add('a', 'CPU', [21n, 22n], [1n, 2n]);
  assert.deepEqual(scores(ix, [1n, 2n]), { a: 2 });
  ix.evict('a', 'GPU', 12n); // block 2 left only in CPU memory
  assert.deepEqual(scores(ix, [1n, 2n]), { a: 1.8 });
  ix.evict('a', 'CPU', 22n);
  assert.deepEqual(scores(ix, [1n, 2n]), { a: 1 });
  ix.add('a', 'lmcache', [31n], [2n]); // a tier the config does not name counts as the lowest configured
  assert.deepEqual(scores(ix, [1n, 2n]), { a: 1.8 });
});

test('removals by engine key only touch the pod that sent them; unknown keys are ignored', () => {
  const ix = new KvBlockIndex();
  ix.add('a', '', [7n], [1n]);
  ix.add('b', '', [7n], [1n]); // same engine hash on another engine
  ix.evict('a', '', 7n);
  ix.evict('a', '', 999n);
  assert.deepEqual(scores(ix, [1n]), { b: 1 });
  assert.equal(ix.requestKeyOf('b', 7n), 1n);
  assert.equal(ix.requestKeyOf('a', 7n), null);
});

test('engine blocks larger than request blocks map one engine key to several request keys', () => {
  const ix = new KvBlockIndex();
  ix.add('a', '', [500n, 501n], [1n, 2n, 3n, 4n]); // engine block 64 tokens, request block 32
  assert.equal(ix.requestKeyOf('a', 500n), 2n); // the parent of the next event is the last key
  ix.evict('a', '', 501n);
  assert.deepEqual(scores(ix, [1n, 2n, 3n, 4n]), { a: 2 });
});

test('clearPod drops one pod everywhere; memory stays within maxKeys (oldest stored dropped first)', () => {
  const ix = new KvBlockIndex({ maxKeys: 3, tierWeights: [{ name: 'gpu', weight: 1 }] });
  ix.add('a', '', [1n, 2n], [1n, 2n]);
  ix.add('b', '', [1n, 2n], [1n, 2n]);
  ix.clearPod('a');
  assert.deepEqual(scores(ix, [1n, 2n]), { b: 2 });
  ix.add('b', '', [3n, 4n], [3n, 4n]);
  assert.equal(ix.size, 3);
  assert.deepEqual(scores(ix, [1n]), {}); // key 1 was the oldest
  assert.deepEqual(scores(ix, [2n, 3n, 4n]), { b: 3 });
});
