/** The flow controller with a manual clock and timers: band order, policies, TTL, capacity, cancel, fairness. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FairnessPolicy, OrderingPolicy } from '../framework/flowcontrol.ts';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createEdfOrderingPolicy } from '../plugins/flowcontrol/ordering/edf/edf.ts';
import { createSloDeadlineOrderingPolicy } from '../plugins/flowcontrol/ordering/slo-deadline/slo-deadline.ts';
import { createGlobalStrictFairnessPolicy } from '../plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { createRoundRobinFairnessPolicy } from '../plugins/flowcontrol/fairness/round-robin/round-robin.ts';
import { createTokenFairQueueingPolicy } from '../plugins/flowcontrol/fairness/token-fair-queueing/token-fair-queueing.ts';
import type { BandSettings } from './band.ts';
import { FlowController } from './controller.ts';
import type { EnqueueInput, QueueOutcome } from './queued-request.ts';
import { ManualTimers } from './timers.ts';

interface Rig {
  fc: FlowController;
  timers: ManualTimers;
  /** Labels in dispatch order. */
  dispatched: string[];
  outcomes: Map<string, QueueOutcome>;
  /** Lets n more requests through, then closes again. */
  allow(n: number): void;
  add(label: string, input?: Partial<EnqueueInput>): ReturnType<FlowController['enqueue']>;
}

function rig(o: { fairness?: FairnessPolicy; ordering?: OrderingPolicy; band?: Partial<BandSettings>; bands?: Map<number, Partial<BandSettings>>; ttlMs?: number; maxRequests?: number } = {}): Rig {
  const timers = new ManualTimers();
  let room = 0;
  const base: BandSettings = { maxRequests: 5000, maxBytes: 1e9, ttlMs: 0, fairness: o.fairness ?? createGlobalStrictFairnessPolicy('gs'), ordering: o.ordering ?? createFcfsOrderingPolicy('fcfs'), ...o.band };
  const fc = new FlowController({
    clock: timers,
    timers,
    canDispatch: () => room > 0,
    bandSettings: (p) => ({ ...base, ...o.bands?.get(p) }),
    maxRequests: o.maxRequests ?? Infinity,
    maxBytes: Infinity,
    defaultTtlMs: o.ttlMs ?? 60_000,
  });
  const r: Rig = {
    fc,
    timers,
    dispatched: [],
    outcomes: new Map(),
    allow(n) {
      room += n;
      fc.dispatch();
      room = 0;
    },
    add(label, input = {}) {
      return fc.enqueue({ flowId: 'default-flow', priority: 0, bytes: 100, tokens: 25, ttlMs: 0, sloTtftMs: 0, model: 'm', targetModel: 'm', ...input }, (outcome) => {
        r.outcomes.set(label, outcome);
        if (outcome === 'dispatched') {
          r.dispatched.push(label);
          room--;
        }
      });
    },
  };
  return r;
}

test('bands: strictly highest priority first, sheddable (negative) last, FCFS within a band', () => {
  const r = rig();
  r.add('low1', { priority: 0 });
  r.add('shed', { priority: -1 });
  r.add('high', { priority: 10 });
  r.add('low2', { priority: 0 });
  assert.equal(r.fc.size, 4);
  r.allow(4);
  assert.deepEqual(r.dispatched, ['high', 'low1', 'low2', 'shed']);
  assert.equal(r.fc.size, 0);
});

test('dispatch stops when the pool is saturated and resumes on the next poke', () => {
  const r = rig();
  for (const l of ['a', 'b', 'c']) r.add(l);
  r.allow(1);
  assert.deepEqual(r.dispatched, ['a']);
  r.allow(2);
  assert.deepEqual(r.dispatched, ['a', 'b', 'c']);
});

