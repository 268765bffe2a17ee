/**
 * Scenario "replicas", end-to-end mode: real `epp` processes (1, 2 independent, 2 and 4 synced over ZMQ with
 * --replica-sync on 127.0.0.1) behind the local gateway, which spreads requests over them round-robin as Envoy
 * does over several ext_proc hosts, in front of the simulator's HTTP engines. Prints prefix hit rate and p90
 * TTFT per setup, like replicas.ts (fast mode) does.
 *
 *   node bench/routing-study/compare/replicas-e2e.ts [--seed N] [--policy best] [--qps 6] [--duration 20] [--time-scale 2]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SLO } from '../loadgen/results.ts';
import { sharedPrefix } from '../loadgen/synthetic.ts';
import { profile } from '../../sim/profile.ts';
import { runE2eStage, type E2eFleet } from './e2e.ts';
import type { StageSpec } from './fast-sim.ts';
import { policy } from './policies.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    policy: { type: 'string', default: 'best' },
    qps: { type: 'string', default: '6' },
    duration: { type: 'string', default: '20' },
    'time-scale': { type: 'string', default: '2' },
  },
});
const seed = Number(values.seed);
const p = policy(values.policy!);
const base: E2eFleet = {
  replicas: 4,
  profileName: 'llama3-8b-h100',
  engine: profile('llama3-8b-h100'),
  loraModules: [],
  timeScale: Number(values['time-scale']),
  scrapeIntervalMs: 50,
  metricsStalenessMs: 2000,
  drainTimeoutS: 120,
};
const SETUPS: { label: string; pickers: number; sync: boolean }[] = [
  { label: '1 replica', pickers: 1, sync: false },
  { label: '2 independent', pickers: 2, sync: false },
  { label: '2 synced', pickers: 2, sync: true },
  { label: '4 synced', pickers: 4, sync: true },
];
// 12 groups x 10 prompts: a 2,000-token shared system prompt, 200-token questions (a short stage sees each group often).
const workload = sharedPrefix({ groups: 12, promptsPerGroup: 10, systemPromptLen: 2000, questionLen: 200, outputLen: 100, seed });
const stage: StageSpec = { workload, qps: Number(values.qps), durationS: Number(values.duration), maxRequests: 0, burstiness: 1, seed, warmupRequests: 0, warmupQps: 0 };

console.log(`replicas scenario, e2e: policy ${p.name}, 4 x llama3-8b-h100 (epp-sim), shared-prefix (12 x 10) at ${stage.qps} QPS for ${stage.durationS} s, time scale ${base.timeScale}, seed ${seed}\n`);
console.log('| pickers | prefix hit rate | vs 1 | p90 TTFT ms | vs 1 | done/sent |');
console.log('|---|---:|---:|---:|---:|---:|');
let first: { hit: number; ttft: number } | null = null;
for (const s of SETUPS) {
  const r = await runE2eStage({ ...base, pickers: s.pickers, pickerSync: s.sync }, p, stage, DEFAULT_SLO, `e2e ${s.label}`);
  first ??= { hit: r.prefix_hit_rate, ttft: r.ttft_ms.p90 };
  console.log(
    `| ${s.label} | ${r.prefix_hit_rate.toFixed(3)} | ${(r.prefix_hit_rate / first.hit).toFixed(3)} | ${r.ttft_ms.p90.toFixed(0)} | ${(r.ttft_ms.p90 / first.ttft).toFixed(2)} | ${r.completed}/${r.requests} |`,
  );
}
