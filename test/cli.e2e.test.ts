/** The `epp` binary as a user runs it: --help, startup errors that name the problem, readiness, SIGTERM. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { spawnChild, type TestChild } from './support/child.ts';
import { EnvoyDriver, mutatedHeader } from './support/envoy-driver.ts';

const BIN = fileURLToPath(new URL('../bin/epp.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/standalone/resources.yaml', import.meta.url));

/** `epp <args>` as a child of test `t`, killed when the test ends; a wait for a line fails if it exits first. */
function run(t: TestContext, args: string[]): TestChild {
  return spawnChild(t, process.execPath, [BIN, ...args], { name: 'epp' });
}

test('--help lists the flags with their defaults and exits 0', async (t) => {
  const p = run(t, ['--help']);
  assert.equal(await p.exit, 0);
  for (const f of ['--grpc-port', '--grpc-health-port', '--metrics-port', '--secure-serving', '--cert-path', '--refresh-metrics-interval', '--metrics-staleness-threshold', '--config-file', '--config-text', '--resources', '--pool-name', '--v']) {
    assert.match(p.stdout(), new RegExp(`${f}\\b`), f);
  }
  assert.match(p.stdout(), /--grpc-port <int>\s+.*\(default 9002\)/);
});

test('an unknown flag and an invalid scheduler config stop startup with the problem named', async (t) => {
  const a = run(t, ['--no-such-flag']);
  assert.equal(await a.exit, 2);
  assert.match(a.stderr(), /unknown flag --no-such-flag/);
  const dir = mkdtempSync(join(tmpdir(), 'epp-cli-'));
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\nplugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: default\n  plugins:\n  - pluginRef: nope\n');
  const b = run(t, ['--resources', EXAMPLE, '--config-file', cfg, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1']);
  assert.equal(await b.exit, 1);
  assert.match(b.stderr(), /schedulingProfiles\[0\]\.plugins\[0\]\.pluginRef/);
  const bad = join(dir, 'bad-resources.yaml');
  writeFileSync(bad, 'apiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\nmetadata: {name: p}\nspec: {targetPorts: [{number: 8000}]}\n');
  const c = run(t, ['--resources', bad, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1']);
  assert.equal(await c.exit, 1);
  assert.match(c.stderr(), /selector/);
});

test('an Alpha plugin stops startup unless --allow-experimental-plugins is set (upstream ValidatePluginStability)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'epp-cli-'));
  const cfg = join(dir, 'alpha.yaml');
  writeFileSync(cfg, 'apiVersion: llm-d.ai/v1alpha1\nkind: EndpointPickerConfig\nplugins:\n- type: queue-scorer\n- type: header-label-affinity-scorer\n  parameters: {headerName: x-zone, labelKey: zone}\nschedulingProfiles:\n- name: default\n  plugins:\n  - pluginRef: queue-scorer\n  - pluginRef: header-label-affinity-scorer\n');
  const common = ['--resources', EXAMPLE, '--config-file', cfg, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1'];
  const a = run(t, common);
  assert.equal(await a.exit, 1);
  assert.match(a.stderr(), /plugin 'header-label-affinity-scorer' \(type: 'header-label-affinity-scorer'\) has Alpha stability level, but command line flag --allow-experimental-plugins is not set/);
  const b = run(t, [...common, '--allow-experimental-plugins']);
  await b.line(/endpoint picker started/);
});

test('starts on the standalone example over TLS, reports ready, routes over TLS, stops cleanly on SIGTERM', async (t) => {
  const p = run(t, ['--resources', EXAMPLE, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--refresh-metrics-interval=1s']);
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
