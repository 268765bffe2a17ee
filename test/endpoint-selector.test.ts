/**
 * `--endpoint-selector` selects the same pods in standalone mode (resources file -> datastore) and in Kubernetes
 * mode (pod watcher's labelSelector query -> fake API server -> reconciler -> datastore). Before one parser was
 * shared, `app==vllm` became the label value "=vllm" in the flag parser (no pod matched in either mode, while
 * the API server listed the vllm pods), and set-based terms (`in`, `notin`, `!key`) were rejected outright.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseFlags } from '../src/cli/flags.ts';
import { Datastore } from '../src/datastore/datastore.ts';
import { labelSelectorString } from '../src/input/label-selector.ts';
import { startKubernetesSource } from '../src/k8s/source.ts';
import { ResourceFileSource } from '../src/resources/file-source.ts';
import { FakeApiServer } from './support/k8s/fake-apiserver.ts';
import { silentLogger } from './support/k8s/helpers.ts';
import { NS, pod } from './support/k8s/objects.ts';

const PODS = [
  pod('a', { ip: '10.0.0.1', labels: { app: 'vllm', tier: 'gpu' } }),
  pod('b', { ip: '10.0.0.2', labels: { app: 'vllm', tier: 'tpu', canary: 'true' } }),
  pod('c', { ip: '10.0.0.3', labels: { app: 'sglang', tier: 'gpu' } }),
  pod('d', { ip: '10.0.0.4', labels: { tier: 'cpu' } }),
];

/** Selector -> the pods it selects (by name), by Kubernetes semantics. */
const CASES: [string, string][] = [
  ['app==vllm', 'a b'],
  ['app=vllm', 'a b'],
  ['app = vllm', 'a b'],
  ['app!=vllm', 'c d'], // a pod without the label matches !=
  ['tier in (gpu,tpu)', 'a b c'],
  ['app notin (vllm)', 'c d'],
  ['!canary', 'a c d'],
  ['app', 'a b c'],
  ['app==vllm,!canary', 'a'],
  ['app in (vllm),tier notin (tpu)', 'a'],
  ['app in (vllm,sglang),tier=gpu', 'a c'],
  ['example.com/role=none', ''],
];

function flagsFor(selector: string) {
  return parseFlags([`--endpoint-selector=${selector}`, '--endpoint-target-ports=8000', `--pool-namespace=${NS}`], {});
}

function podNames(ds: Datastore): string {
  return [...new Set(ds.endpoints().map((e) => e.podName))].sort().join(' ');
}

async function standalone(t: TestContext, selector: string): Promise<string> {
  const flags = flagsFor(selector);
  const datastore = new Datastore({ poolName: '', poolNamespace: flags.poolNamespace, endpointSelector: flags.endpointSelector, endpointTargetPorts: flags.endpointTargetPorts });
  const dir = await mkdtemp(join(tmpdir(), 'epp-selector-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'resources.yaml');
  await writeFile(file, PODS.map((p) => JSON.stringify(p)).join('\n---\n'));
  const result = await new ResourceFileSource({ file, datastore, logger: silentLogger }).reload();
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return podNames(datastore);
}

async function kubernetes(t: TestContext, selector: string): Promise<{ pods: string; query: string | undefined }> {
  const flags = flagsFor(selector);
  const server = await FakeApiServer.start();
  for (const p of PODS) server.apply(structuredClone(p));
  const datastore = new Datastore({ poolName: '', poolNamespace: flags.poolNamespace, endpointSelector: flags.endpointSelector, endpointTargetPorts: flags.endpointTargetPorts });
  const source = startKubernetesSource({
    datastore,
    poolName: '',
    poolNamespace: flags.poolNamespace,
    endpointSelector: flags.endpointSelector!,
    endpointTargetPorts: flags.endpointTargetPorts,
    kubeConfig: server.kubeConfig(),
    logger: silentLogger,
    backoff: { initialMs: 5, maxMs: 40 },
  });
  t.after(async () => {
    await source.stop();
    await server.allWatchesClosed();
    await server.close();
  });
  await source.synced;
  const query = server.requests.find((r) => r.path === `/api/v1/namespaces/${NS}/pods`)?.query.labelSelector;
  return { pods: podNames(datastore), query };
}

for (const [selector, want] of CASES) {
  test(`--endpoint-selector ${JSON.stringify(selector)} selects [${want}] in standalone and Kubernetes mode alike`, async (t) => {
    const file = await standalone(t, selector);
    const k8s = await kubernetes(t, selector);
    assert.equal(file, want, 'standalone (resources file)');
    assert.equal(k8s.pods, want, 'Kubernetes (pod watcher + reconciler)');
    // The API server gets the canonical form of the same selector.
    assert.equal(k8s.query, labelSelectorString(flagsFor(selector).endpointSelector!));
  });
}
