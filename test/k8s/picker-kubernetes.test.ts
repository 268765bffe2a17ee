/**
 * The whole picker (flags -> startPicker) in Kubernetes mode against the fake API server, found through
 * KUBECONFIG like in a real deployment; readiness read from the picker's gRPC health server with a Watch
 * stream. Skips itself while the runner does not wire Kubernetes mode yet.
 */
import { test, type TestContext } from 'node:test';
import { EventEmitter } from 'node:events';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { parseFlags } from '../../src/cli/flags.ts';
import { startPicker, type PickerHandle } from '../../src/runner.ts';
import { FakeApiServer } from '../support/k8s/fake-apiserver.ts';
import { silentLogger, until } from '../support/k8s/helpers.ts';
import { NS, pod, pool } from '../support/k8s/objects.ts';

type Status = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' | 'UNKNOWN';
const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');

/** Every ReadinessWatch reports here, so a test can wait on one or several pickers. */
const statusChanges = new EventEmitter<{ status: [] }>();

/** Readiness of one picker as its health server streams it (grpc.health.v1 Watch). */
class ReadinessWatch {
  status: Status = 'UNKNOWN';
  #client: grpc.Client;
  #call: grpc.ClientReadableStream<{ status: Status }>;
  constructor(port: number) {
    this.#client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const watch = (this.#client as unknown as { watch(req: object): grpc.ClientReadableStream<{ status: Status }> }).watch.bind(this.#client);
    this.#call = watch({ service: 'readiness' });
    this.#call.on('data', (m) => {
      this.status = m.status;
      statusChanges.emit('status');
    });
    this.#call.on('error', () => {});
  }
  until(want: Status, what: string): Promise<void> {
    return until(statusChanges, 'status', () => this.status === want, `readiness ${want}: ${what}`, 10_000);
  }
  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

// Pod IPs are loopback addresses with nothing listening, so the picker's metric scrapes fail at once
// instead of waiting on connect timeouts to unroutable addresses.
async function setup(t: TestContext) {
  const server = await FakeApiServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'epp-kubeconfig-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      // The client library refuses plain http without insecure-skip-tls-verify (also true for `kubectl proxy`).
      `clusters: [{name: fake, cluster: {server: "${server.url}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: tester, user: {token: fake-token}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: tester, namespace: inference}}]',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = file;
  const pickers: PickerHandle[] = [];
  const watches: ReadinessWatch[] = [];
  t.after(async () => {
    for (const w of watches) w.close();
    for (const p of pickers) await p.stop();
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  });
  /** Starts a picker; undefined (and the test skipped) when the runner has no Kubernetes mode yet. */
  const start = async (...extra: string[]): Promise<{ picker: PickerHandle; ready: ReadinessWatch } | undefined> => {
    const flags = parseFlags(
      ['--pool-name=pool', `--pool-namespace=${NS}`, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', ...extra],
      {},
    );
    try {
      const picker = await startPicker(flags, silentLogger);
      pickers.push(picker);
      const ready = new ReadinessWatch(picker.healthPort);
      watches.push(ready);
      return { picker, ready };
    } catch (err) {
      if (/not wired/i.test((err as Error).message)) {
        t.skip('runner.ts does not wire Kubernetes mode yet (startKubernetesMode in src/k8s/mode.ts)');
        return undefined;
      }
      throw err;
    }
  };
  return { server, start };
}

test('the picker follows the cluster: ready once the pool is seen, endpoints follow pods', async (t) => {
  const { server, start } = await setup(t);
  server.apply(pod('p1', { ip: '127.0.0.1' }));
  const started = await start();
  if (!started) return;
  const { picker, ready } = started;
  await ready.until('NOT_SERVING', 'no pool yet');

  server.apply(pool('pool', { app: 'vllm' }, [8000, 8001]));
  await ready.until('SERVING', 'pool seen and synced');
  assert.deepEqual(picker.datastore.endpoints().map((e) => e.key).sort(), ['127.0.0.1:8000', '127.0.0.1:8001']);

  server.apply(pod('p1', { ip: '127.0.0.1', ready: false }));
  await until(picker.datastore, 'changed', () => picker.datastore.endpoints().length === 0, 'unready pod leaves');
  server.dropConnections();
  server.apply(pod('p2', { ip: '127.0.0.2' }));
  await until(picker.datastore, 'changed', () => picker.datastore.endpoint('127.0.0.2:8000') !== undefined, 'pod after a cut watch');

  server.delete(pool('pool', {}));
  await ready.until('NOT_SERVING', 'pool deleted');
});

test('two replicas with --ha-enable-leader-election: exactly one is ready', async (t) => {
  const { server, start } = await setup(t);
  server.apply(pool('pool', { app: 'vllm' }));
  server.apply(pod('p1', { ip: '127.0.0.1' }));
  const a = await start('--ha-enable-leader-election');
  if (!a) return;
  const b = (await start('--ha-enable-leader-election'))!;
  for (const r of [a, b]) await until(r.picker.datastore, 'changed', () => r.picker.datastore.synced(), 'synced');
  // The first to try creates the Lease; wait for one to report ready, then check the other is synced but not ready.
  await until(statusChanges, 'status', () => a.ready.status === 'SERVING' || b.ready.status === 'SERVING', 'one replica ready', 10_000);
  const [leader, standby] = a.ready.status === 'SERVING' ? [a, b] : [b, a];
  assert.equal(leader.ready.status, 'SERVING');
  assert.equal(standby.ready.status, 'NOT_SERVING');
  assert.ok(standby.picker.datastore.synced(), 'the standby is synced, only not the leader');
});

test('Kubernetes mode: /metrics needs a token that the API server reviews (--metrics-endpoint-auth, default true)', async (t) => {
  const { server, start } = await setup(t);
  server.reviewTokens.set('prom', { username: 'prometheus' });
  server.allowedAccess.add('prometheus get /metrics');
  const started = await start();
  if (!started) return;
  const url = `http://127.0.0.1:${started.picker.metricsPort}/metrics`;
  assert.equal((await fetch(url)).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: 'Bearer nope' } })).status, 401);
  const ok = await fetch(url, { headers: { authorization: 'Bearer prom' } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /inference_/);
  const off = await start('--metrics-endpoint-auth=false');
  assert.equal((await fetch(`http://127.0.0.1:${off!.picker.metricsPort}/metrics`)).status, 200);
});
