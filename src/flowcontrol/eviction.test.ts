/**
 * flowControl.enableEviction at the controller: a pool of fixed capacity whose saturation is running/capacity
 * (the concurrency detector's figure), requests that hold a lease while they run, a manual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createGlobalStrictFairnessPolicy } from '../plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { FlowController } from './controller.ts';
import type { InFlightLease } from './in-flight.ts';
import { DEFAULT_RECLAMATION, Reclamation, type ReclamationObserver } from './reclamation.ts';
import client from 'prom-client';
import { FlowControlMetrics } from '../observability/flowcontrol-metrics.ts';
import { ManualTimers } from './timers.ts';

interface Pool {
  fc: FlowController;
  timers: ManualTimers;
  /** Labels of evicted requests, in eviction order. */
  evicted: string[];
  /** Labels of queued requests that were dispatched. */
  dispatched: string[];
  /** A request that is already running (routed without queueing), at `priority`. */
  run(label: string, priority: number): void;
  /** A request that goes through the queue. */
  submit(label: string, priority: number): void;
  running(): number;
}

/** `streamsEnd`: an evicted stream ends at once (its lease is released); false models a stream that hangs. */
function pool(capacity: number, o: { eviction?: boolean; streamsEnd?: boolean; observer?: ReclamationObserver } = {}): Pool {
  const timers = new ManualTimers();
  const leases = new Map<string, InFlightLease>();
  const reclamation = o.eviction === false ? undefined : new Reclamation(timers, DEFAULT_RECLAMATION, o.observer ?? null);
  const base = { maxRequests: 5000, maxBytes: 1e9, ttlMs: 0, fairness: createGlobalStrictFairnessPolicy('gs'), ordering: createFcfsOrderingPolicy('fcfs') };
  let running = 0;
  const saturation = () => running / capacity;
  const fc = new FlowController({
    clock: timers,
    timers,
    canDispatch: () => saturation() < 1,
    saturation,
    bandSettings: () => base,
    maxRequests: Infinity,
    maxBytes: Infinity,
    defaultTtlMs: 60_000,
    reclamation,
  });
  const p: Pool = {
    fc,
    timers,
    evicted: [],
    dispatched: [],
    run(label, priority) {
      running++;
      const lease = fc.inFlight?.track(priority, () => {
        p.evicted.push(label);
        if (o.streamsEnd === false) return;
        running--;
        fc.inFlight!.release(leases.get(label)!);
        fc.dispatch();
      });
      if (lease !== undefined) leases.set(label, lease);
    },
    submit(label, priority) {
      fc.enqueue({ flowId: 'f', priority, bytes: 10, tokens: 3, ttlMs: 0, sloTtftMs: 0, model: 'm', targetModel: 'm' }, (outcome) => {
        if (outcome !== 'dispatched') return;
        p.dispatched.push(label);
        p.run(label, priority);
      });
    },
    running: () => running,
  };
  return p;
}

test('a priority-0 request blocked by sheddable in-flight work evicts the lowest-priority, newest one, and is dispatched', () => {
  const p = pool(4);
  p.run('old-1', -1);
  p.run('old-2', -2);
  p.run('new-1', -1);
  p.run('new-2', -2);
  p.submit('hi', 0);
  assert.deepEqual(p.evicted, ['new-2'], 'lowest priority first, then the latest dispatched (least KV invested)');
  assert.deepEqual(p.dispatched, ['hi'], 'the freed slot goes to the waiting request in the same cycle');
  assert.equal(p.fc.size, 0);
  assert.equal(p.fc.inFlight!.inFlight, 4);
  assert.equal(p.fc.inFlight!.evictable, 3);
});

test('pacing: after a confirmed eviction the next one waits for the grace period', async () => {
  const registry = new client.Registry();
  const p = pool(2, { observer: new FlowControlMetrics(registry, 'pool') });
  p.run('a', -1);
  p.run('b', -1);
  p.submit('hi-1', 0);
  assert.deepEqual(p.evicted, ['b']);
  p.submit('hi-2', 0);
  assert.deepEqual(p.evicted, ['b'], 'gate closed while the first eviction cools');
  p.timers.advance(DEFAULT_RECLAMATION.graceMs - 1);
  p.fc.dispatch();
  assert.deepEqual(p.evicted, ['b']);
  p.timers.advance(1);
  p.fc.dispatch();
  assert.deepEqual(p.evicted, ['b', 'a']);
  assert.deepEqual(p.dispatched, ['hi-1', 'hi-2']);
  assert.match(await registry.metrics(), /llm_d_epp_flow_control_revocations_total\{outcome="confirmed",inference_pool="pool"\} 2/);
});

test('sizing: deficit over the mean footprint, capped at two per decision', () => {
  const p = pool(4);
  // 8 running over 4 slots: saturation 2, credit 2/8; (2 - 1) / 0.25 = 4 victims wanted, 2 allowed.
  for (let i = 0; i < 8; i++) p.run(`s${i}`, -1);
  p.submit('hi', 0);
  assert.deepEqual(p.evicted, ['s7', 's6']);
  assert.deepEqual(p.dispatched, [], 'still saturated (6/4): the request keeps waiting');
  assert.equal(p.fc.size, 1);
});