test('ordering: edf by TTL deadline, slo-deadline by TTFT objective, fcfs by arrival', () => {
  const edf = rig({ ordering: createEdfOrderingPolicy('edf') });
  edf.add('long', { ttlMs: 30_000 });
  edf.add('short', { ttlMs: 5_000 });
  edf.add('none');
  edf.allow(3);
  assert.deepEqual(edf.dispatched, ['short', 'long', 'none']);

  const slo = rig({ ordering: createSloDeadlineOrderingPolicy('slo') });
  slo.add('no-slo');
  slo.add('loose', { sloTtftMs: 2000 });
  slo.add('tight', { sloTtftMs: 200 });
  slo.allow(3);
  assert.deepEqual(slo.dispatched, ['tight', 'loose', 'no-slo']);

  const fcfs = rig();
  fcfs.add('first', { ttlMs: 30_000, sloTtftMs: 2000 });
  fcfs.add('second', { ttlMs: 1_000, sloTtftMs: 100 });
  fcfs.allow(2);
  assert.deepEqual(fcfs.dispatched, ['first', 'second']);
});

test('fairness: global-strict serves the band as one FCFS queue; round-robin alternates flows', () => {
  const gs = rig();
  for (const l of ['x1', 'x2', 'x3']) gs.add(l, { flowId: 'x' });
  gs.add('y1', { flowId: 'y' });
  gs.allow(4);
  assert.deepEqual(gs.dispatched, ['x1', 'x2', 'x3', 'y1']);

  const rr = rig({ fairness: createRoundRobinFairnessPolicy('rr') });
  for (const l of ['x1', 'x2', 'x3']) rr.add(l, { flowId: 'x' });
  rr.add('y1', { flowId: 'y' });
  rr.add('y2', { flowId: 'y' });
  rr.allow(5);
  assert.deepEqual(rr.dispatched, ['x1', 'y1', 'x2', 'y2', 'x3']);
});

test('token-fair-queueing: equal token shares, so a tenant of long prompts does not crowd out short ones', () => {
  const r = rig({ fairness: createTokenFairQueueingPolicy('tfq') });
  for (let i = 0; i < 20; i++) r.add(`L${i}`, { flowId: 'long', tokens: 4000 });
  for (let i = 0; i < 40; i++) r.add(`S${i}`, { flowId: 'short', tokens: 400 });
  r.allow(22);
  const longs = r.dispatched.filter((l) => l.startsWith('L')).length;
  const shorts = r.dispatched.length - longs;
  // 10:1 token ratio: ~2 long prompts per 20 short ones. Round-robin would give 11 and 11.
  assert.ok(longs <= 3, `long ${longs}`);
  assert.ok(shorts >= 19, `short ${shorts}`);
  // An idle flow earns no credit: a newcomer starts at the band's virtual time, not at 0.
  r.add('N0', { flowId: 'new', tokens: 400 });
  r.add('N1', { flowId: 'new', tokens: 400 });
  r.allow(4);
  const after = r.dispatched.slice(22);
  assert.ok(after.filter((l) => l.startsWith('N')).length <= 2 && after.some((l) => !l.startsWith('N')), after.join());
});

test('fairness under a flood: with round-robin the steady tenant waits for at most one flood request per request', () => {
  const r = rig({ fairness: createRoundRobinFairnessPolicy('rr') });
  for (let i = 0; i < 300; i++) r.add(`f${i}`, { flowId: 'flood' });
  for (let i = 0; i < 10; i++) r.add(`s${i}`, { flowId: 'steady' });
  r.allow(20);
  assert.equal(r.dispatched.filter((l) => l.startsWith('s')).length, 10);
  // The same flood under global-strict: the steady tenant gets nothing in the first 20.
  const g = rig();
  for (let i = 0; i < 300; i++) g.add(`f${i}`, { flowId: 'flood' });
  for (let i = 0; i < 10; i++) g.add(`s${i}`, { flowId: 'steady' });
  g.allow(20);
  assert.equal(g.dispatched.filter((l) => l.startsWith('s')).length, 0);
});

test('TTL: the least of default, band and request TTL wins; one timer; expiry evicts at the deadline', () => {
  const r = rig({ ttlMs: 60_000, bands: new Map([[5, { ttlMs: 10_000 }]]) });
  r.add('default');
  r.add('band', { priority: 5 });
  r.add('own', { ttlMs: 2_000 });
  r.add('own-longer-than-band', { priority: 5, ttlMs: 30_000 });
  assert.equal(r.timers.pending, 1, 'a single timer for all TTLs');
  r.timers.advance(1_999);
  assert.equal(r.outcomes.size, 0);
  r.timers.advance(1);
  assert.equal(r.outcomes.get('own'), 'evicted-ttl');
  r.timers.advance(8_000);
  assert.equal(r.outcomes.get('band'), 'evicted-ttl');
  assert.equal(r.outcomes.get('own-longer-than-band'), 'evicted-ttl');
  assert.equal(r.outcomes.has('default'), false);
  r.timers.advance(50_000);
  assert.equal(r.outcomes.get('default'), 'evicted-ttl');
  assert.equal(r.fc.size, 0);
  assert.equal(r.timers.pending, 0, 'no timer once the queue is empty');
});

