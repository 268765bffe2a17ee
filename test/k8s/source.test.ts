/**
 * The Kubernetes source (informers + reconciler) against the fake API server, feeding a real Datastore:
 * pods come and go, the pool's selector changes, objects change, watches are cut, invalid objects arrive.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Datastore } from '../../src/datastore/datastore.ts';
import type { Endpoint } from '../../src/framework/endpoint.ts';
import { startKubernetesSource, type KubernetesSource, type KubernetesSourceOptions } from '../../src/k8s/source.ts';
import { FakeApiServer } from '../support/k8s/fake-apiserver.ts';
import { captureLogger, silentLogger, until } from '../support/k8s/helpers.ts';
import { LLMD_V1ALPHA2, model, NS, objective, pod, pool, poolV1alpha2, rewrite } from '../support/k8s/objects.ts';
import { selectorFromLabels } from '../../src/input/label-selector.ts';

interface Harness {
  server: FakeApiServer;
  ds: Datastore;
  source: KubernetesSource;
  added: string[];
  removed: string[];
  keys(): string;
  waitKeys(want: string, what?: string): Promise<void>;
  close(): Promise<void>;
}

async function harness(
  t: TestContext,
  seed: (s: FakeApiServer) => void,
  opts: Partial<KubernetesSourceOptions> = {},
  dsOpts: Partial<ConstructorParameters<typeof Datastore>[0]> = {},
): Promise<Harness> {
  const server = await FakeApiServer.start();
  seed(server);
  const ds = new Datastore({ poolName: 'pool', poolNamespace: NS, ...dsOpts });
  const added: string[] = [];
  const removed: string[] = [];
  ds.on('endpointAdded', (e: Endpoint) => added.push(e.key));
  ds.on('endpointRemoved', (e: Endpoint) => removed.push(e.key));
  const source = startKubernetesSource({
    datastore: ds,
    poolName: 'pool',
    poolNamespace: NS,
    kubeConfig: server.kubeConfig(),
    logger: silentLogger,
    backoff: { initialMs: 5, maxMs: 40 },
    ...opts,
  });
  const keys = () => ds.endpoints().map((e) => e.key).sort().join(' ');
  let closed = false;
  const h: Harness = {
    server,
    ds,
    source,
    added,
    removed,
    keys,
    waitKeys: (want, what = `endpoints = ${want}`) => until(ds, 'changed', () => keys() === want, what),
    async close() {
      if (closed) return;
      closed = true;
      await source.stop();
      await server.allWatchesClosed();
      await server.close();
    },
  };
  t.after(() => h.close()); // also on failure, so a failing test does not leave informers retrying
  return h;
}

test('pods x targetPorts become endpoints; only Ready pods with an IP that are not terminating', async (t) => {
  const h = await harness(t, (s) => {
    s.apply(pool('pool', { app: 'vllm' }, [8000, 8001]));
    s.apply(pod('ready', { ip: '10.0.0.1' }));
    s.apply(pod('unready', { ip: '10.0.0.2', ready: false }));
    s.apply(pod('no-ip', { ip: '' }));
    s.apply(pod('terminating', { ip: '10.0.0.3', terminating: true }));
    s.apply(pod('other-app', { ip: '10.0.0.4', labels: { app: 'other' } }));
  });
  await h.source.synced;
  assert.ok(h.source.ready());
  assert.equal(h.keys(), '10.0.0.1:8000 10.0.0.1:8001');
  // The selector went to the API server: the other app's pod was never fetched.
  assert.ok(!h.ds.pods().some((p) => p.name === 'other-app'));
  const podRequests = h.server.requests.filter((r) => r.path.endsWith('/pods'));
  assert.ok(podRequests.length > 0 && podRequests.every((r) => r.query.labelSelector === 'app=vllm'));

  // Readiness gained and lost, then deletion: each leaves or joins at once.
  h.server.apply(pod('unready', { ip: '10.0.0.2' }));
  await h.waitKeys('10.0.0.1:8000 10.0.0.1:8001 10.0.0.2:8000 10.0.0.2:8001');
  h.server.apply(pod('ready', { ip: '10.0.0.1', ready: false }));
  await h.waitKeys('10.0.0.2:8000 10.0.0.2:8001');
  h.server.apply(pod('unready', { ip: '10.0.0.2', terminating: true }));
  await h.waitKeys('');
  h.server.apply(pod('ready', { ip: '10.0.0.1' }));
  await h.waitKeys('10.0.0.1:8000 10.0.0.1:8001');
  h.server.delete(pod('ready'));
  await h.waitKeys('');
  assert.deepEqual(h.removed.filter((k) => k === '10.0.0.1:8000').length, 2);
  await h.close();
});

test('a pod that stops matching leaves at once; a pool selector change re-watches with the new selector', async (t) => {
  const h = await harness(t, (s) => {
    s.apply(pool('pool', { app: 'a' }));
    s.apply(pod('a1', { ip: '10.0.1.1', labels: { app: 'a' } }));
    s.apply(pod('b1', { ip: '10.0.2.1', labels: { app: 'b' } }));
  });
  await h.source.synced;
  assert.equal(h.keys(), '10.0.1.1:8000');

  h.server.apply(pod('a1', { ip: '10.0.1.1', labels: { app: 'relabelled' } }));
  await h.waitKeys('', 'relabelled pod gone');
  h.server.apply(pod('a1', { ip: '10.0.1.1', labels: { app: 'a' } }));
  await h.waitKeys('10.0.1.1:8000');

  const rewatch = h.server.nextRequest((r) => r.watch && r.query.labelSelector === 'app=b');
  h.server.apply(pool('pool', { app: 'b' }));
  await h.waitKeys('10.0.2.1:8000', 'switched to app=b');
  await rewatch;
  // Pods only the old selection held are dropped from the datastore once the new list is in.
  await until(h.ds, 'changed', () => h.ds.pods().map((p) => p.name).join() === 'b1', 'old pods pruned');
  // Later changes come from the new informer.
  h.server.apply(pod('b2', { ip: '10.0.2.2', labels: { app: 'b' } }));
  await h.waitKeys('10.0.2.1:8000 10.0.2.2:8000');
  await h.close();
});

test('InferenceModel, InferenceObjective and InferenceModelRewrite follow the cluster', async (t) => {
  const h = await harness(t, (s) => {
    s.apply(pool('pool', { app: 'vllm' }));
    s.apply(model('chat', 'llama', [{ name: 'llama-v1', weight: 1 }]));
    s.apply(objective('critical', 10));
    s.apply(rewrite('rw', 'gpt-4', 'llama'));
  });
  await h.source.synced;
  assert.deepEqual(h.ds.model('llama')?.targetModels, [{ name: 'llama-v1', weight: 1 }]);
  assert.equal(h.ds.objective('critical')?.priority, 10);
  assert.deepEqual(h.ds.rewriteRule('gpt-4')?.targets, [{ modelRewrite: 'llama', weight: 1 }]);

  h.server.apply(model('chat', 'llama', [{ name: 'llama-v1', weight: 1 }, { name: 'llama-v2', weight: 3 }]));
  await until(h.ds, 'changed', () => h.ds.model('llama')?.targetModels.length === 2, 'targetModels updated');
  assert.deepEqual(h.ds.model('llama')?.targetModels, [{ name: 'llama-v1', weight: 1 }, { name: 'llama-v2', weight: 3 }]);

  h.server.delete(objective('critical', 10));
  h.server.delete(rewrite('rw', '', ''));
  await until(h.ds, 'changed', () => !h.ds.objective('critical') && !h.ds.rewriteRule('gpt-4'), 'deleted');
  await h.close();
});

test('llm-d.ai/v1alpha2 InferenceObjective and InferenceModelRewrite: preferred; GIE objects ignored while the llm-d.ai CRDs exist', async (t) => {
  const h = await harness(t, (s) => {
    s.serveLlmdGroup();
    s.apply(pool('pool', { app: 'vllm' }));
    s.apply(objective('new', 5, 'pool', LLMD_V1ALPHA2));
    s.apply(rewrite('rw-new', 'a', 'from-llmd', 'pool', LLMD_V1ALPHA2));
    s.apply(objective('old', 7));
    s.apply(rewrite('rw-old', 'b', 'from-gie'));
  });
  await h.source.synced;
  assert.equal(h.ds.objective('new')?.priority, 5);
  assert.deepEqual(h.ds.rewriteRule('a')?.targets, [{ modelRewrite: 'from-llmd', weight: 1 }]);
  assert.equal(h.ds.objective('old'), undefined, 'legacy objects are ignored when both CRDs are installed (upstream controller_config.go)');
  assert.equal(h.ds.rewriteRule('b'), undefined);
  // Live updates come from the llm-d.ai group.
  h.server.apply(objective('new', -1, 'pool', LLMD_V1ALPHA2));
  await until(h.ds, 'changed', () => h.ds.objective('new')?.priority === -1, 'llm-d.ai objective updated');
  await h.close();
});

test('the GIE group is read when the llm-d.ai CRDs are absent (404) or forbidden (403)', async (t) => {
  const h = await harness(t, (s) => {
    s.apply(pool('pool', { app: 'vllm' }));
    s.apply(objective('old', 7));
    s.apply(rewrite('rw-old', 'b', 'from-gie'));
  });
  await h.source.synced;
  assert.equal(h.ds.objective('old')?.priority, 7);
  assert.deepEqual(h.ds.rewriteRule('b')?.targets, [{ modelRewrite: 'from-gie', weight: 1 }]);
  assert.ok(h.server.requests.some((r) => r.path.includes('/apis/llm-d.ai/v1alpha2/namespaces/inference/inferenceobjectives')), 'llm-d.ai tried first');
  await h.close();

  const forbidden = await harness(t, (s) => {
    s.serveLlmdGroup();
    s.failNext((r) => r.path.includes('/apis/llm-d.ai/'), 403, 2);
    s.apply(pool('pool', { app: 'vllm' }));
    s.apply(objective('old', 7));
  });
  await forbidden.source.synced;
  assert.equal(forbidden.ds.objective('old')?.priority, 7);
  await forbidden.close();
});

test('an invalid object is logged with its name and field and skipped; valid-then-invalid counts as deleted', async (t) => {
  const { logger, lines } = captureLogger();
  const bad = model('bad', 'mistral', [{ name: 'a', weight: 0 }]);
  const h = await harness(
    t,
    (s) => {
      s.apply(pool('pool', { app: 'vllm' }));
      s.apply(model('good', 'llama', [{ name: 'llama-v1' }]));
      s.apply(bad);
    },
    { logger },
  );
  await h.source.synced;
  assert.ok(h.ds.model('llama'));
  assert.equal(h.ds.model('mistral'), undefined);
  const warn = lines.find((l) => l.object === `${NS}/bad`);
  assert.ok(warn, 'warning names the object');
  assert.equal(warn.field, 'spec.targetModels[0].weight');
  assert.equal(warn.kind, 'InferenceModel');

  // The good one turns bad: it leaves the datastore (state = valid subset of the cluster, see reconciler.ts).
  h.server.apply(model('good', 'llama', [{ name: 'x', weight: 1 }, { name: 'y' }]));
  await until(h.ds, 'changed', () => h.ds.model('llama') === undefined, 'invalid update removes the model');
  // And fixing it brings it back.
  h.server.apply(model('good', 'llama', [{ name: 'llama-v3' }]));
  await until(h.ds, 'changed', () => h.ds.model('llama')?.targetModels[0]?.name === 'llama-v3', 'fixed model back');
  await h.close();
});

test('a cut watch resumes; a relist after 410 keeps unchanged endpoints without remove/add churn', async (t) => {
  const h = await harness(t, (s) => {
    s.apply(pool('pool', { app: 'vllm' }));
    s.apply(pod('p1', { ip: '10.0.0.1' }));
    s.apply(pod('p2', { ip: '10.0.0.2' }));
  });
  await h.source.synced;
  const p1 = h.ds.endpoint('10.0.0.1:8000');
  assert.ok(p1);

  h.server.dropConnections();
  h.server.apply(pod('p3', { ip: '10.0.0.3' }));
  await h.waitKeys('10.0.0.1:8000 10.0.0.2:8000 10.0.0.3:8000', 'p3 after reconnect');

  // Cut again, change things while disconnected, and expire the history: the informers relist.
  h.server.dropConnections();
  h.server.delete(pod('p2'));
  h.server.apply(pod('p4', { ip: '10.0.0.4' }));
  h.server.store.compact();
  await h.waitKeys('10.0.0.1:8000 10.0.0.3:8000 10.0.0.4:8000', 'relist reconciled');
  assert.equal(h.ds.endpoint('10.0.0.1:8000'), p1, 'same Endpoint object (metrics kept)');
  assert.deepEqual(h.removed, ['10.0.0.2:8000']);
  assert.equal(new Set(h.added).size, h.added.length, 'no endpoint added twice');
  await h.close();
});

test('not ready until the pool exists; ready once it appears; not ready when it is deleted', async (t) => {
  const h = await harness(t, (s) => s.apply(pod('p1', { ip: '10.0.0.1' })));
  const sawWatch = h.server.nextRequest((r) => r.watch && r.path.endsWith('/inferencepools'));
  await sawWatch;
  assert.equal(h.source.ready(), false);
  assert.equal(h.server.requests.filter((r) => r.path.endsWith('/pods')).length, 0, 'no pod watch before the selector is known');
  h.server.apply(pool('pool', { app: 'vllm' }));
  await h.source.synced;
  assert.ok(h.source.ready());
  assert.equal(h.keys(), '10.0.0.1:8000');
  h.server.delete(pool('pool', {}));
  await until(h.ds, 'changed', () => !h.source.ready(), 'pool deleted -> not ready');
  assert.equal(h.keys(), '');
  await h.close();
});

test('missing optional CRDs do not block readiness; only this pool is read (field selector)', async (t) => {
  const h = await harness(t, (s) => {
    s.unserve('inference.networking.x-k8s.io/v1alpha2', 'InferenceModel');
    s.unserve('inference.networking.x-k8s.io/v1alpha2', 'InferenceModelRewrite');
    s.apply(pool('pool', { app: 'vllm' }));
    s.apply(pool('another', { app: 'vllm' }, [9000]));
    s.apply(pod('p1', { ip: '10.0.0.1' }));
  });
  await h.source.synced;
  assert.equal(h.keys(), '10.0.0.1:8000');
  assert.ok(h.server.requests.some((r) => r.query.fieldSelector === 'metadata.name=pool'));
  await h.close();
});

test('v1alpha2 pools with --pool-group inference.networking.x-k8s.io', async (t) => {
  const h = await harness(
    t,
    (s) => {
      s.apply(poolV1alpha2('pool', { app: 'vllm' }, 8080));
      s.apply(pod('p1', { ip: '10.0.0.1' }));
    },
    { poolGroup: 'inference.networking.x-k8s.io' },
  );
  await h.source.synced;
  assert.equal(h.keys(), '10.0.0.1:8080');
  assert.equal(h.ds.pool()?.failureMode, 'FailClose');
  await h.close();
});

test('pool-less mode: --endpoint-selector and --endpoint-target-ports, no pool informer', async (t) => {
  const h = await harness(
    t,
    (s) => {
      s.apply(pod('p1', { ip: '10.0.0.1', labels: { role: 'server' } }));
      s.apply(pod('p2', { ip: '10.0.0.2', labels: { role: 'client' } }));
    },
    { endpointSelector: selectorFromLabels({ role: 'server' }), endpointTargetPorts: [8000, 8002] },
    { endpointSelector: selectorFromLabels({ role: 'server' }), endpointTargetPorts: [8000, 8002] },
  );
  await h.source.synced;
  assert.equal(h.keys(), '10.0.0.1:8000 10.0.0.1:8002');
  assert.ok(!h.server.requests.some((r) => r.path.includes('inferencepools')));
  await h.close();
});