test('reclaim target and pending reclaim: set by a sizing decision', async () => {
  const registry = new client.Registry();
  const p = pool(4, { observer: new FlowControlMetrics(registry, 'pool') });
  const gauge = async (name: string) => Number(new RegExp(`^llm_d_epp_flow_control_${name}\\{inference_pool="pool"\\} (\\S+)$`, 'm').exec(await registry.metrics())?.[1]);
  for (let i = 0; i < 8; i++) p.run(`s${i}`, -1);
  p.submit('hi', 0);
  // Saturation 8/4 = 2 over ceiling 1: deficit 1; two victims at credit 2/8 each.
  assert.deepEqual(p.evicted, ['s7', 's6']);
  assert.equal(await gauge('reclaim_target'), 1);
  assert.equal(await gauge('pending_reclaim'), 0.5);
});

test('pending reclaim back to zero once the debits cool', async () => {
  const registry = new client.Registry();
  const p = pool(2, { observer: new FlowControlMetrics(registry, 'pool') });
  const gauge = async (name: string) => Number(new RegExp(`^llm_d_epp_flow_control_${name}\\{inference_pool="pool"\\} (\\S+)$`, 'm').exec(await registry.metrics())?.[1]);
  p.run('a', -1);
  p.run('b', -1);
  p.submit('hi', 0); // saturation 1 at ceiling 1: deficit 0, one victim at credit 1/2; hi then runs
  assert.deepEqual(p.dispatched, ['hi']);
  assert.equal(await gauge('reclaim_target'), 0);
  assert.equal(await gauge('pending_reclaim'), 0.5);
  p.timers.advance(DEFAULT_RECLAMATION.graceMs);
  // A queued request at the victims' own priority opens the gate (the cooled debit is released), no decision.
  p.submit('same', -1);
  assert.deepEqual(p.evicted, ['b']);
  assert.equal(await gauge('pending_reclaim'), 0);
});

test('nothing is evicted when eviction is disabled', () => {
  const p = pool(2, { eviction: false });
  p.run('a', -1);
  p.run('b', -1);
  p.submit('hi', 0);
  assert.equal(p.fc.inFlight, null);
  assert.deepEqual(p.evicted, []);
  assert.deepEqual(p.dispatched, []);
  assert.equal(p.fc.size, 1);
});

test('nothing is evicted when no sheddable request is in flight, nor for demand at or below the victims’ priority', () => {
  const p = pool(2);
  p.run('a', 0);
  p.run('b', 0);
  p.submit('hi', 1);
  assert.deepEqual(p.evicted, [], 'priority 0 is not sheddable');
  assert.equal(p.fc.inFlight!.evictable, 0);

  const q = pool(2);
  q.run('a', -1);
  q.run('b', -1);
  q.submit('same', -1);
  q.submit('lower', -3);
  assert.deepEqual(q.evicted, [], 'no same-band churn, and no eviction for lower demand');
  assert.equal(q.fc.size, 2);
});

test('an eviction whose stream never ends holds the gate until the confirmation timeout', async () => {
  const registry = new client.Registry();
  const p = pool(1, { streamsEnd: false, observer: new FlowControlMetrics(registry, 'pool') });
  p.run('a', -1);
  p.run('b', -1);
  p.submit('hi', 0);
  assert.deepEqual(p.evicted, ['b']);
  assert.equal(p.fc.inFlight!.inFlight, 1, 'an evicted lease leaves the in-flight count at once');
  p.timers.advance(DEFAULT_RECLAMATION.timeoutMs - 1);
  p.fc.dispatch();
  assert.deepEqual(p.evicted, ['b']);
  p.timers.advance(1);
  p.fc.dispatch();
  assert.deepEqual(p.evicted, ['b'], 'timed out: treated as confirmed, its debit cools from now');
  p.timers.advance(DEFAULT_RECLAMATION.graceMs);
  p.fc.dispatch();
  assert.deepEqual(p.evicted, ['b', 'a'], 'cooled: the next decision runs');
  const text = await registry.metrics();
  assert.match(text, /llm_d_epp_flow_control_revocations_issued_total\{priority="0",inference_pool="pool"\} 2/);
  assert.match(text, /llm_d_epp_flow_control_revocations_total\{outcome="timed_out",inference_pool="pool"\} 1/);
});

test('a lease is released exactly once', () => {
  const p = pool(4);
  p.run('a', -1);
  const leases = p.fc.inFlight!;
  const lease = leases.track(-1, () => {});
  assert.equal(leases.inFlight, 2);
  leases.release(lease);
  leases.release(lease);
  assert.equal(leases.inFlight, 1);
  assert.equal(leases.evictable, 1);
});
