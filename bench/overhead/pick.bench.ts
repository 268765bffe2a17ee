/**
 * Scheduler micro-benchmark.
 *   1. ns per pick (schedule() and the PreRequest hooks) with the default plugins (queue 2, kv 2, prefix 3, max-score-picker) at 10, 100 and
 *      1,000 endpoints, empty prompt (no prefix hashing);
 *   2. prefix hashing alone (hashPromptBlocks over the whole prompt) for a 2 KB and a 32 KB prompt: ns, MB/s;
 *   3. schedule() at 100 endpoints with a 2 KB / 32 KB prompt (hash, match, index update; the default
 *      256-block window covers 16 KB);
 *   4. heap growth and GC count over 1,000,000 schedules at 100 endpoints (0 GCs = no allocation);
 *   5. the cost of per-plugin timing: schedule() at 100 endpoints with a no-op onPluginDuration hook;
 *   6. the prefix index at 100 endpoints filled to the default 31,250 blocks each: prefix-cache score() +
 *      preRequest() of a new 2 KB prompt (32 new blocks: lookups, inserts and the evictions they cause),
 *      against the same on an empty index, and the index's bytes per entry.
 * Medians over batches; bounded to a few seconds.
 * Run: npm exec -- node --expose-gc bench/overhead/pick.bench.ts
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { Endpoint } from '../../src/framework/endpoint.ts';
import { inTreePluginRegistry } from '../../src/plugins/registry.ts';
import { createPrefixCacheScorer } from '../../src/plugins/scheduling/scorer/prefix-cache/prefix-cache.ts';
import { hashPromptBlocks } from '../../src/plugins/scheduling/scorer/prefix-cache/prefix-hash.ts';
import { loadSchedulerConfig } from '../../src/config/loader.ts';
import type { SchedulerObserver } from '../../src/scheduling/scheduler.ts';
import type { LLMRequest } from '../../src/framework/request.ts';
import type { ScheduleOutcome } from '../../src/framework/scheduling.ts';
import { forcedGc, makeRequest, scheduledOn, testHandle, testText, variedEndpoints } from '../../test/support/scheduling/testing.ts';

const BATCHES = 31;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median ns per call of fn over BATCHES batches of `perBatch` calls, after a warm-up. */
function nsPerCall(fn: () => void, perBatch: number): number {
  for (let i = 0; i < perBatch * 3; i++) fn();
  const samples: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push(((performance.now() - t0) * 1e6) / perBatch);
  }
  return median(samples);
}

/** A scheduling cycle plus the PreRequest hooks the director runs right after it: what one pick costs. */
function newScheduler(observer?: SchedulerObserver): { schedule(req: LLMRequest, eps: readonly Endpoint[]): ScheduleOutcome } {
  const loaded = loadSchedulerConfig(undefined, testHandle(), { registry: inTreePluginRegistry(), ...(observer ? { observer } : {}) });
  const scheduler = loaded.scheduler;
  const pre = loaded.requestControl.preRequest;
  return {
    schedule(req, eps) {
      const r = scheduler.schedule(req, eps);
      if (r.ok) for (let i = 0; i < pre.length; i++) pre[i]!.preRequest(req, r);
      return r;
    },
  };
}

const randomText = (len: number, seed: number): string => testText(len, seed, true);

let sink = 0;

// 1. pick cost by pool size
const pick: Record<string, number> = {};
for (const n of [10, 100, 1000]) {
  const scheduler = newScheduler();
  const eps = variedEndpoints(n);
  const req = makeRequest();
  pick[n] = nsPerCall(() => {
    const r = scheduler.schedule(req, eps);
    if (r.ok) sink += r.primary.count;
  }, Math.max(200, Math.floor(400_000 / n)));
}

// 2. hashing alone
const hashing: Record<string, { ns: number; mbPerS: number }> = {};
for (const [label, bytes] of [['2KB', 2048], ['32KB', 32768]] as const) {
  const text = randomText(bytes, bytes);
  const blocks = Math.ceil(bytes / 64);
  const hi = new Int32Array(blocks);
  const lo = new Int32Array(blocks);
  const ns = nsPerCall(() => {
    sink += hashPromptBlocks(text, 64, blocks, 1, 2, hi, lo);
  }, Math.max(50, Math.floor(4_000_000 / bytes)));
  hashing[label] = { ns, mbPerS: (bytes / ns) * 1e3 };
}

// 3. schedule() with a prompt: two alternating requests defeat the per-request hash cache.
const withPrompt: Record<string, number> = {};
for (const [label, bytes] of [['2KB', 2048], ['32KB', 32768]] as const) {
  const scheduler = newScheduler();
  const eps = variedEndpoints(100);
  const reqs = [makeRequest({ promptText: randomText(bytes, 1) }), makeRequest({ promptText: randomText(bytes, 2) })];
  let i = 0;
  withPrompt[label] = nsPerCall(() => {
    const r = scheduler.schedule(reqs[i++ & 1]!, eps);
    if (r.ok) sink += r.primary.count;
  }, 400);
}

