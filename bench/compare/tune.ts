/**
 * Weight sweep that chose the "best" policy: every combination of queue / kv-cache / prefix / running-requests
 * scorer weights (max-score picker), run in fast mode at the QPS points where policies differ (around each
 * scenario's knee), ranked by SLO attainment (requests meeting the SLO over requests sent), then by the
 * geometric mean of round-robin's p90 NTPOT and p90 TTFT divided by the candidate's.
 *
 *   node bench/compare/tune.ts [--out DIR] [--duration S]       (~10 minutes on 2 cores)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFastStage, type FleetSetup, type StageSpec } from './fast-sim.ts';
import { policy, type PolicySpec } from './policies.ts';
import { DEFAULT_SLO, type RunResult } from './results.ts';
import { scenario } from './scenarios.ts';

const Q = 'queue-scorer';
const K = 'kv-cache-utilization-scorer';
const P = 'prefix-cache-scorer';
const R = 'running-requests-size-scorer';

/** An EndpointPickerConfig with one profile of weighted scorers. */
export function configYaml(weights: readonly [string, number][], picker = 'max-score-picker', filter = ''): string {
  const used = weights.filter(([, w]) => w > 0);
  const types = [...(filter ? [filter] : []), ...used.map(([t]) => t), picker];
  const refs = [...(filter ? [`  - pluginRef: ${filter}`] : []), ...used.map(([t, w]) => `  - pluginRef: ${t}\n    weight: ${w}`), `  - pluginRef: ${picker}`];
  return [
    'apiVersion: inference.networking.x-k8s.io/v1alpha1',
    'kind: EndpointPickerConfig',
    'plugins:',
    ...types.map((t) => `- type: ${t}`),
    'schedulingProfiles:',
    '- name: default',
    '  plugins:',
    ...refs,
    '',
  ].join('\n');
}

interface Point {
  scenario: string;
  qps: number;
}

const POINTS: Point[] = [
  { scenario: 'sharegpt', qps: 340 },
  { scenario: 'sharegpt', qps: 380 },
  { scenario: 'sharegpt', qps: 400 },
  { scenario: 'shared-prefix', qps: 50 },
  { scenario: 'shared-prefix', qps: 60 },
];

function candidates(): PolicySpec[] {
  const out: PolicySpec[] = [];
  for (const q of [0, 1, 2, 3]) {
    for (const k of [1, 2, 3]) {
      for (const p of [0, 2, 3, 5]) {
        for (const r of [0, 1]) {
          const name = `q${q}k${k}p${p}r${r}`;
          out.push({ name, kind: 'picker', configYaml: configYaml([[Q, q], [K, k], [P, p], [R, r]]), description: name });
        }
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { out: { type: 'string', default: join('bench', 'results', 'tune') }, duration: { type: 'string', default: '60' } },
  });
  const durationS = Number(values.duration);
  const cands = candidates();
  const rows = new Map<string, RunResult[]>();
  const baselineRuns: RunResult[] = [];
  for (const pt of POINTS) {
    const s = scenario(pt.scenario);
    const fleet: FleetSetup = { replicas: s.replicas, engine: s.engine, loraModules: s.loraModules, scrapeIntervalMs: 50, metricsStalenessMs: 2000, networkMs: 0, drainTimeoutS: 600 };
    const stage: StageSpec = {
      workload: s.workload(1, ''),
      qps: pt.qps,
      durationS,
      maxRequests: 0,
      burstiness: 1,
      seed: 1,
      warmupRequests: s.warmupRequests,
      warmupQps: s.warmupQps,
    };
    const rr = runFastStage(fleet, policy('round-robin'), stage, DEFAULT_SLO);
    baselineRuns.push(rr);
    for (const c of cands) {
      const r = runFastStage(fleet, c, stage, DEFAULT_SLO);
      const list = rows.get(c.name) ?? [];
      list.push(r);
      rows.set(c.name, list);
    }
    console.log(`${pt.scenario} @ ${pt.qps}: ${cands.length} candidates done`);
  }
  const scored = [...rows.entries()].map(([name, runs]) => {
    const attainment = runs.reduce((a, r) => a + r.slo_attainment, 0) / runs.length;
    let logSum = 0;
    runs.forEach((r, i) => {
      const b = baselineRuns[i] as RunResult;
      logSum += Math.log(b.ntpot_ms.p90 / r.ntpot_ms.p90) + Math.log(b.ttft_ms.p90 / r.ttft_ms.p90);
    });
    return { name, attainment, gain: Math.exp(logSum / (2 * runs.length)), runs };
  });
  scored.sort((a, b) => b.attainment - a.attainment || b.gain - a.gain);
  const header = POINTS.map((p) => `${p.scenario}@${p.qps} SLO / NTPOT90 / TTFT90`);
  const lines = [
    `# Weight sweep (fast mode, ${durationS} s per stage, seed 1)`,
    '',
    'Ranked by mean SLO attainment over the points, then by the geometric mean of round-robin p90 / candidate p90 (NTPOT and TTFT).',
    '',
    `| rank | config | mean SLO met | gain vs RR | ${header.join(' | ')} |`,
    `|---:|---|---:|---:|${header.map(() => '---:').join('|')}|`,
    `| – | round-robin | ${(baselineRuns.reduce((a, r) => a + r.slo_attainment, 0) / baselineRuns.length).toFixed(3)} | 1.00 | ${baselineRuns.map(cell).join(' | ')} |`,
  ];
  scored.forEach((s, i) => lines.push(`| ${i + 1} | ${s.name} | ${s.attainment.toFixed(3)} | ${s.gain.toFixed(2)} | ${s.runs.map(cell).join(' | ')} |`));
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'tune.md'), lines.join('\n') + '\n');
  console.log(lines.slice(0, 20).join('\n'));
  console.log(`wrote ${join(values.out, 'tune.md')}`);
}

function cell(r: RunResult): string {
  return `${(r.slo_attainment * 100).toFixed(1)}% / ${r.ntpot_ms.p90.toFixed(1)} / ${r.ttft_ms.p90.toFixed(0)}`;
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
