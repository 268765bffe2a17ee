import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomWorkload, sharedPrefix } from '../loadgen/synthetic.ts';
import { profile } from '../../sim/profile.ts';
import { runFastStage, type FleetSetup, type StageSpec } from './fast-sim.ts';
import { policy } from './policies.ts';
import { DEFAULT_SLO } from '../loadgen/results.ts';
import { withPriorityMix } from '../loadgen/priorities.ts';

const fleet: FleetSetup = {
  replicas: 4,
  engine: profile('llama3-8b-h100'),
  loraModules: [],
  scrapeIntervalMs: 50,
  metricsStalenessMs: 2000,
  networkMs: 0,
  drainTimeoutS: 600,
};

function stage(over: Partial<StageSpec> = {}): StageSpec {
  return { workload: randomWorkload(1, 200, 20), qps: 40, durationS: 5, maxRequests: 0, burstiness: 1, seed: 1, warmupRequests: 0, warmupQps: 0, ...over };
}

test('a run is reproducible from its seed', () => {
  const a = runFastStage(fleet, policy('default'), stage(), DEFAULT_SLO);
  const b = runFastStage(fleet, policy('default'), stage(), DEFAULT_SLO);
  assert.deepEqual(a, b);
  const c = runFastStage(fleet, policy('default'), stage({ seed: 2 }), DEFAULT_SLO);
  assert.notDeepEqual(a.ttft_ms, c.ttft_ms);
});

test('round-robin spreads requests evenly; every request completes below saturation', () => {
  const r = runFastStage(fleet, policy('round-robin'), stage(), DEFAULT_SLO);
  assert.equal(r.requests, 200);
  assert.equal(r.completed, 200);
  assert.deepEqual(Object.values(r.per_endpoint), [50, 50, 50, 50]);
  assert.ok(r.ttft_ms.p50 > 0 && r.ntpot_ms.p50 > 0);
});

test('the real scheduler keeps each shared prefix on its replica; round-robin spreads it', () => {
  // 2 groups x 40 prompts with 4,000-token system prompts; warm-up covers one pass.
  const workload = sharedPrefix({ groups: 2, promptsPerGroup: 40, systemPromptLen: 4000, questionLen: 50, outputLen: 10, seed: 3 });
  const s = stage({ workload, qps: 10, durationS: 8, warmupRequests: 80, warmupQps: 20 });
  const picker = runFastStage(fleet, policy('default'), s, DEFAULT_SLO);
  const rr = runFastStage(fleet, policy('round-robin'), s, DEFAULT_SLO);
  assert.equal(picker.requests, 80, 'warm-up requests are not measured');
  assert.ok(picker.prefix_hit_rate > 0.95, `picker hit rate ${picker.prefix_hit_rate}`);
  assert.ok(Object.keys(picker.per_endpoint).length <= 3, `picker used ${JSON.stringify(picker.per_endpoint)}`);
  assert.equal(Object.keys(rr.per_endpoint).length, 4);
});

test('"best" does not herd: p90 TTFT level with round-robin below saturation, where the default herds', () => {
  // 160 QPS of 200-token prompts on 4 replicas: 8 requests per 50 ms scrape interval.
  const s = stage({ workload: randomWorkload(1, 200, 20), qps: 160 });
  const rr = runFastStage(fleet, policy('round-robin'), s, DEFAULT_SLO).ttft_ms.p90;
  const herding = runFastStage(fleet, policy('default'), s, DEFAULT_SLO).ttft_ms.p90;
  const best = runFastStage(fleet, policy('best'), s, DEFAULT_SLO).ttft_ms.p90;
  assert.ok(herding > 1.5 * rr, `default p90 TTFT ${herding} ms vs round-robin ${rr} ms`);
  assert.ok(best < 1.05 * rr, `best p90 TTFT ${best} ms vs round-robin ${rr} ms`);
});

test('P/D fleet: the prefill leg runs on a prefill replica, the decode leg on a decode replica, after the KV transfer', () => {
  const pd = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefill-filter
- type: decode-filter
- type: queue-scorer
- type: max-score-picker
- type: always-disagg-pd-decider
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: always-disagg-pd-decider
schedulingProfiles:
- name: prefill
  plugins: [{pluginRef: prefill-filter}, {pluginRef: queue-scorer}, {pluginRef: max-score-picker}]
- name: decode
  plugins: [{pluginRef: decode-filter}, {pluginRef: queue-scorer}, {pluginRef: max-score-picker}]
`;
  const s = stage({ workload: randomWorkload(1, 2000, 20), qps: 10 });
  const spec = { name: 'pd', kind: 'picker' as const, configYaml: pd, description: '' };
  const roles = ['prefill', 'decode', 'decode', 'decode'];
  const slow = runFastStage({ ...fleet, roles, kvTransfer: { bytesPerToken: 131072, gbps: 1, baseMs: 0 } }, spec, s, DEFAULT_SLO);
  const fast = runFastStage({ ...fleet, roles, kvTransfer: { bytesPerToken: 131072, gbps: 100, baseMs: 0 } }, spec, s, DEFAULT_SLO);
  assert.equal(fast.completed, fast.requests);
  assert.equal(fast.disaggregated, fast.requests, 'every request ran a prefill stage');
  assert.deepEqual(Object.keys(fast.per_endpoint).sort(), ['replica-1', 'replica-2', 'replica-3'], 'only decode replicas answer clients');
  // ~2,000 tokens x 128 KiB at 1 GB/s is ~260 ms more before the first token than at 100 GB/s.
  assert.ok(slow.ttft_ms.p50 - fast.ttft_ms.p50 > 200, `TTFT p50 ${slow.ttft_ms.p50} vs ${fast.ttft_ms.p50} ms`);
  const aggregated = runFastStage({ ...fleet }, spec, s, DEFAULT_SLO);
  assert.equal(aggregated.disaggregated ?? 0, 0, 'without prefill pods the decider has nowhere to send a prefill');
});

test('fast mode: past saturation the picker sheds only sheddable requests; a baseline sheds nothing', () => {
  // 2 replicas with 200 KV blocks each, 600-token prompts at 40 QPS: the cache fills and requests queue.
  const fleet = { replicas: 2, engine: { ...profile('llama3-8b-h100'), numGpuBlocks: 200 }, loraModules: [], scrapeIntervalMs: 50, metricsStalenessMs: 2000, networkMs: 0, drainTimeoutS: 600 };
  const workload = withPriorityMix(randomWorkload(1, 600, 100), randomWorkload(2, 600, 100), {
    high: { objective: 'interactive', priority: 10, slo: { ttftMs: 500, ntpotMs: 30 } },
    low: { objective: 'batch', priority: -1, slo: { ttftMs: 20_000, ntpotMs: 150 } },
    highShare: 0.5,
    seed: 7,
  });
  const stage = { workload, qps: 40, durationS: 5, maxRequests: 0, burstiness: 1, seed: 1, warmupRequests: 0, warmupQps: 0 };
  const picker = runFastStage(fleet, policy('best'), stage, DEFAULT_SLO);
  assert.ok((picker.per_class?.batch?.shed ?? 0) > 0, `batch shed ${picker.per_class?.batch?.shed}`);
  assert.equal(picker.per_class?.interactive?.shed, 0);
  assert.equal(picker.shed, picker.per_class?.batch?.shed);
  const rr = runFastStage(fleet, policy('round-robin'), stage, DEFAULT_SLO);
  assert.equal(rr.shed, 0);
  assert.equal(rr.requests, picker.requests);
});
