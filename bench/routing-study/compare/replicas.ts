/**
 * Scenario "replicas" (issue 18): the shared-prefix and multi-turn workloads through 1, 2 and 4 picker
 * replicas in front of the same fleet, independent (each learns only from what it routes) or synced (the
 * production replica-sync code: deltas every --replica-sync-interval over an in-process bus). Fast mode: the
 * real picker, plugins and simulated engines in virtual time. Prints a markdown table: prefix hit rate and
 * p90 TTFT per setup (and relative to one replica), sync traffic per request.
 *
 *   node bench/routing-study/compare/replicas.ts [--seed N] [--interval-ms 5] [--load 1] [--policy best] [--quick]
 * (--load multiplies each workload's QPS.)
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SLO } from '../loadgen/results.ts';
import { multiTurn, sharedPrefix } from '../loadgen/synthetic.ts';
import type { Workload } from '../loadgen/workload.ts';
import { profile } from '../../sim/profile.ts';
import { runFastStage, type FleetSetup, type PickerReplicas, type StageSpec, type SyncTraffic } from './fast-sim.ts';
import { policy } from './policies.ts';

interface Setup {
  label: string;
  pickers: PickerReplicas;
}

interface Case {
  name: string;
  workload: (seed: number) => Workload;
  qps: number;
  durationS: number;
  warmupRequests: number;
  warmupQps: number;
}

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, 'interval-ms': { type: 'string', default: '5' }, quick: { type: 'boolean', default: false }, load: { type: 'string', default: '1' }, policy: { type: 'string', default: 'best' } } });
const seed = Number(values.seed);
const intervalMs = Number(values['interval-ms']);
const quick = values.quick === true;
const load = Number(values.load);

const CASES: Case[] = [
  {
    // The shared-prefix scenario's fleet and workload (scenarios.ts), at a load below the prefix-aware knee.
    name: 'shared-prefix',
    workload: (s) => sharedPrefix({ groups: 150, promptsPerGroup: 5, systemPromptLen: 6000, questionLen: 1200, outputLen: 1000, seed: s }),
    qps: 6,
    durationS: quick ? 30 : 90,
    warmupRequests: 750,
    warmupQps: 15,
  },
  {
    // 200 conversations x 6 turns: a 2,000-token opening, then 200-token answers and 200-token user turns.
    name: 'multi-turn',
    workload: (s) => multiTurn({ conversations: 200, turns: 6, firstLen: 2000, userLen: 200, answerLen: 200, outputLen: 200, seed: s }),
    qps: 12,
    durationS: quick ? 30 : 90,
    warmupRequests: 0,
    warmupQps: 0,
  },
];

const SETUPS: Setup[] = [
  { label: '1 replica', pickers: { count: 1, sync: false, syncIntervalMs: intervalMs } },
  { label: '2 independent', pickers: { count: 2, sync: false, syncIntervalMs: intervalMs } },
  { label: '2 synced', pickers: { count: 2, sync: true, syncIntervalMs: intervalMs } },
  { label: '4 independent', pickers: { count: 4, sync: false, syncIntervalMs: intervalMs } },
  { label: '4 synced', pickers: { count: 4, sync: true, syncIntervalMs: intervalMs } },
];

const fleet: FleetSetup = { replicas: 4, engine: profile('llama3-8b-h100'), loraModules: [], scrapeIntervalMs: 50, metricsStalenessMs: 2000, networkMs: 0, drainTimeoutS: 600 };
const p = policy(values.policy ?? 'best');

console.log(`replicas scenario: policy ${p.name}, 4 x llama3-8b-h100, seed ${seed}, sync interval ${intervalMs} ms, QPS ${CASES.map((c) => `${c.name} ${c.qps * load}`).join(', ')}${quick ? ', quick' : ''}\n`);
console.log('| workload | pickers | prefix hit rate | vs 1 | p90 TTFT ms | vs 1 | sync bytes / request | sync messages / request |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const c of CASES) {
  const workload = c.workload(seed);
  let base: { hit: number; ttft: number } | null = null;
  for (const s of SETUPS) {
    const stage: StageSpec = { workload, qps: c.qps * load, durationS: c.durationS, maxRequests: 0, burstiness: 1, seed, warmupRequests: c.warmupRequests, warmupQps: c.warmupQps };
    const traffic: SyncTraffic = { messages: 0, bytes: 0 };
    const r = runFastStage(fleet, p, stage, DEFAULT_SLO, s.pickers, traffic);
    const hit = r.prefix_hit_rate;
    const ttft = r.ttft_ms.p90;
    base ??= { hit, ttft };
    // Every request of the stage (warm-up included) is routed, and can add to the sync traffic.
    const routed = r.requests + c.warmupRequests;
    const perReq = (x: number): string => (s.pickers.sync ? (x / routed).toFixed(s.pickers.sync ? 2 : 0) : '–');
    console.log(
      `| ${c.name} | ${s.label} | ${hit.toFixed(3)} | ${(hit / base.hit).toFixed(3)} | ${ttft.toFixed(0)} | ${(ttft / base.ttft).toFixed(2)} | ${perReq(traffic.bytes)} | ${perReq(traffic.messages)} |`,
    );
  }
}