// 5. per-plugin timing on (hook does nothing: measures the performance.now() calls and hook dispatch only)
let hookCalls = 0;
const timed = newScheduler({ onPluginDuration: () => void hookCalls++ });
const timedEps = variedEndpoints(100);
const timedReq = makeRequest();
const timedNs = nsPerCall(() => {
  const r = timed.schedule(timedReq, timedEps);
  if (r.ok) sink += r.primary.count;
}, 4000);
sink += hookCalls & 1;

// 4. allocation: 1M schedules at 100 endpoints
const gc = forcedGc();
let gcCount = 0;
const observer = new PerformanceObserver((list) => {
  gcCount += list.getEntries().length;
});
const scheduler = newScheduler();
const eps: Endpoint[] = variedEndpoints(100);
const req = makeRequest();
for (let i = 0; i < 50_000; i++) scheduler.schedule(req, eps);
gc?.();
await new Promise((r) => setImmediate(r));
observer.observe({ entryTypes: ['gc'] });
const heapBefore = process.memoryUsage().heapUsed;
const t0 = performance.now();
for (let i = 0; i < 1_000_000; i++) {
  const r = scheduler.schedule(req, eps);
  if (r.ok) sink += r.primary.count;
}
const loopMs = performance.now() - t0;
const heapAfterNoGc = process.memoryUsage().heapUsed;
await new Promise((r) => setImmediate(r));
observer.disconnect();
const gcDuringLoop = gcCount;
gc?.();
const heapAfterGc = process.memoryUsage().heapUsed;

// 6. prefix index churn: every request brings 32 new blocks to an endpoint whose slot is full.
const churn = (() => {
  const eps = variedEndpoints(100);
  const scorer = createPrefixCacheScorer('prefix', { autoTune: false }, testHandle());
  const onEach = eps.map((ep) => scheduledOn(ep));
  const text = randomText(1 << 22, 9);
  const out = new Float64Array(eps.length);
  let next = 0;
  const cycle = () => {
    const start = (next * 61) % (text.length - 2048);
    const req = makeRequest({ promptText: text.slice(start, start + 2048) });
    scorer.score(req, eps, eps.length, out);
    scorer.preRequest(req, onEach[next % eps.length]!);
    next++;
    sink += out[0]!;
  };
  const timeCycles = (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) cycle();
    return ((performance.now() - t0) * 1e6) / n;
  };
  const emptyNs = timeCycles(2000);
  const fillStart = performance.now();
  const capacity = 100 * 31_250;
  while (scorer.indexEntries() < capacity * 0.87) cycle();
  for (let i = 0; i < 20_000; i++) cycle(); // past capacity: the eviction path is in steady state
  const fillS = (performance.now() - fillStart) / 1000;
  const fullNs = timeCycles(20_000);
  const entries = scorer.indexEntries();
  return { emptyNs, fullNs, entries, fillSeconds: fillS, bytesPerEntry: scorer.indexBytes() / entries };
})();

const result = {
  node: process.version,
  pickNsMedian: pick,
  prefixHashing: hashing,
  schedule100WithPromptNsMedian: withPrompt,
  pick100WithPluginTimingNsMedian: timedNs,
  prefixIndexChurn100: churn,
  million: {
    endpoints: 100,
    picks: 1_000_000,
    meanNsPerPick: (loopMs * 1e6) / 1_000_000,
    gcCount: gcDuringLoop,
    heapDeltaBytesNoGc: heapAfterNoGc - heapBefore,
    heapDeltaBytesAfterGc: gc ? heapAfterGc - heapBefore : null,
  },
  sink,
};

console.log(JSON.stringify(result, null, 2));
const us = (ns: number) => `${(ns / 1000).toFixed(2)} us`;
console.log(
  [
    `pick (default plugins, empty prompt): 10 eps ${us(pick[10]!)}, 100 eps ${us(pick[100]!)}, 1000 eps ${us(pick[1000]!)}`,
    `prefix hashing: 2 KB ${us(hashing['2KB']!.ns)} (${hashing['2KB']!.mbPerS.toFixed(0)} MB/s), 32 KB ${us(hashing['32KB']!.ns)} (${hashing['32KB']!.mbPerS.toFixed(0)} MB/s)`,
    `pick at 100 eps with per-plugin timing hook: ${us(timedNs)}`,
    `schedule at 100 eps with prompt: 2 KB ${us(withPrompt['2KB']!)}, 32 KB ${us(withPrompt['32KB']!)}`,
    `prefix score + preRequest, new 2 KB prompt, 100 eps: empty index ${us(churn.emptyNs)}, full index (${churn.entries.toLocaleString('en-US')} entries, ${churn.bytesPerEntry.toFixed(1)} B/entry) ${us(churn.fullNs)}`,
    `1M picks at 100 eps: ${result.million.meanNsPerPick.toFixed(0)} ns/pick, ${gcDuringLoop} GCs, heap +${result.million.heapDeltaBytesNoGc} B before GC, ${gc ? `+${result.million.heapDeltaBytesAfterGc} B after GC` : 'GC not exposed'}`,
  ].join('\n'),
);
