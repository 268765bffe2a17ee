import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowQueueView, QueuedItemView } from '../../../../framework/flowcontrol.ts';
import { FairShareBand } from './fair-share-holdback.ts';

const flow = (flowId: string): FlowQueueView => ({ flowId, length: 1, fairnessTag: 0, head: () => undefined });
const item = (tokens: number) => ({ tokens }) as QueuedItemView;

test('fair-share-holdback band: over-share flows get 1 - holdback, under-share and unknown flows 1.0; decay, rebase and prune', () => {
  const band = new FairShareBand({ holdback: 0.1, windowSeconds: 10 });
  const a = flow('a');
  const b = flow('b');
  assert.equal(band.flowCeiling(a), 1, 'never served');
  band.dispatched(a, item(6000), 0);
  assert.equal(band.flowCeiling(a), 0.9, 'alone it holds the whole band: over its share');
  band.dispatched(b, item(1000), 0);
  assert.deepEqual([band.flowCeiling(a), band.flowCeiling(b)], [0.9, 1]);
  // 2000 s later (200 windows: the scaled sums are rebased) b sends 100 tokens; a's 6000 decayed to nothing.
  band.dispatched(b, item(100), 2_000_000);
  assert.deepEqual([band.flowCeiling(a), band.flowCeiling(b)], [1, 0.9]);
  // Many more dispatches of b (a prune runs every 256): b stays over its share, a under it.
  for (let i = 0; i < 256; i++) band.dispatched(b, item(100), 2_000_000 + i);
  assert.equal(band.flowCeiling(a), 1);
  assert.equal(band.flowCeiling(b), 0.9);
});
