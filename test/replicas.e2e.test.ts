/**
 * Active-active replicas as separate `epp` processes synced over ZMQ on 127.0.0.1: a prefix learned by one
 * replica routes to the same server on another, a joining replica bootstraps from a snapshot, in-flight load
 * is shared, and a killed replica's in-flight load expires on the others.
 *
 * Replica A routes by header (header-based-testing-filter) so the test decides where its requests go; B and C
 * score (prefix-cache + active-request) and must see A's state to route as asserted. The producers have the
 * same names everywhere: that is what makes their states the same synced state.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type TestChild } from './support/child.ts';
import { EnvoyDriver, mutatedHeader, type ExtProcSession } from './support/envoy-driver.ts';
import { FakeVllm } from './support/fake-vllm.ts';
import { resourcesYaml } from './support/picker-fixture.ts';

const BIN = fileURLToPath(new URL('../bin/epp.js', import.meta.url));
const DEADLINE_MS = 10_000;

const PRODUCERS = `- type: approx-prefix-cache-producer
  parameters: {autoTune: false, blockSizeTokens: 64}
- type: inflight-load-producer
`;
const BY_HEADER = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
${PRODUCERS}- type: header-based-testing-filter
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: header-based-testing-filter
  - pluginRef: max-score-picker
`;
const SCORING = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
${PRODUCERS}- type: prefix-cache-scorer
- type: active-request-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: active-request-scorer
    weight: 1
  - pluginRef: max-score-picker
`;

/** A port p with p + 1 free too (the sync port and its snapshot port). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const a = createServer();
    await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
    const p = (a.address() as { port: number }).port;
    const b = createServer();
    const ok = await new Promise<boolean>((r) => {
      b.once('error', () => r(false));
      b.listen(p + 1, '127.0.0.1', () => r(true));
    });
    await new Promise((r) => a.close(r));
    if (ok) await new Promise((r) => b.close(r));
    if (ok && p < 65534) return p;
  }
}

interface Replica {
  proc: TestChild;
  envoy: EnvoyDriver;
  metricsPort: number;
  syncPort: number;
}

async function startReplica(t: TestContext, dir: string, name: string, config: string, resources: string, syncPort: number, peers: number[]): Promise<Replica> {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, config);
  const proc = spawnChild(t, process.execPath, [
    BIN, '--resources', resources, '--config-file', cfg, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1',
    '--secure-serving=false', '--metrics-endpoint-auth=false', '--refresh-metrics-interval=20ms', '--replica-sync', `--replica-sync-port=${syncPort}`,
    `--replica-peers=${peers.map((p) => `127.0.0.1:${p}`).join(',')}`, '--replica-peer-ttl=400ms',
  ], { name: `epp-${name}` });
  const started = JSON.parse(await proc.line(/endpoint picker started/)) as { grpcPort: number; metricsPort: number };
  await proc.line(/replica sync listening/);
  const envoy = new EnvoyDriver(`127.0.0.1:${started.grpcPort}`);
  t.after(() => envoy.close());
  return { proc, envoy, metricsPort: started.metricsPort, syncPort };
}

async function metric(r: Replica, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Polls `cond` until it holds; fails after DEADLINE_MS naming `what`. */
async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + DEADLINE_MS;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function send(r: Replica, prompt: string, to?: string): Promise<{ session: ExtProcSession; dest: string }> {
  const { session, responses } = await r.envoy.request({
    method: 'POST',
    path: '/v1/completions',
    headers: { 'content-type': 'application/json', ...(to ? { 'test-epp-endpoint-selection': to } : {}) },
    body: { model: 'm', prompt, max_tokens: 1 },
  });
  const dest = mutatedHeader(responses[0]!, 'x-gateway-destination-endpoint') ?? mutatedHeader(responses[1]!, 'x-gateway-destination-endpoint') ?? '';
  return { session, dest: dest.replace(/:\d+$/, '') };
}

async function complete(r: Replica, s: ExtProcSession): Promise<void> {
  await r.envoy.respond(s, { headers: { 'content-type': 'application/json' }, chunks: ['{"usage":{"prompt_tokens":1,"completion_tokens":1}}'] });
  s.close();
}

const prompt = (seed: number, chars = 4096): string => {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `${seed}-${i} lorem ipsum dolor sit amet `;
  return s.slice(0, chars);
};

test('replicas: prefix learned on one is routed alike by another; bootstrap; shared in-flight load; a killed replica expires', { timeout: 60_000 }, async (t) => {
  const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  const first = await FakeVllm.start(hosts[0]!, 0);
  const servers = [first, await FakeVllm.start(hosts[1]!, first.port), await FakeVllm.start(hosts[2]!, first.port)];
  const dir = mkdtempSync(join(tmpdir(), 'epp-replicas-'));
  t.after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const resources = join(dir, 'resources.yaml');
  writeFileSync(resources, resourcesYaml(hosts, first.port));
  const [pa, pb, pc] = [await freePortPair(), await freePortPair(), await freePortPair()];
  const [X, Y, Z] = hosts as [string, string, string];

  const a = await startReplica(t, dir, 'a', BY_HEADER, resources, pa, [pb, pc]);
  const b = await startReplica(t, dir, 'b', SCORING, resources, pb, [pa, pc]);
  await Promise.all(servers.map((s) => s.scraped(6)));

  // 1. A routes a prompt to Y and completes it; once B has applied A's batch, B routes the prompt to Y too.
  const shared = prompt(1);
  const r1 = await send(a, shared, Y);
  assert.equal(r1.dest, Y);
  await complete(a, r1.session);
  await until('B to apply a batch from A', async () => (await metric(b, 'llm_d_epp_replica_sync_batches_received_total')) >= 1);
  for (let i = 0; i < 3; i++) {
    const r = await send(b, shared);
    assert.equal(r.dest, Y, 'B follows the prefix A learned');
    await complete(b, r.session);
  }

  // 2. C joins later and bootstraps from a peer's snapshot: it routes the prompt to Y without any new batch.
  const c = await startReplica(t, dir, 'c', SCORING, resources, pc, [pa, pb]);
  await c.proc.line(/bootstrapped from a peer snapshot/);
  const rc = await send(c, shared);
  assert.equal(rc.dest, Y, 'C learned the prefix from the snapshot');
  await complete(c, rc.session);

  // 3. A holds two requests on X and two on Y; B, seeing them, puts its own two (held) on Z.
  const held = [];
  for (const to of [X, X, Y, Y]) held.push((await send(a, prompt(100 + held.length, 256), to)).session);
  // A probe is completed at once, so it leaves no load behind; it goes to Z once B sees A's load.
  await until("B to see A's in-flight load", async () => {
    const p = await send(b, prompt(200, 256));
    await complete(b, p.session);
    return p.dest === Z;
  });
  const onB = [await send(b, prompt(300, 256)), await send(b, prompt(301, 256))];
  assert.deepEqual(onB.map((r) => r.dest), [Z, Z], 'X and Y carry A\'s two requests each');

  // 4. A is killed with its four requests open: B drops them after the TTL and uses X and Y again.
  a.proc.kill('SIGKILL');
  await a.proc.exit;
  await until('B to expire A', async () => (await metric(b, 'llm_d_epp_replica_sync_peers_expired_total')) >= 1);
  const after = [await send(b, prompt(400, 256)), await send(b, prompt(401, 256))];
  assert.deepEqual(after.map((r) => r.dest).sort(), [X, Y], "A's in-flight requests no longer count");
  for (const s of [...onB, ...after]) await complete(b, s.session);
  for (const s of held) s.close();
});
