/** The `epp` binary as a user runs it: --help, startup errors that name the problem, readiness, SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { EnvoyDriver, mutatedHeader } from './support/envoy-driver.ts';

const BIN = fileURLToPath(new URL('../bin/epp.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/standalone/resources.yaml', import.meta.url));

function run(args: string[]): { exit: Promise<number | null>; stdout: () => string; stderr: () => string; kill: (s: NodeJS.Signals) => void; line: (re: RegExp) => Promise<string> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = out.split('\n').find((l) => w.re.test(l));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    check();
  });
  child.stderr.on('data', (d: Buffer) => (err += d));
  return {
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    stdout: () => out,
    stderr: () => err,
    kill: (s) => child.kill(s),
    line: (re) => new Promise((resolve) => (waiters.push({ re, resolve }), check())),
  };
}

test('--help lists the flags with their defaults and exits 0', async () => {
  const p = run(['--help']);
  assert.equal(await p.exit, 0);
  for (const f of ['--grpc-port', '--grpc-health-port', '--metrics-port', '--secure-serving', '--cert-path', '--refresh-metrics-interval', '--metrics-staleness-threshold', '--config-file', '--config-text', '--resources', '--pool-name', '--v']) {
    assert.match(p.stdout(), new RegExp(`${f}\\b`), f);
  }
  assert.match(p.stdout(), /--grpc-port <int>\s+.*\(default 9002\)/);
});

test('an unknown flag and an invalid scheduler config stop startup with the problem named', async () => {
  const a = run(['--no-such-flag']);
  assert.equal(await a.exit, 2);
  assert.match(a.stderr(), /unknown flag --no-such-flag/);
  const dir = mkdtempSync(join(tmpdir(), 'epp-cli-'));
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\nplugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: default\n  plugins:\n  - pluginRef: nope\n');
  const b = run(['--resources', EXAMPLE, '--config-file', cfg, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1']);
  assert.equal(await b.exit, 1);
  assert.match(b.stderr(), /schedulingProfiles\[0\]\.plugins\[0\]\.pluginRef/);
  const bad = join(dir, 'bad-resources.yaml');
  writeFileSync(bad, 'apiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\nmetadata: {name: p}\nspec: {targetPorts: [{number: 8000}]}\n');
  const c = run(['--resources', bad, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1']);
  assert.equal(await c.exit, 1);
  assert.match(c.stderr(), /selector/);
});

test('starts on the standalone example over TLS, reports ready, routes over TLS, stops cleanly on SIGTERM', async () => {
  const p = run(['--resources', EXAMPLE, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--refresh-metrics-interval=1s']);
  // Startup's garbage is given back before the ports open (src/runtime/heap-compaction.ts), also without --expose-gc.
  const compacted = JSON.parse(await p.line(/heap compacted/)) as { ms: number | null; rssMB: number };
  assert.equal(typeof compacted.ms, 'number');
  const started = JSON.parse(await p.line(/endpoint picker started/)) as { healthPort: number; grpcPort: number; secure: boolean; endpoints: number };
  assert.equal(started.secure, true);
  assert.equal(started.endpoints, 3);
  const Client = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Client(`127.0.0.1:${started.healthPort}`, grpc.credentials.createInsecure()) as unknown as {
    check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
    close(): void;
  };
  const res = await new Promise<{ status: string }>((resolve, reject) => client.check({ service: 'readiness' }, (err, r) => (err ? reject(err) : resolve(r))));
  assert.equal(res.status, 'SERVING');
  client.close();
  // The ext_proc port speaks TLS (self-signed): a TLS channel that skips verification connects.
  const creds = grpc.credentials.createSsl(null, null, null, { checkServerIdentity: () => undefined, rejectUnauthorized: false });
  const envoy = new EnvoyDriver(`127.0.0.1:${started.grpcPort}`, creds);
  const { session, responses } = await envoy.request({ method: 'GET', path: '/v1/models' });
  assert.match(mutatedHeader(responses[0]!, 'x-gateway-destination-endpoint') ?? '', /^127\.0\.0\.[234]:8000$/);
  session.close();
  envoy.close();
  p.kill('SIGTERM');
  assert.equal(await p.exit, 0);
  assert.match(p.stdout(), /endpoint picker stopped/);
});
