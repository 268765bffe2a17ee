/**
 * npm run bench:flow-control-overhead: what queueing costs per request in the production FlowController:
 * enqueue + dispatch with `depth` requests waiting over `flows` flows (per fairness policy), and cancel from
 * the middle of the queue. ns per request, median of 5 runs.
 */
import { FlowController } from '../../src/flowcontrol/controller.ts';
import type { QueuedRequest } from '../../src/flowcontrol/queued-request.ts';
import { ManualTimers } from '../../src/flowcontrol/timers.ts';
import type { FairnessPolicy, UsageLimitPolicy } from '../../src/framework/flowcontrol.ts';
import { createFairShareHoldbackPolicy } from '../../src/plugins/flowcontrol/usage-limit/fair-share-holdback/fair-share-holdback.ts';
import { createSoftReflectiveCeilingPolicy } from '../../src/plugins/flowcontrol/usage-limit/soft-reflective-ceiling/soft-reflective-ceiling.ts';
import { createFcfsOrderingPolicy } from '../../src/plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createGlobalStrictFairnessPolicy } from '../../src/plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { createRoundRobinFairnessPolicy } from '../../src/plugins/flowcontrol/fairness/round-robin/round-robin.ts';
import { createTokenFairQueueingPolicy } from '../../src/plugins/flowcontrol/fairness/token-fair-queueing/token-fair-queueing.ts';

const N = 200_000;

function run(fairness: FairnessPolicy, depth: number, flows: number, usageLimit?: UsageLimitPolicy): { steady: number; cancel: number } {
  const t = new ManualTimers();
  let room = 0;
  const fc = new FlowController({ clock: t, timers: t, canDispatch: () => room > 0, bandSettings: () => ({ maxRequests: 1e9, maxBytes: 1e15, ttlMs: 0, fairness, ordering: createFcfsOrderingPolicy('f') }), maxRequests: Infinity, maxBytes: Infinity, defaultTtlMs: 60_000, usageLimit, saturation: () => 0.97 });
  const done = () => {
    room--;
  };
  let i = 0;
  const input = () => ({ flowId: `flow-${i++ % flows}`, priority: 0, bytes: 1000, tokens: 250 + (i % 7) * 100, ttlMs: 0, sloTtftMs: 0, model: 'm', targetModel: 'm' });
  for (let k = 0; k < depth; k++) fc.enqueue(input(), done);
  // Steady state at `depth`: each request in lets one out.
  let t0 = process.hrtime.bigint();
  for (let k = 0; k < N; k++) {
    fc.enqueue(input(), done);
    room = 1;
    fc.dispatch();
  }
  const steady = Number(process.hrtime.bigint() - t0) / N;
  const items: QueuedRequest[] = [];
  for (let k = 0; k < N; k++) items.push(fc.enqueue(input(), done));
  t0 = process.hrtime.bigint();
  for (let k = N - 1; k >= 0; k -= 2) fc.cancel(items[k]!);
  const cancel = Number(process.hrtime.bigint() - t0) / (N / 2);
  return { steady, cancel };
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| fairness | queued | flows | enqueue+dispatch ns/request | cancel ns/request |');
console.log('|---|---:|---:|---:|---:|');
for (const entry of [
  ['global-strict', () => createGlobalStrictFairnessPolicy('g')],
  ['round-robin', () => createRoundRobinFairnessPolicy('r')],
  ['token-fair-queueing', () => createTokenFairQueueingPolicy('t')],
  // With a usage limit (saturation held at 0.97: the ceilings are computed, per flow for fair-share-holdback).
  ['token-fair-queueing + soft-reflective-ceiling', () => createTokenFairQueueingPolicy('t'), () => createSoftReflectiveCeilingPolicy('s', undefined)],
  ['token-fair-queueing + fair-share-holdback', () => createTokenFairQueueingPolicy('t'), () => createFairShareHoldbackPolicy('h', { holdback: 0 })],
] as const) {
  for (const [depth, flows] of [
    [100, 1],
    [10_000, 1],
    [10_000, 10],
    [10_000, 100],
  ]) {
    const limit = 2 in entry ? entry[2] : undefined;
    const rs = Array.from({ length: 5 }, () => run(entry[1](), depth!, flows!, limit?.()));
    console.log(`| ${entry[0]} | ${depth} | ${flows} | ${median(rs.map((r) => r.steady)).toFixed(0)} | ${median(rs.map((r) => r.cancel)).toFixed(0)} |`);
  }
}