test('capacity: band maxRequests / maxBytes and the global maxRequests reject at once', () => {
  const r = rig({ band: { maxRequests: 2 } });
  r.add('a');
  r.add('b');
  r.add('c');
  assert.equal(r.outcomes.get('c'), 'rejected-capacity');
  r.add('other-band', { priority: 1 });
  assert.equal(r.outcomes.has('other-band'), false, 'bands are bounded separately');
  const bytes = rig({ band: { maxBytes: 250 } });
  bytes.add('a');
  bytes.add('b');
  bytes.add('c');
  assert.equal(bytes.outcomes.get('c'), 'rejected-capacity');
  const global = rig({ maxRequests: 1 });
  global.add('a');
  global.add('b', { priority: 9 });
  assert.equal(global.outcomes.get('b'), 'rejected-capacity');
});

test('cancel: the request leaves at once, its flow and timer go with it', () => {
  const r = rig();
  const a = r.add('a', { flowId: 'x', ttlMs: 1000 });
  r.add('b', { flowId: 'y', ttlMs: 5000 });
  r.fc.cancel(a);
  assert.equal(r.outcomes.get('a'), 'evicted-cancelled');
  assert.equal(r.fc.size, 1);
  r.fc.cancel(a); // idempotent
  r.timers.advance(1000);
  assert.equal(r.outcomes.has('b'), false);
  r.allow(1);
  assert.deepEqual(r.dispatched, ['b']);
});

test('a dispatch callback that completes a request re-enters dispatch safely', () => {
  const r = rig();
  let room = 1;
  const fc = new FlowController({
    clock: r.timers,
    timers: r.timers,
    canDispatch: () => room > 0,
    bandSettings: () => ({ maxRequests: 10, maxBytes: 1e9, ttlMs: 0, fairness: createGlobalStrictFairnessPolicy('g'), ordering: createFcfsOrderingPolicy('f') }),
    maxRequests: Infinity,
    maxBytes: Infinity,
    defaultTtlMs: 0,
  });
  room = 0;
  const order: number[] = [];
  for (let i = 0; i < 3; i++) {
    fc.enqueue({ flowId: 'f', priority: 0, bytes: 1, tokens: 1, ttlMs: 0, sloTtftMs: 0, model: '', targetModel: '' }, () => {
      order.push(i);
      fc.dispatch(); // e.g. the request failed at once and its completion pokes the controller
    });
  }
  room = 3;
  fc.dispatch();
  assert.deepEqual(order, [0, 1, 2]);
});

test('global bounds full: queued sheddable requests give way to higher priority ones, lowest band first', () => {
  const r = rig({ maxRequests: 3 });
  r.add('shed-1', { priority: -1 });
  r.add('shed-5', { priority: -5 });
  r.add('normal', { priority: 0 });
  r.add('high', { priority: 10 });
  assert.equal(r.outcomes.get('shed-5'), 'rejected-capacity', 'the lowest band goes first');
  assert.equal(r.outcomes.has('shed-1'), false);
  assert.equal(r.outcomes.has('high'), false, 'the newcomer is queued');
  r.add('another-shed', { priority: -1 });
  assert.equal(r.outcomes.get('another-shed'), 'rejected-capacity', 'no displacement within or above its own band');
  r.add('normal-2', { priority: 0 });
  assert.equal(r.outcomes.get('shed-1'), 'rejected-capacity');
  r.add('normal-3', { priority: 0 });
  assert.equal(r.outcomes.get('normal-3'), 'rejected-capacity', 'non-negative requests are never displaced');
  r.allow(10);
  assert.deepEqual(r.dispatched, ['high', 'normal', 'normal-2']);
});
