/**
 * The prefill/decode study (issue 16): the same GPU count run aggregated (every replica prefills and decodes)
 * and disaggregated at several prefill:decode ratios, with upstream's prefix-based-pd-decider and with our
 * load-aware-pd-decider, on long-prompt workloads where disaggregation matters. Fast mode (virtual time):
 * the production picker, scheduler and disagg-profile-handler decide; the prefill leg runs on the prefill
 * replica with max_tokens 1 (the routing sidecar's NIXL v2 leg) and its KV moves to the decode replica.
 *
 *   node bench/routing-study/pd-study.ts                       the full table (3 seeds), a few minutes
 *   node bench/routing-study/pd-study.ts --seeds 1 --qps 6      one quick point
 *
 * Writes bench/routing-study/report/evidence/pd/report.md (override with --out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFastStage, type FleetSetup, type KvTransfer, type StageSpec } from './compare/fast-sim.ts';
import { BEST_CONFIG_YAML, type PolicySpec } from './compare/policies.ts';
import { DEFAULT_SLO, type RunResult, type Slo } from './loadgen/results.ts';
import { randomWorkload, syntheticShareGpt } from './loadgen/synthetic.ts';
import type { Workload } from './loadgen/workload.ts';
import { profile } from '../sim/profile.ts';

const GPUS = 8;
const ENGINE = profile('llama3-8b-h100');
/** Llama-3-8B bf16 KV (2·32 layers·8 KV heads·128·2 B) over a 400 Gb/s RDMA NIC at half its line rate (assumed). */
const KV: KvTransfer = { bytesPerToken: 131072, gbps: 25, baseMs: 2 };
/** Interactive SLO: what P/D is for (decode steps free of prefill chunks); the default SLO is the lax one. */
const TIGHT_SLO: Slo = { ttftMs: 2000, ntpotMs: 20 };

/** 60 % RAG-like (4k-token context ± 50 %, 128 ± 50 % output), 40 % ShareGPT-like chat. */
function ragMix(seed: number): Workload {
  const rag = randomWorkload(seed, 4096, 128, 0.5);
  const chat = syntheticShareGpt(seed ^ 0x77);
  return {
    name: 'rag-mix',
    size: 2 ** 31,
    item: (i) => (((i * 2654435761) >>> 0) % 10 < 6 ? rag.item(i) : chat.item(i)),
    describe: { generator: 'rag-mix', seed, rag: '60% 4096±50% in / 128±50% out', chat: '40% ShareGPT fit' },
  };
}

interface Workloads {
  name: string;
  make: (seed: number) => Workload;
  qps: number[];
}

const WORKLOADS: Workloads[] = [
  { name: 'chat-8k', make: (seed) => randomWorkload(seed, 8192, 256, 0.25), qps: [8, 12, 16, 20, 24] },
  { name: 'rag-mix', make: ragMix, qps: [16, 24, 32, 40] },
];

/** Upstream's P/D sample (llm-d-router deploy/config/pd-epp-config.yaml) with the README's threshold. */
const UPSTREAM_PD_YAML = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: approx-prefix-cache-producer
  parameters:
    maxPrefixTokensToMatch: 16384
    lruCapacityPerServer: 31250
- type: prefix-cache-scorer
- type: queue-scorer
- type: prefill-filter
- type: decode-filter
- type: max-score-picker
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: prefix-based-pd-decider
- type: prefix-based-pd-decider
  parameters:
    nonCachedTokens: 512
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: queue-scorer
    weight: 1
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: queue-scorer
    weight: 1
`;

/** Ours: the tuned scorers in both profiles, and the load-aware decider. */
const OURS_PD_YAML = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: approx-prefix-cache-producer
  parameters:
    maxPrefixTokensToMatch: 16384
- type: kv-estimate-scorer
  parameters:
    prefillWeight: 20
    prefillDecay: 50ms
    waitingWeight: 5
- type: prefix-cache-scorer
- type: prefill-filter
- type: decode-filter
- type: max-score-picker
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: load-aware-pd-decider
- type: load-aware-pd-decider
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: kv-estimate-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: max-score-picker
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: kv-estimate-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: max-score-picker
`;

interface Arm {
  name: string;
  policy: PolicySpec;
  /** Prefill replicas out of GPUS (0 = aggregated). */
  prefill: number;
}

function arms(ratios: number[]): Arm[] {
  const out: Arm[] = [{ name: 'aggregated (best)', prefill: 0, policy: { name: 'aggregated', kind: 'picker', configYaml: BEST_CONFIG_YAML, description: 'tuned, no P/D' } }];
  for (const p of ratios) {
    const ratio = `${p}P:${GPUS - p}D`;
    out.push({ name: `${ratio} upstream decider`, prefill: p, policy: { name: `pd-upstream-${ratio}`, kind: 'picker', configYaml: UPSTREAM_PD_YAML, description: 'upstream P/D sample, nonCachedTokens 512' } });
    out.push({ name: `${ratio} load-aware decider`, prefill: p, policy: { name: `pd-ours-${ratio}`, kind: 'picker', configYaml: OURS_PD_YAML, description: 'ours' } });
  }
  return out;
}

