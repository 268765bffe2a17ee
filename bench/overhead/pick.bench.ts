/**
 * Scheduler micro-benchmark.
 *   1. ns per pick (DataProducer hooks, schedule(), PreRequest and ResponseComplete hooks: what the director runs
 *      around a pick) with the default plugins (queue 2, kv 2, prefix 3, max-score-picker) at 10, 100 and
 *      1,000 endpoints, empty prompt (no prefix hashing);
 *   2. prefix hashing alone (hashPromptBlocks over the whole prompt) for a 2 KB and a 32 KB prompt: ns, MB/s;
 *   3. schedule() at 100 endpoints with a 2 KB / 32 KB prompt (hash, match, index update; the default
 *      256-block window covers 16 KB);
 *   4. heap growth and GC count over 1,000,000 schedules at 100 endpoints (0 GCs = no allocation);
 *   5. the cost of per-plugin timing: schedule() at 100 endpoints with a no-op onPluginDuration hook;
 *   6. the prefix index at 100 endpoints filled to the default 31,250 blocks each: prefix-cache score() +
 *      preRequest() of a new 2 KB prompt (32 new blocks: lookups, inserts and the evictions they cause),
 *      against the same on an empty index, and the index's bytes per entry.
 *   7. configs: the chart default and llm-d's optimized baseline (prefix-cache-affinity-filter + token-load-scorer)
 *      at 100 endpoints with 2 KB prompts over 40 prompt groups: ns per cycle and GCs over 200,000 cycles.
 * Medians over batches; bounded to a few seconds.
 * Run: npm exec -- node --expose-gc bench/overhead/pick.bench.ts
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { Endpoint } from '../../src/framework/endpoint.ts';
import { inTreePluginRegistry } from '../../src/plugins/registry.ts';
import { createPrefixCacheScorer } from '../../src/plugins/scheduling/scorer/prefix-cache/prefix-cache.ts';
import { hashPromptBlocks } from '../../src/plugins/requestcontrol/data-producer/approx-prefix-cache/prefix-hash.ts';
import { loadSchedulerConfig } from '../../src/config/loader.ts';
import type { SchedulerObserver } from '../../src/scheduling/scheduler.ts';
import type { LLMRequest } from '../../src/framework/request.ts';
import { LLMResponse } from '../../src/framework/requestcontrol.ts';
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

const RESPONSE = new LLMResponse();

/**
 * What the director runs around one pick, parsing aside: the DataProducer hooks, the scheduling cycle, the
 * PreRequest hooks, and the ResponseComplete hooks when the request ends (in-flight load released).
 */
function newScheduler(observer?: SchedulerObserver, configText?: string): { schedule(req: LLMRequest, eps: readonly Endpoint[]): ScheduleOutcome } {
  const loaded = loadSchedulerConfig(configText, testHandle(), { registry: inTreePluginRegistry(), ...(observer ? { observer } : {}) });
  const scheduler = loaded.scheduler;
  const { dataProducers: produce, preRequest: pre, responseComplete: done } = loaded.requestControl;
  return {
    schedule(req, eps) {
      for (let i = 0; i < produce.length; i++) produce[i]!.produce(req, eps);
      const r = scheduler.schedule(req, eps);
      if (!r.ok) return r;
      for (let i = 0; i < pre.length; i++) pre[i]!.preRequest(req, r);
      const ep = r.primary.endpoints[0]!;
      for (let i = 0; i < done.length; i++) done[i]!.responseComplete(req, RESPONSE, ep);
      return r;
    },
  };
}

/** llm-d's 2026 optimized-baseline / prefill profile: prefix-cache-affinity-filter then token-load-scorer. */
const OPTIMIZED_BASELINE = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: approx-prefix-cache-producer
- type: prefix-cache-affinity-filter
- type: token-load-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: prefix-cache-affinity-filter
  - pluginRef: token-load-scorer
  - pluginRef: max-score-picker
`;

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

// 7. configs: chart default and optimized baseline, 2 KB prompts from 40 groups (affinity has something to find).
const configs: Record<string, { ns: number; gcs: number }> = {};
for (const [label, text] of [['chartDefault', undefined], ['optimizedBaseline', OPTIMIZED_BASELINE]] as const) {
  const scheduler = newScheduler(undefined, text);
  const eps = variedEndpoints(100);
  const reqs = Array.from({ length: 40 }, (_, g) => makeRequest({ promptText: randomText(2048, 100 + g) }));
  let i = 0;
  const one = () => {
    const r = scheduler.schedule(reqs[i++ % reqs.length]!, eps);
    if (r.ok) sink += r.primary.count;
  };
  const ns = nsPerCall(one, 400);
  gc?.();
  await new Promise((r) => setImmediate(r));
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let k = 0; k < 200_000; k++) one();
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  configs[label] = { ns, gcs };
}

const result = {
  node: process.version,
  pickNsMedian: pick,
  prefixHashing: hashing,
  schedule100WithPromptNsMedian: withPrompt,
  pick100WithPluginTimingNsMedian: timedNs,
  prefixIndexChurn100: churn,
  configs100With2KBPrompts: configs,
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
    `configs at 100 eps, 2 KB prompts: chart default ${us(configs.chartDefault!.ns)} (${configs.chartDefault!.gcs} GCs / 200k), optimized baseline ${us(configs.optimizedBaseline!.ns)} (${configs.optimizedBaseline!.gcs} GCs / 200k)`,
    `1M picks at 100 eps: ${result.million.meanNsPerPick.toFixed(0)} ns/pick, ${gcDuringLoop} GCs, heap +${result.million.heapDeltaBytesNoGc} B before GC, ${gc ? `+${result.million.heapDeltaBytesAfterGc} B after GC` : 'GC not exposed'}`,
  ].join('\n'),
);
