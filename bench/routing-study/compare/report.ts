/** Writes a scenario's results.json, report.md (tables) and plot.svg (p90 NTPOT and p90 TTFT against QPS). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Results, RunResult } from '../loadgen/results.ts';
import { renderChart, type Series } from './svg.ts';

export function writeReport(dir: string, results: Results): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, 'plot.svg'), plotSvg(results));
  writeFileSync(join(dir, 'report.md'), reportMarkdown(results, 'plot.svg'));
}

export function plotSvg(r: Results): string {
  const policies = [...new Set(r.runs.map((x) => x.policy))];
  const series = (pick: (x: RunResult) => number): Series[] =>
    policies.map((p) => ({ name: p, points: r.runs.filter((x) => x.policy === p).map((x) => ({ x: x.qps, y: pick(x) })) }));
  return renderChart(
    `${r.scenario} (${r.mode} mode)`,
    [
      { title: 'p90 NTPOT (E2E / output tokens)', yLabel: 'ms per output token (log)', series: series((x) => x.ntpot_ms.p90) },
      { title: 'p90 TTFT', yLabel: 'ms (log)', series: series((x) => x.ttft_ms.p90) },
    ],
    'offered load (QPS in model time, ladder points evenly spaced)',
  );
}

export function reportMarkdown(r: Results, plotFile: string): string {
  const lines: string[] = [];
  lines.push(`## ${r.scenario} — ${r.mode} mode`, '');
  const setup = r.setup;
  if (typeof setup.description === 'string') lines.push(setup.description, '');
  lines.push(`![p90 NTPOT and p90 TTFT against QPS](${plotFile})`, '');
  lines.push('### Setup', '', '| key | value |', '|---|---|');
  for (const [k, v] of Object.entries(setup)) {
    if (k === 'description' || k === 'policies' || k === 'policy_configs' || k === 'engine') continue;
    lines.push(`| ${k} | ${cell(v)} |`);
  }
  lines.push('');
  const engine = setup.engine as Record<string, unknown> | undefined;
  if (engine) {
    lines.push('Simulated engine (bench/sim/README.md):', '', '| parameter | value |', '|---|---|');
    for (const [k, v] of Object.entries(engine)) lines.push(`| ${k} | ${cell(v)} |`);
    lines.push('');
  }
  const policies = setup.policies as Record<string, string> | undefined;
  if (policies) {
    lines.push('| policy | what it is |', '|---|---|');
    for (const [name, what] of Object.entries(policies)) lines.push(`| ${name} | ${what} |`);
    lines.push('');
  }
  const configs = setup.policy_configs as Record<string, string> | undefined;
  for (const [name, yaml] of Object.entries(configs ?? {})) {
    lines.push(`<details><summary>EndpointPickerConfig of "${name}"</summary>`, '', '```yaml', yaml.trimEnd(), '```', '', '</details>', '');
  }
  lines.push(...ratioTable(r.runs));
  lines.push('### All runs', '');
  lines.push(
    '| QPS | policy | done/sent | shed | err | req/s | out tok/s | TTFT p50 | TTFT p90 | TTFT p99 | NTPOT p50 | NTPOT p90 | NTPOT p99 | TPOT p90 | ITL p90 | E2E p90 | prefix hit | SLO met | preempt |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const sorted = [...r.runs].sort((a, b) => a.qps - b.qps);
  for (const x of sorted) {
    lines.push(
      `| ${x.qps} | ${x.policy} | ${x.completed}/${x.requests} | ${x.shed} | ${x.errors} | ${n1(x.throughput_rps)} | ${n0(x.output_tps)} | ${ms(x.ttft_ms.p50)} | ${ms(x.ttft_ms.p90)} | ${ms(x.ttft_ms.p99)} | ${n1(x.ntpot_ms.p50)} | ${n1(x.ntpot_ms.p90)} | ${n1(x.ntpot_ms.p99)} | ${n1(x.tpot_ms.p90)} | ${n1(x.itl_ms.p90)} | ${ms(x.e2e_ms.p90)} | ${pct(x.prefix_hit_rate)} | ${pct(x.slo_attainment)} | ${x.preemptions} |`,
    );
  }
  lines.push('', 'Latencies in ms of model time. NTPOT = E2E / output tokens. "SLO met" = share of all sent requests (shed and failed count as misses) meeting the SLO in the setup.', '');
  return lines.join('\n');
}

/** p90 NTPOT and p90 TTFT of round-robin divided by each picker policy's, per QPS (> 1 = picker better). */
function ratioTable(runs: readonly RunResult[]): string[] {
  const base = 'round-robin';
  const others = [...new Set(runs.map((x) => x.policy))].filter((p) => p !== base);
  const qpsList = [...new Set(runs.map((x) => x.qps))].sort((a, b) => a - b);
  if (!runs.some((x) => x.policy === base) || others.length === 0) return [];
  const out = ['### Round-robin p90 divided by each policy\'s p90 (> 1: the policy has the lower tail)', ''];
  out.push(`| QPS | ${others.map((p) => `${p} NTPOT | ${p} TTFT`).join(' | ')} |`);
  out.push(`|---:|${others.map(() => '---:|---:').join('|')}|`);
  for (const q of qpsList) {
    const rr = runs.find((x) => x.policy === base && x.qps === q);
    if (!rr) continue;
    const cells = others.map((p) => {
      const x = runs.find((y) => y.policy === p && y.qps === q);
      if (!x) return '– | –';
      return `${ratio(rr.ntpot_ms.p90, x.ntpot_ms.p90)} | ${ratio(rr.ttft_ms.p90, x.ttft_ms.p90)}`;
    });
    out.push(`| ${q} | ${cells.join(' | ')} |`);
  }
  out.push('');
  return out;
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
}
function ms(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : n0(v);
}
function n0(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v)) : '–';
}
function n1(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '–';
}
function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–';
}
function cell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.replace(/\|/g, '\\|');
}
