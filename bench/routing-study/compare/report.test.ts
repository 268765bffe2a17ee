import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from './report.ts';
import { RunCollector, type Results } from '../loadgen/results.ts';

function run(policy: string, qps: number, ttft: number) {
  const c = new RunCollector();
  for (let i = 0; i < 10; i++) c.add({ sentAt: i * 10, status: 'ok', ttftMs: ttft + i, e2eMs: 10 * ttft + i, outputTokens: 10, promptTokens: 10, cachedTokens: 0, endpoint: 'x', code: 200 });
  return c.result(policy, qps, { ttftMs: 1000, ntpotMs: 100 });
}

test('writes results.json, a report with the ratio table, and a two-panel SVG with one line per policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  try {
    const results: Results = {
      scenario: 's',
      mode: 'fast',
      setup: { description: 'a test', replicas: 2, policies: { 'round-robin': 'rr', default: 'picker' }, policy_configs: { default: 'kind: EndpointPickerConfig\n' } },
      runs: [run('round-robin', 10, 100), run('default', 10, 50), run('round-robin', 20, 400), run('default', 20, 100)],
    };
    writeReport(dir, results);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), JSON.parse(JSON.stringify(results)));
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.match(md, /\| 20 \| 3\.98× \| 3\.78× \|/); // round-robin p90 / default p90 at 20 QPS
    assert.match(md, /```yaml\nkind: EndpointPickerConfig\n```/);
    const svg = readFileSync(join(dir, 'plot.svg'), 'utf8');
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<path /g) ?? []).length, 4); // 2 panels x 2 policies
    assert.match(svg, />p90 NTPOT/);
    assert.match(svg, />p90 TTFT</);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
