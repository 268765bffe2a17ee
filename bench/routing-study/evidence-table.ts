/**
 * Builds one seed-spread table from several evidence runs of a scenario (a later run's policies replace an
 * earlier run's rows): e.g. a full run of every policy plus a re-run of `best` after a config change.
 *
 *   node bench/routing-study/evidence-table.ts agentic report/evidence/agentic report/evidence/agentic-best
 *
 * Prints the markdown table (median [min-max] over the seeds found: <dir>/<scenario>-fast, -seed2, -seed3...).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Results, RunResult } from './loadgen/results.ts';

function seedRuns(dir: string, scenario: string): RunResult[][] {
  const out: RunResult[][] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const file = join(dir, seed === 1 ? `${scenario}-fast` : `${scenario}-fast-seed${seed}`, 'results.json');
    if (!existsSync(file)) continue;
    out.push((JSON.parse(readFileSync(file, 'utf8')) as Results).runs);
  }
  return out;
}

function fmt(xs: number[], digits: number): string {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return 'n/a';
  const med = v[(v.length - 1) >> 1] as number;
  return `${med.toFixed(digits)} [${(v[0] as number).toFixed(digits)}-${(v[v.length - 1] as number).toFixed(digits)}]`;
}

export function evidenceTable(scenario: string, dirs: readonly string[]): string {
  // (qps, policy) -> per-seed runs; later dirs override.
  const rows = new Map<string, { qps: number; policy: string; runs: RunResult[] }>();
  const order: string[] = [];
  for (const dir of dirs) {
    const seeds = seedRuns(dir, scenario);
    if (seeds.length === 0) throw new Error(`${dir}: no ${scenario}-fast results`);
    const byKey = new Map<string, RunResult[]>();
    for (const runs of seeds) for (const r of runs) byKey.set(`${r.qps}\u0000${r.policy}`, [...(byKey.get(`${r.qps}\u0000${r.policy}`) ?? []), r]);
    for (const [key, runs] of byKey) {
      if (!rows.has(key)) order.push(key);
      rows.set(key, { qps: runs[0]!.qps, policy: runs[0]!.policy, runs });
    }
  }
  order.sort((a, b) => rows.get(a)!.qps - rows.get(b)!.qps);
  const lines = ['| QPS | policy | SLO met % (shed = missed) | p90 TTFT ms | p90 NTPOT ms | prefix hit |', '|---:|---|---:|---:|---:|---:|'];
  for (const key of order) {
    const { qps, policy, runs } = rows.get(key)!;
    lines.push(
      `| ${qps} | ${policy} | ${fmt(runs.map((r) => r.slo_attainment * 100), 1)} | ${fmt(runs.map((r) => r.ttft_ms.p90), 0)} | ${fmt(runs.map((r) => r.ntpot_ms.p90), 1)} | ${fmt(runs.map((r) => r.prefix_hit_rate), 2)} |`,
    );
  }
  return lines.join('\n') + '\n' + classTable(order.map((key) => rows.get(key)!));
}

/** Mixed priorities: one row per (QPS, policy, class), each class against its own SLO; '' when runs have no classes. */
function classTable(rows: readonly { qps: number; policy: string; runs: RunResult[] }[]): string {
  const classes = Object.keys(rows[0]?.runs[0]?.per_class ?? {});
  if (classes.length === 0) return '';
  const lines = ['', '| QPS | policy | class | SLO met % (shed = missed) | shed % | p90 TTFT ms | p90 NTPOT ms |', '|---:|---|---|---:|---:|---:|---:|'];
  for (const { qps, policy, runs } of rows) {
    for (const c of classes) {
      const per = runs.map((r) => r.per_class?.[c]).filter((x) => x !== undefined);
      lines.push(
        `| ${qps} | ${policy} | ${c} | ${fmt(per.map((x) => x.slo_attainment * 100), 1)} | ${fmt(per.map((x) => (100 * x.shed) / Math.max(1, x.requests)), 1)} | ${fmt(per.map((x) => x.ttft_ms.p90), 0)} | ${fmt(per.map((x) => x.ntpot_ms.p90), 1)} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

if (import.meta.main) {
  const [scenario, ...dirs] = process.argv.slice(2);
  if (!scenario || dirs.length === 0) {
    console.error('usage: node bench/routing-study/evidence-table.ts SCENARIO DIR [DIR...]');
    process.exit(2);
  }
  process.stdout.write(evidenceTable(scenario, dirs));
}