function rolesOf(prefill: number): string[] | undefined {
  if (prefill === 0) return undefined;
  // Interleaved so replica order carries no bias.
  const roles: string[] = [];
  for (let i = 0; i < GPUS; i++) roles.push(i % Math.round(GPUS / prefill) === 0 && roles.filter((r) => r === 'prefill').length < prefill ? 'prefill' : 'decode');
  while (roles.filter((r) => r === 'prefill').length < prefill) roles[roles.lastIndexOf('decode')] = 'prefill';
  return roles;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1] as number);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1,2,3' },
      qps: { type: 'string' },
      ratios: { type: 'string', default: '2,3,4' },
      workloads: { type: 'string', default: WORKLOADS.map((w) => w.name).join(',') },
      duration: { type: 'string', default: '60' },
      out: { type: 'string', default: new URL('./report/evidence/pd/', import.meta.url).pathname },
    },
  });
  const seeds = (values.seeds as string).split(',').map(Number);
  const ratios = (values.ratios as string).split(',').map(Number);
  const chosen = WORKLOADS.filter((w) => (values.workloads as string).split(',').includes(w.name));
  const lines: string[] = [
    '# P/D disaggregation study (fast mode)',
    '',
    `${GPUS} × Llama-3-8B on H100 (simulator profile llama3-8b-h100); KV transfer ${KV.bytesPerToken} B/token at ${KV.gbps} GB/s + ${KV.baseMs} ms; ` +
      `goodput under two SLOs: lax (TTFT ≤ ${DEFAULT_SLO.ttftMs} ms, NTPOT ≤ ${DEFAULT_SLO.ntpotMs} ms) and interactive (TTFT ≤ ${TIGHT_SLO.ttftMs} ms, NTPOT ≤ ${TIGHT_SLO.ntpotMs} ms); seeds ${seeds.join(', ')} (median shown); ${values.duration} s of arrivals per point.`,
    '',
    'Command: `node bench/routing-study/pd-study.ts`' + (process.argv.length > 2 ? ` (this run: \`${process.argv.slice(2).join(' ')}\`)` : ''),
    '',
  ];
  for (const w of chosen) {
    const qpsList = values.qps ? (values.qps as string).split(',').map(Number) : w.qps;
    lines.push(`## ${w.name}`, '', '| arm | QPS | goodput lax req/s | goodput interactive req/s | p90 TTFT ms | p90 ITL ms | p99 ITL ms | p90 NTPOT ms | disaggregated |', '|---|---|---|---|---|---|---|---|---|');
    for (const arm of arms(ratios)) {
      for (const qps of qpsList) {
        const runs: RunResult[] = [];
        const tight: number[] = [];
        for (const seed of seeds) {
          const roles = rolesOf(arm.prefill);
          const fleet: FleetSetup = {
            replicas: GPUS,
            engine: ENGINE,
            loraModules: [],
            scrapeIntervalMs: 50,
            metricsStalenessMs: 2000,
            networkMs: 0,
            drainTimeoutS: 600,
            ...(roles ? { roles, kvTransfer: KV } : {}),
          };
          const stage: StageSpec = { workload: w.make(seed), qps, durationS: Number(values.duration), maxRequests: 0, burstiness: 1, seed, warmupRequests: 0, warmupQps: 0 };
          runs.push(runFastStage(fleet, arm.policy, stage, DEFAULT_SLO));
          // Deterministic per seed: the same run again, scored against the interactive SLO.
          tight.push(runFastStage(fleet, arm.policy, stage, TIGHT_SLO).goodput_rps);
        }
        const m = (f: (r: RunResult) => number): string => median(runs.map(f)).toFixed(1);
        const share = median(runs.map((r) => (r.disaggregated ?? 0) / Math.max(1, r.requests)));
        const row =
          `| ${arm.name} | ${qps} | ${m((r) => r.goodput_rps)} | ${median(tight).toFixed(1)} | ${m((r) => r.ttft_ms.p90)} | ${m((r) => r.itl_ms.p90)} | ` +
          `${m((r) => r.itl_ms.p99)} | ${m((r) => r.ntpot_ms.p90)} | ${(share * 100).toFixed(0)}% |`;
        lines.push(row);
        console.log(`${w.name} ${row}`);
      }
    }
    lines.push('');
  }
  mkdirSync(values.out as string, { recursive: true });
  writeFileSync(join(values.out as string, 'report.md'), lines.join('\n') + '\n');
  console.log(`wrote ${join(values.out as string, 'report.md')}`);
}

main();
