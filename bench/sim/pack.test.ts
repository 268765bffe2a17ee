/**
 * The package as installed: `npm pack` of a copy of this folder (so it builds from its own files alone), the
 * tarball installed offline into an empty project, and its `epp-sim` bin run from node_modules/.bin, where
 * Node will not strip TypeScript types: `--help`, then a server on 127.0.0.1 answering GET /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnChild } from '../../test/support/child.ts';

const run = promisify(execFile);
const PKG = fileURLToPath(new URL('.', import.meta.url));
const ROOT_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
/** Node 24 and tsc first on PATH: the bin's `#!/usr/bin/env node` and the prepack build find them there. */
const ENV = { ...process.env, PATH: [dirname(process.execPath), join(ROOT_MODULES, '.bin'), process.env.PATH].join(':') };
const STEP_MS = 60_000;

test('the packed epp-sim installs offline and its bin runs: --help, then /metrics on 127.0.0.1', { timeout: 120_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'epp-sim-pack-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const src = join(tmp, 'src');
  cpSync(PKG, src, { recursive: true, filter: (p) => !/\/(dist|node_modules)$/.test(p) });
  symlinkSync(ROOT_MODULES, join(src, 'node_modules')); // tsc and @types/node for the prepack build
  await run('npm', ['pack', '--pack-destination', tmp, '--no-audit', '--no-fund'], { cwd: src, env: ENV, timeout: STEP_MS });
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, `npm pack left no tarball in ${tmp}`);

  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, tarball)], { cwd: app, env: ENV, timeout: STEP_MS });
  const bin = join(app, 'node_modules', '.bin', 'epp-sim');
  const installed = readdirSync(join(app, 'node_modules', 'epp-sim'));
  assert.deepEqual(installed.filter((f) => f.endsWith('.ts')), [], 'the package ships TypeScript sources');

  const help = await run(bin, ['--help'], { cwd: app, env: ENV, timeout: STEP_MS });
  assert.match(help.stdout, /^usage: epp-sim/);

  const sim = spawnChild(t, bin, ['--hosts', '127.0.0.1', '--port', '0'], { name: 'epp-sim', cwd: app, env: ENV });
  const timeout = AbortSignal.timeout(STEP_MS);
  const listening = await Promise.race([
    sim.line(/epp-sim listening on http:\/\/127\.0\.0\.1:\d+/),
    new Promise<never>((_, reject) => timeout.addEventListener('abort', () => reject(new Error(`epp-sim printed no listening line:\n${sim.stderr()}`)))),
  ]);
  const url = /(http:\/\/\S+)/.exec(listening)![1]!;
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(STEP_MS) });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /^vllm:num_requests_waiting\{/m);
  sim.kill('SIGTERM');
  assert.equal(await sim.exit, 0);
});
