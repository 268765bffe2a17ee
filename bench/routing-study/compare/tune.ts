/**
 * The sweep behind the "best" policy: kv-estimate-scorer (prefillWeight, waitingWeight, prefillDecay, its
 * weight), mostly without the queue scorer (prefix 3, lora-affinity 4, max-score picker), next to the
 * reference config and the previous best, run in fast mode at the QPS points where policies differ in every
 * default scenario (below saturation, the knee, overload), over several seeds, on worker threads.
 *
 * Ranked by SLO attainment (requests meeting the SLO over requests sent) averaged over points and seeds, then
 * by the geometric mean of round-robin p90 / candidate p90 for TTFT and NTPOT, each ratio capped at 10 so
 * the 1000x wins of shared-prefix and multi-LoRA do not drown the sub-saturation ShareGPT points. "worst"
 * is the smallest such ratio: below 1, the candidate lost to round-robin somewhere.
 *
 *   node bench/routing-study/compare/tune.ts [--out DIR] [--seeds 1,2,3] [--workers 2] [--duration 60]   (~7 minutes on 2 cores)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runFastStage, type FleetSetup, type StageSpec } from './fast-sim.ts';
import { policy, type PolicySpec } from './policies.ts';
import { DEFAULT_SLO, type RunResult } from '../loadgen/results.ts';
import { scenario } from './scenarios.ts';

const Q = 'queue-scorer';
const KVU = 'kv-cache-utilization-scorer';
const KVE = 'kv-estimate-scorer';
const P = 'prefix-cache-scorer';
const L = 'lora-affinity-scorer';

type Weighted = readonly [type: string, weight: number, params?: Readonly<Record<string, number | string>>];

/** An EndpointPickerConfig with one profile of weighted scorers and a max-score picker. */
export function configYaml(scorers: readonly Weighted[]): string {
  const used = scorers.filter(([, w]) => w > 0);
  const lines = ['apiVersion: inference.networking.x-k8s.io/v1alpha1', 'kind: EndpointPickerConfig', 'plugins:'];
  for (const [type, , params] of used) {
    lines.push(`- type: ${type}`);
    if (params) lines.push('  parameters:', ...Object.entries(params).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  }
  lines.push('- type: max-score-picker', 'schedulingProfiles:', '- name: default', '  plugins:');
  for (const [type, w] of used) lines.push(`  - pluginRef: ${type}`, `    weight: ${w}`);
  lines.push('  - pluginRef: max-score-picker', '');
  return lines.join('\n');
}

interface Point {
  scenario: string;
  qps: number;
}

/** Below saturation, the knee and overload of each default scenario. */
const POINTS: Point[] = [
  { scenario: 'sharegpt', qps: 100 },
  { scenario: 'sharegpt', qps: 300 },
  { scenario: 'sharegpt', qps: 340 },
  { scenario: 'sharegpt', qps: 380 },
  { scenario: 'sharegpt', qps: 400 },
  { scenario: 'shared-prefix', qps: 10 },
  { scenario: 'shared-prefix', qps: 30 },
  { scenario: 'shared-prefix', qps: 50 },
  { scenario: 'shared-prefix', qps: 60 },
  { scenario: 'multi-lora', qps: 200 },
  { scenario: 'multi-lora', qps: 350 },
  { scenario: 'multi-lora', qps: 400 },
  { scenario: 'e2e-small', qps: 20 },
  { scenario: 'e2e-small', qps: 35 },
];

function picker(name: string, scorers: readonly Weighted[]): PolicySpec {
  return { name, kind: 'picker', configYaml: configYaml(scorers), description: name };
}

function candidates(): PolicySpec[] {
  const out: PolicySpec[] = [policy('default'), picker('queue 2, kv-cache-util 2 (previous best)', [[Q, 2], [KVU, 2], [P, 3], [L, 4]])];
  const kve = (q: number, w: number, params: Readonly<Record<string, number | string>>): void => {
    const label = Object.entries(params).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(picker(`${q > 0 ? `queue ${q}, ` : ''}kv-estimate ${w} (${label})`, [[Q, q], [KVE, w, params], [P, 3], [L, 4]]));
  };
  kve(2, 2, { prefillWeight: 20, waitingWeight: 0 });
  kve(0, 2, { prefillWeight: 0, waitingWeight: 0 });
  kve(0, 2, { prefillWeight: 20, waitingWeight: 0 });
  for (const prefillWeight of [10, 20, 40]) kve(0, 2, { prefillWeight, waitingWeight: 5 });
  for (const waitingWeight of [2, 10]) kve(0, 2, { prefillWeight: 20, waitingWeight });
  kve(0, 2, { prefillWeight: 20, waitingWeight: 5, prefillDecay: '100ms' });
  kve(0, 3, { prefillWeight: 20, waitingWeight: 5 });
  return out;
}

interface Job {
  policy: number;
  point: number;
  seed: number;
}

interface Done extends Job {
  result: RunResult;
}

function runJob(job: Job, all: readonly PolicySpec[], durationS: number): RunResult {
  const pt = POINTS[job.point]!;
  const s = scenario(pt.scenario);
  const fleet: FleetSetup = { replicas: s.replicas, engine: s.engine, loraModules: s.loraModules, scrapeIntervalMs: 50, metricsStalenessMs: 2000, networkMs: 0, drainTimeoutS: 600 };
  const stage: StageSpec = {
    workload: s.workload(job.seed, ''),
    qps: pt.qps,
    durationS,
    maxRequests: 0,
    burstiness: 1,
    seed: job.seed,
    warmupRequests: s.warmupRequests,
    warmupQps: s.warmupQps,
  };
  return runFastStage(fleet, all[job.policy]!, stage, DEFAULT_SLO);
}

/** Worker thread: runs the jobs it is sent, one at a time. */
function serveJobs(): void {
  const { durationS } = workerData as { durationS: number };
  const all = [policy('round-robin'), ...candidates()];
  parentPort!.on('message', (job: Job | null) => {
    if (job === null) return parentPort!.close();
    parentPort!.postMessage({ ...job, result: runJob(job, all, durationS) } satisfies Done);
  });
}

async function runAll(jobs: Job[], workers: number, durationS: number, onDone: (d: Done) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, jobs.length) }, () => {
      const w = new Worker(new URL(import.meta.url), { workerData: { durationS } });
      return new Promise<void>((resolve, reject) => {
        const feed = (): void => void w.postMessage(next < jobs.length ? jobs[next++]! : null);
        w.on('message', (d: Done) => {
          onDone(d);
          feed();
        });
        w.on('error', reject);
        w.on('exit', () => resolve());
        feed();
      });
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      out: { type: 'string', default: join('bench', 'results', 'tune') },
      seeds: { type: 'string', default: '1,2,3' },
      workers: { type: 'string', default: String(Math.max(1, Math.min(2, cpus().length))) },
      duration: { type: 'string', default: '60' },
    },
  });
  const seeds = values.seeds.split(',').map(Number);
  const durationS = Number(values.duration);
  const cands = candidates();
  // Policy 0 is round-robin, the baseline every ratio is taken against.
  const jobs: Job[] = [];
  for (let point = 0; point < POINTS.length; point++) {
    for (const seed of seeds) for (let p = 0; p <= cands.length; p++) jobs.push({ policy: p, point, seed });
  }
  const results = new Map<string, RunResult>();
  const key = (p: number, point: number, seed: number): string => `${p}/${point}/${seed}`;
  const t0 = performance.now();
  await runAll(jobs, Number(values.workers), durationS, (d) => {
    results.set(key(d.policy, d.point, d.seed), d.result);
    if (results.size % 20 === 0) console.log(`${results.size}/${jobs.length} runs (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });

  const rows = cands.map((c, i) => {
    let slo = 0;
    let logSum = 0;
    let worst = Infinity;
    const cells: string[] = [];
    for (let point = 0; point < POINTS.length; point++) {
      let cellSlo = 0;
      let cellTtft = 0;
      let cellNtpot = 0;
      for (const seed of seeds) {
        const r = results.get(key(i + 1, point, seed))!;
        const rr = results.get(key(0, point, seed))!;
        const ttft = rr.ttft_ms.p90 / r.ttft_ms.p90;
        const ntpot = rr.ntpot_ms.p90 / r.ntpot_ms.p90;
        worst = Math.min(worst, ttft, ntpot);
        logSum += Math.log(Math.min(10, ttft)) + Math.log(Math.min(10, ntpot));
        slo += r.slo_attainment;
        cellSlo += r.slo_attainment / seeds.length;
        cellTtft += Math.log(ttft) / seeds.length;
        cellNtpot += Math.log(ntpot) / seeds.length;
      }
      cells.push(`${(cellSlo * 100).toFixed(1)}% ${ratio(Math.exp(cellTtft))} ${ratio(Math.exp(cellNtpot))}`);
    }
    const n = POINTS.length * seeds.length;
    return { name: c.name, slo: slo / n, gain: Math.exp(logSum / (2 * n)), worst, cells };
  });
  rows.sort((a, b) => b.slo - a.slo || b.gain - a.gain);
  const rrCells = POINTS.map((_, point) => `${((seeds.reduce((a, s) => a + results.get(key(0, point, s))!.slo_attainment, 0) / seeds.length) * 100).toFixed(1)}%`);
  const header = POINTS.map((p) => `${p.scenario}@${p.qps}`);
  const lines = [
    `# kv-estimate sweep (fast mode, ${durationS} s per stage, seeds ${seeds.join(', ')})`,
    '',
    'Ranked by SLO attainment averaged over points and seeds, then by the geometric mean of round-robin p90 / candidate p90 (TTFT and NTPOT, each capped at 10×).',
    'Cells: SLO met, then p90 TTFT and p90 NTPOT as round-robin ÷ candidate (geometric mean over seeds; > 1 = better than round-robin). "worst" is the smallest single ratio.',
    '',
    `| rank | config | mean SLO met | gain vs RR | worst | ${header.join(' | ')} |`,
    `|---:|---|---:|---:|---:|${header.map(() => '---:').join('|')}|`,
    `| – | round-robin | ${((rrCells.reduce((a, c) => a + Number(c.slice(0, -1)), 0) / rrCells.length)).toFixed(1)}% | 1.00 | 1.00 | ${rrCells.join(' | ')} |`,
  ];
  rows.forEach((r, i) => lines.push(`| ${i + 1} | ${r.name} | ${(r.slo * 100).toFixed(1)}% | ${r.gain.toFixed(2)} | ${r.worst.toFixed(2)} | ${r.cells.join(' | ')} |`));
  lines.push('', `${jobs.length} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s on ${values.workers} worker threads, Node ${process.version}.`, '');
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'tune.md'), lines.join('\n'));
  console.log(lines.join('\n'));
  console.log(`wrote ${join(values.out, 'tune.md')}`);
}

function ratio(x: number): string {
  return x >= 100 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`;
}

if (!isMainThread) {
  serveJobs();
} else if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
