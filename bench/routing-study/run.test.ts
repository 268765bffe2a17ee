/**
 * A short end-to-end bench run (real processes: simulated fleet, picker, gateway, load generator) produces a
 * results.json with the documented shape, a report.md and a plot.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild } from '../../test/support/child.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `node bench/routing-study/run.ts <args>`: exit code and stdout+stderr. It runs in its own process group, and the test's end
 * kills the group: bench/routing-study/run.ts starts a simulator and a picker and has no signal handler to stop them.
 */
async function run(t: TestContext, args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnChild(t, process.execPath, ['bench/routing-study/run.ts', ...args], { name: 'bench/routing-study/run.ts', cwd: ROOT, group: true });
  const code = await p.exit;
  return { code, out: p.stdout() + p.stderr() };
}

const STATS = ['p50', 'p90', 'p99'];

function assertRun(r: Record<string, unknown>): void {
  for (const k of ['policy']) assert.equal(typeof r[k], 'string', k);
  for (const k of ['qps', 'requests', 'completed', 'shed', 'errors', 'throughput_rps', 'output_tps', 'prefix_hit_rate']) assert.equal(typeof r[k], 'number', k);
  for (const k of ['ttft_ms', 'ntpot_ms', 'tpot_ms', 'e2e_ms']) {
    const s = r[k] as Record<string, number>;
    for (const q of STATS) assert.ok(Number.isFinite(s[q]) && s[q]! >= 0, `${k}.${q} = ${s[q]}`);
    assert.ok(s.p50! <= s.p90! && s.p90! <= s.p99!, `${k} percentiles ordered`);
  }
}

test('a short end-to-end run writes a valid results.json', { timeout: 120_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bench-run-'));
  try {
    const { code, out: log } = await run(t, ['--scenario', 'e2e-small', '--mode', 'e2e', '--qps', '10', '--duration', '2', '--policies', 'round-robin,default', '--time-scale', '1', '--out', out]);
    assert.equal(code, 0, log);
    const file = join(out, 'e2e-small-e2e', 'results.json');
    const results = JSON.parse(readFileSync(file, 'utf8')) as { scenario: string; mode: string; setup: Record<string, unknown>; runs: Record<string, unknown>[] };
    assert.equal(results.scenario, 'e2e-small');
    assert.equal(results.mode, 'e2e');
    assert.equal(results.setup.replicas, 2);
    assert.equal(results.setup.time_scale, 1);
    assert.deepEqual(results.runs.map((r) => r.policy), ['round-robin', 'default']);
    for (const r of results.runs) {
      assertRun(r);
      assert.equal(r.requests, 20);
      assert.equal(r.completed, 20, `${r.policy}: all requests complete at this load`);
      assert.equal(r.errors, 0);
    }
    assert.ok(existsSync(join(out, 'e2e-small-e2e', 'plot.svg')));
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /## e2e-small — e2e mode/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
