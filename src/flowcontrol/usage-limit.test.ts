/** The controller under a usage-limit policy (manual clock): band ceilings stop the cycle, per-flow holdback. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageLimitPolicy } from '../framework/flowcontrol.ts';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createTokenFairQueueingPolicy } from '../plugins/flowcontrol/fairness/token-fair-queueing/token-fair-queueing.ts';
import { PriorityHoldbackPolicy } from '../plugins/flowcontrol/usage-limit/priority-holdback/priority-holdback.ts';
import { fairShareHoldbackPolicy } from '../plugins/flowcontrol/usage-limit/fair-share-holdback/fair-share-holdback.ts';
import { staticUsageLimitPolicy } from '../plugins/flowcontrol/usage-limit/static/static.ts';
import { FlowController } from './controller.ts';
import { ManualTimers } from './timers.ts';

/** A pool of `slots`; saturation = busy / slots; a dispatched request holds a slot until release(). */
function pool(slots: number, usageLimit: UsageLimitPolicy) {
  const timers = new ManualTimers();
  let busy = 0;
  const order: string[] = [];
  const held: string[] = [];
  const fairness = createTokenFairQueueingPolicy('tfq');
  const fc = new FlowController({
    clock: timers,
    timers,
    canDispatch: () => busy < slots,
    saturation: () => busy / slots,
    usageLimit,
    bandSettings: () => ({ maxRequests: 1000, maxBytes: 1e9, ttlMs: 0, fairness, ordering: createFcfsOrderingPolicy('f') }),
    maxRequests: Infinity,
    maxBytes: Infinity,
    defaultTtlMs: 60_000,
  });
  return {
    fc,
    timers,
    order,
    get busy() {
      return busy;
    },
    add(label: string, flowId: string, priority = 0, tokens = 100) {
      fc.enqueue({ flowId, priority, bytes: tokens * 4, tokens, ttlMs: 0, sloTtftMs: 0, model: 'm', targetModel: 'm' }, (o) => {
        if (o !== 'dispatched') return;
        busy++;
        order.push(label);
        held.push(label);
      });
    },
    release() {
      held.shift();
      busy--;
      fc.dispatch();
    },
  };
}

test('usage limit: static 1.0 gates nothing beyond the pool; 0.5 stops at half the pool', () => {
  const full = pool(4, staticUsageLimitPolicy('s', 1));
  assert.equal(full.fc.canBypass(), false, 'empty queue, room, but a usage limit: requests go through enqueue()');
  for (let i = 0; i < 6; i++) full.add(`r${i}`, 'a');
  assert.equal(full.busy, 4);
  const half = pool(4, staticUsageLimitPolicy('s', 0.5));
  for (let i = 0; i < 6; i++) half.add(`r${i}`, 'a');
  assert.equal(half.busy, 2);
  assert.equal(half.fc.size, 4);
});

test('usage limit: priority-holdback keeps the low band out of the last slots, and a gated band stops the cycle', () => {
  // Ceilings 1.0 (priority 10) and 0.5 (priority -1): the low band dispatches only below half the pool.
  const p = pool(4, new PriorityHoldbackPolicy('h', 0.5, 1, 'rank'));
  p.add('high0', 'x', 10);
  p.add('low0', 'batch', -1); // 0.25 < 0.5: goes
  p.add('low1', 'batch', -1); // 0.5 >= 0.5: waits
  p.add('low2', 'batch', -1);
  p.add('high1', 'x', 10);
  p.add('high2', 'x', 10);
  assert.deepEqual(p.order, ['high0', 'low0', 'high1', 'high2']);
  p.release();
  p.release(); // saturation 0.5: the high band is empty and the low band's ceiling is reached: nothing goes
  assert.equal(p.busy, 2);
  assert.equal(p.fc.bandSize(-1), 2);
  p.release(); // 0.25: one low request goes, then 0.5 again
  assert.deepEqual(p.order.slice(4), ['low1']);
  assert.equal(p.busy, 2);
});

test('fair-share-holdback: a flooding flow cannot take the held-back slot; an under-share flow can', () => {
  // 10 slots, holdback 0.1: the flood may dispatch while saturation < 0.9, i.e. fill 9 slots.
  const p = pool(10, fairShareHoldbackPolicy('fsh', { holdback: 0.1, windowSeconds: 10 }));
  p.add('f0', 'flood', 0, 6000); // never served before: under its share, goes
  for (let i = 1; i < 20; i++) p.add(`f${i}`, 'flood', 0, 6000);
  assert.equal(p.busy, 9, 'the flood stops one slot short');
  p.timers.advance(100);
  p.add('s0', 'steady', 0, 1000);
  assert.equal(p.order.at(-1), 's0', 'the steady request takes the held-back slot at once');
  assert.equal(p.busy, 10);
  p.release(); // saturation 0.9: the flood is over its share (the steady flow has 1000 of 55000 tokens)
  assert.equal(p.busy, 9);
  p.release();
  assert.equal(p.busy, 9, 'one flood request refills to 9, not 10');
  // Decay keeps the ratio: 50 s later (within the TTL) the flood is still over its share.
  p.timers.advance(50_000);
  p.release();
  assert.equal(p.busy, 9);
  assert.ok(p.order.filter((l) => l.startsWith('f')).length >= 10);
});

test('fair-share-holdback: parameters', async () => {
  const { createFairShareHoldbackPolicy } = await import('../plugins/flowcontrol/usage-limit/fair-share-holdback/fair-share-holdback.ts');
  assert.equal(createFairShareHoldbackPolicy('h', { holdback: 0.1, windowSeconds: 5 }).type, 'fair-share-holdback-policy');
  assert.throws(() => createFairShareHoldbackPolicy('h', { holdback: 0.9 }));
  assert.throws(() => createFairShareHoldbackPolicy('h', { bogus: 1 }));
});
