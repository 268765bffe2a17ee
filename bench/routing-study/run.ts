/**
 * `npm run bench`: runs scenarios under several routing policies and writes, per scenario and mode,
 * results.json, report.md and plot.svg, plus a combined report.md (with the fast/e2e agreement table).
 *
 *   node bench/routing-study/run.ts                                   the quick default set (see DEFAULT_SET), a few minutes
 *   node bench/routing-study/run.ts --full                            every scenario, full ladders, seeds 1-3
 *   node bench/routing-study/run.ts --scenario sharegpt --mode fast --qps 300,380,450 --duration 30
 *   node bench/routing-study/run.ts --scenario e2e-small --mode both --policies round-robin,default
 */
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runE2eStage, type E2eFleet } from './compare/e2e.ts';
import { runFastStage, type FleetSetup, type StageSpec } from './compare/fast-sim.ts';
import { ALL_POLICIES, PEER_POLICIES, policy, type PolicySpec } from './compare/policies.ts';
import { reportMarkdown, writeReport } from './compare/report.ts';
import { DEFAULT_SLO, type Results, type RunResult, type Slo } from './loadgen/results.ts';
import { scenario, SCENARIOS, type Scenario } from './compare/scenarios.ts';
import { loadTrace } from './loadgen/trace.ts';
import { CHARS_PER_TOKEN } from '../sim/tokens.ts';

type Mode = 'fast' | 'e2e';

/**
 * Scenario -> modes run by a bare `npm run bench`: each scenario's quick ladder (two loads: below and past its knee,
 * 60 s stages), one seed, seven policies (below); a few minutes on 2 cores. `--full` runs every scenario's full
 * ladder and stage length over seeds 1-3 (the evidence in report/evidence/).
 */
const DEFAULT_SET: [string, Mode[]][] = [
  ['shared-prefix', ['fast']],
  ['multi-turn', ['fast']],
  ['agentic', ['fast']],
  ['hetero', ['fast']],
  ['mixed-priorities', ['fast']],
  ['e2e-small', ['fast', 'e2e']],
];
const FULL_SET: [string, Mode[]][] = [
  ...Object.keys(SCENARIOS)
    .filter((s) => s !== 'e2e-small')
    .map((s): [string, Mode[]] => [s, ['fast']]),
  ['e2e-small', ['fast', 'e2e']],
];

/**
 * Policies of the quick default set: the Service, Envoy's P2C, one peer of each family (SGLang, Dynamo, llm-d's
 * optimized baseline) and our two configs; `--full` runs every peer. e2e runs cost ~25 s each, so e2e runs three.
 */
const DEFAULT_FAST_POLICIES = ['random', 'least-request', 'sglang-cache-aware', 'dynamo-kv', 'llm-d-optimized', 'default', 'best'];
const FULL_FAST_POLICIES = [...ALL_POLICIES, ...PEER_POLICIES];
const DEFAULT_E2E_POLICIES = ['round-robin', 'default', 'best'];

const USAGE = `usage: node bench/routing-study/run.ts [options]
  --scenario LIST      ${Object.keys(SCENARIOS).join(', ')} (default: the default set)
  --full               every scenario, full ladders and stage lengths, seeds 1,2,3 (hours on 2 cores)
  --mode M             fast | e2e | both (default: per scenario in the default set, else fast)
  --policies LIST      ${ALL_POLICIES.join(',')} (default: all; the default set runs
                       ${DEFAULT_E2E_POLICIES.join(',')} in e2e mode)
  --qps LIST           QPS ladder in model time (default: the scenario's)
  --replicas N         fleet size (default: the scenario's)
  --duration S         seconds of arrivals per stage, model time (default: the scenario's,
                       300 s for the knee study as the GIE chart's benchmark; the quick set 60 s)
  --max-requests N     cap per stage
  --burstiness B       gamma shape of inter-arrival gaps (1 = Poisson)
  --seed N             workload, arrivals and tie-breaks (default 1)
  --seeds LIST         run every stage for each seed and add a spread table (median [min-max]) per scenario
  --time-scale X       e2e mode: wall ms per model ms (default: the scenario's)
  --trace FILE         replay a CSV trace (Azure TIMESTAMP,ContextTokens,GeneratedTokens or BurstGPT); --qps
                       rescales its mean rate; default scenario 'trace'; fast mode
  --trace-share-prefix R  share of trace requests given a common prefix (half their prompt, 20 groups)
  --sharegpt PATH      real ShareGPT_V3_unfiltered_cleaned_split.json instead of the synthetic fit
  --slo-ttft-ms N      goodput SLO on TTFT (default ${DEFAULT_SLO.ttftMs})
  --slo-ntpot-ms N     goodput SLO on NTPOT (default ${DEFAULT_SLO.ntpotMs})
  --scrape-interval-ms N  picker metric refresh, model time (default 50)
  --out DIR            output directory (default bench/results/<timestamp>)`;

interface Options {
  plan: [Scenario, Mode[]][];
  policies: PolicySpec[];
  /** Policies for e2e mode (differs from `policies` only in the default set). */
  e2ePolicies: PolicySpec[];
  seed: number;
  seeds: number[];
  slo: Slo;
  /** --slo-* given: it overrides a scenario's own SLO. */
  sloExplicit: boolean;
  scrapeIntervalMs: number;
  sharegpt: string;
  out: string;
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      mode: { type: 'string' },
      policies: { type: 'string' },
      qps: { type: 'string' },
      replicas: { type: 'string' },
      duration: { type: 'string' },
      'max-requests': { type: 'string' },
      burstiness: { type: 'string' },
      seed: { type: 'string', default: '1' },
      full: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      'time-scale': { type: 'string' },
      sharegpt: { type: 'string', default: '' },
      trace: { type: 'string' },
      'trace-share-prefix': { type: 'string', default: '0' },
      'slo-ttft-ms': { type: 'string', default: String(DEFAULT_SLO.ttftMs) },
      'slo-ntpot-ms': { type: 'string', default: String(DEFAULT_SLO.ntpotMs) },
      'scrape-interval-ms': { type: 'string', default: '50' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a non-negative number: ${v}`);
    return n;
  };
  const modeArg = values.mode;
  if (modeArg !== undefined && !['fast', 'e2e', 'both'].includes(modeArg)) throw new Error('--mode must be fast, e2e or both');
  const modesOf = (fallback: Mode[]): Mode[] => (modeArg === undefined ? fallback : modeArg === 'both' ? ['fast', 'e2e'] : [modeArg as Mode]);
  if (values.trace && !values.scenario) values.scenario = 'trace';
  const names: [string, Mode[]][] = values.scenario
    ? values.scenario.split(',').map((s): [string, Mode[]] => [s, modesOf(['fast'])])
    : (values.full ? FULL_SET : DEFAULT_SET).map(([s, m]): [string, Mode[]] => [s, modesOf(m)]);
  // The quick default set: each scenario's quick ladder and stage length, unless given.
  const quick = !values.scenario && !values.full;
  const plan = names.map(([name, modes]): [Scenario, Mode[]] => {
    const s = scenario(name);
    if (quick && s.quick) {
      s.qps = s.quick.qps;
      s.durationS = s.quick.durationS;
    }
    if (values.qps) s.qps = values.qps.split(',').map((q) => num(q, 'qps') as number);
    s.replicas = num(values.replicas, 'replicas') ?? s.replicas;
    s.durationS = num(values.duration, 'duration') ?? s.durationS;
    s.maxRequests = num(values['max-requests'], 'max-requests') ?? s.maxRequests;
    s.burstiness = num(values.burstiness, 'burstiness') ?? s.burstiness;
    s.timeScale = num(values['time-scale'], 'time-scale') ?? s.timeScale;
    const tracePath = values.trace;
    if (tracePath) {
      const sharePrefix = num(values['trace-share-prefix'], 'trace-share-prefix') as number;
      s.workload = (seed) => loadTrace(tracePath, { seed, sharePrefix, maxTokens: s.engine.maxModelLen });
    }
    return [s, modes];
  });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return {
    plan,
    policies: (values.policies ?? (values.scenario ? ALL_POLICIES : values.full ? FULL_FAST_POLICIES : DEFAULT_FAST_POLICIES).join(',')).split(',').map(policy),
    e2ePolicies: (values.policies ?? (values.scenario ? ALL_POLICIES : DEFAULT_E2E_POLICIES).join(',')).split(',').map(policy),
    seed: num(values.seed, 'seed') ?? 1,
    seeds: values.seeds ? values.seeds.split(',').map((x) => num(x, 'seeds') as number) : values.full ? [1, 2, 3] : [num(values.seed, 'seed') ?? 1],
    slo: { ttftMs: num(values['slo-ttft-ms'], 'slo-ttft-ms') as number, ntpotMs: num(values['slo-ntpot-ms'], 'slo-ntpot-ms') as number },
    sloExplicit: argv.some((a) => a.startsWith('--slo-')),
    scrapeIntervalMs: num(values['scrape-interval-ms'], 'scrape-interval-ms') as number,
    sharegpt: values.sharegpt,
    out: values.out ?? join('bench', 'results', stamp),
  };
}

function policiesOf(mode: Mode, o: Options): PolicySpec[] {
  return mode === 'e2e' ? o.e2ePolicies : o.policies;
}

function setupOf(s: Scenario, mode: Mode, o: Options, describe: Record<string, unknown>): Record<string, unknown> {
  const setup: Record<string, unknown> = {
    description: s.description,
    mode,
    replicas: s.replicas,
    profile: s.profile,
    engine: s.engine,
    ...(s.engines ? { engines: s.engines } : {}),
    workload: describe,
    qps: s.qps,
    duration_s: s.durationS,
    max_requests: s.maxRequests,
    burstiness: s.burstiness,
    warmup: s.warmupRequests > 0 ? { requests: s.warmupRequests, qps: s.warmupQps } : 'none',
    seed: o.seed,
    slo: o.slo,
    scrape_interval_ms: o.scrapeIntervalMs,
    metrics_staleness_ms: 2000,
    chars_per_token: CHARS_PER_TOKEN,
    lora_modules: s.loraModules,
    node: process.version,
    cpus: cpus().length,
    policies: Object.fromEntries(policiesOf(mode, o).map((p) => [p.name, p.description])),
    policy_configs: Object.fromEntries(policiesOf(mode, o).filter((p) => p.kind === 'picker').map((p) => [p.name, (p as { configYaml: string }).configYaml])),
  };
  if (mode === 'e2e') setup.time_scale = s.timeScale;
  return setup;
}

async function runScenario(s: Scenario, mode: Mode, options: Options): Promise<Results> {
  const o: Options = !options.sloExplicit && s.slo ? { ...options, slo: s.slo } : options;
  const workload = s.workload(o.seed, o.sharegpt);
  const runs: RunResult[] = [];
  const t0 = performance.now();
  const fleet: FleetSetup = {
    replicas: s.replicas,
    engine: s.engine,
    ...(s.engines ? { engines: s.engines } : {}),
    loraModules: s.loraModules,
    scrapeIntervalMs: o.scrapeIntervalMs,
    metricsStalenessMs: 2000,
    networkMs: 0,
    drainTimeoutS: 600,
  };
  const e2eFleet: E2eFleet = {
    replicas: s.replicas,
    profileName: s.profile,
    engine: s.engine,
    loraModules: s.loraModules,
    timeScale: s.timeScale,
    scrapeIntervalMs: o.scrapeIntervalMs,
    metricsStalenessMs: 2000,
    drainTimeoutS: 120,
  };
  const policies = policiesOf(mode, o);
  for (const qps of s.qps) {
    for (const p of policies) {
      const stage: StageSpec = {
        workload,
        qps,
        durationS: s.durationS,
        maxRequests: s.maxRequests,
        burstiness: s.burstiness,
        seed: o.seed,
        warmupRequests: s.warmupRequests,
        warmupQps: s.warmupQps,
      };
      const r0 = performance.now();
      const label = `${s.name} ${mode} qps=${qps} ${p.name}`;
      const r = mode === 'fast' ? runFastStage(fleet, p, stage, o.slo) : await runE2eStage(e2eFleet, p, stage, o.slo, label);
      runs.push(r);
      console.log(
        `${label.padEnd(48)} done ${r.completed}/${r.requests}  p90 NTPOT ${r.ntpot_ms.p90.toFixed(1)} ms  p90 TTFT ${r.ttft_ms.p90.toFixed(0)} ms  (${((performance.now() - r0) / 1000).toFixed(1)} s)`,
      );
    }
  }
  const setup = setupOf(s, mode, o, workload.describe);
  setup.wall_s = Math.round((performance.now() - t0) / 100) / 10;
  return { scenario: s.name, mode, setup, runs };
}

/** Fast vs e2e p50/p90 per (policy, QPS) for scenarios run in both modes. */
function agreement(fast: Results, e2e: Results): string {
  const lines = [
    `## Agreement: ${fast.scenario}, fast vs e2e`,
    '',
    'Same workload, seed and arrival schedule; e2e adds real HTTP, gRPC and scheduling overhead (divided by the time scale).',
    '',
    '| QPS | policy | TTFT p50 fast / e2e | TTFT p90 fast / e2e | NTPOT p50 fast / e2e | NTPOT p90 fast / e2e | req/s fast / e2e |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const f of fast.runs) {
    const e = e2e.runs.find((x) => x.policy === f.policy && x.qps === f.qps);
    if (!e) continue;
    const pair = (a: number, b: number): string => `${a.toFixed(1)} / ${b.toFixed(1)}`;
    lines.push(
      `| ${f.qps} | ${f.policy} | ${pair(f.ttft_ms.p50, e.ttft_ms.p50)} | ${pair(f.ttft_ms.p90, e.ttft_ms.p90)} | ${pair(f.ntpot_ms.p50, e.ntpot_ms.p50)} | ${pair(f.ntpot_ms.p90, e.ntpot_ms.p90)} | ${pair(f.throughput_rps, e.throughput_rps)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Per (QPS, policy): median [min-max] over seeds of SLO attainment, p90 TTFT and p90 NTPOT. */
function spreadTable(name: string, mode: Mode, seeds: number[], perSeed: Results[]): string {
  const lines = [
    `## ${name} (${mode}), seeds ${seeds.join(', ')}: median [min-max]`,
    '',
    '| QPS | policy | SLO met % (shed = missed) | p90 TTFT ms | p90 NTPOT ms |',
    '|---:|---|---:|---:|---:|',
  ];
  const fmt = (xs: number[], d: number): string => {
    const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0) return 'n/a';
    const med = v[(v.length - 1) >> 1] as number;
    return `${med.toFixed(d)} [${(v[0] as number).toFixed(d)}-${(v[v.length - 1] as number).toFixed(d)}]`;
  };
  for (const r of (perSeed[0] as Results).runs) {
    const same = perSeed.map((x) => x.runs.find((y) => y.policy === r.policy && y.qps === r.qps)).filter((x) => x !== undefined);
    lines.push(
      `| ${r.qps} | ${r.policy} | ${fmt(same.map((x) => x.slo_attainment * 100), 1)} | ${fmt(same.map((x) => x.ttft_ms.p90), 0)} | ${fmt(same.map((x) => x.ntpot_ms.p90), 1)} |`,
    );
  }
  const table = lines.join('\n') + '\n';
  console.log(table);
  return table;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const sections: string[] = [`# Routing policy comparison`, '', `Generated by \`node bench/routing-study/run.ts ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString()}.`, ''];
  const t0 = performance.now();
  for (const [s, modes] of o.plan) {
    const byMode = new Map<Mode, Results>();
    for (const mode of modes) {
      const perSeed: Results[] = [];
      for (const seed of o.seeds.slice(1)) {
        const r = await runScenario(s, mode, { ...o, seed });
        writeReport(join(o.out, `${s.name}-${mode}-seed${seed}`), r);
        perSeed.push(r);
      }
      const results = await runScenario(s, mode, { ...o, seed: o.seeds[0] as number });
      perSeed.unshift(results);
      if (perSeed.length > 1) sections.push(spreadTable(s.name, mode, o.seeds, perSeed));
      const dir = join(o.out, `${s.name}-${mode}`);
      writeReport(dir, results);
      byMode.set(mode, results);
      sections.push(reportMarkdown(results, `${s.name}-${mode}/plot.svg`));
      console.log(`wrote ${dir}/{results.json,report.md,plot.svg}`);
    }
    const fast = byMode.get('fast');
    const e2e = byMode.get('e2e');
    if (fast && e2e) sections.push(agreement(fast, e2e));
  }
  sections.push(`Total wall time: ${((performance.now() - t0) / 1000).toFixed(0)} s on ${cpus().length} CPUs, Node ${process.version}.`, '');
  writeFileSync(join(o.out, 'report.md'), sections.join('\n'));
  console.log(`wrote ${join(o.out, 'report.md')}`);
}

main().catch((err: unknown) => {
  // Usage errors read better without a stack; BENCH_DEBUG=1 shows it.
  console.error(`bench: ${err instanceof Error ? (process.env.BENCH_DEBUG ? (err.stack ?? err.message) : err.message) : String(err)}`);
  process.exit(1);
});
