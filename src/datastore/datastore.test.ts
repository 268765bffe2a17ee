import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Datastore } from './datastore.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import type { ModelSpec, ObjectiveSpec, PodSpec, PoolSpec, ResourceSet, RewriteSpec } from './resources.ts';
import { parseLabelSelector, selectorFromLabels } from '../input/label-selector.ts';

function pool(over: Partial<PoolSpec> = {}): PoolSpec {
  return {
    name: 'pool',
    namespace: 'default',
    group: 'inference.networking.k8s.io',
    selector: { app: 'vllm' },
    targetPorts: [8000],
    appProtocol: 'http',
    failureMode: 'FailClose',
    ...over,
  };
}

function pod(name: string, ip: string, over: Partial<PodSpec> = {}): PodSpec {
  return { name, namespace: 'default', labels: { app: 'vllm' }, annotations: {}, ip, ready: true, terminating: false, ...over };
}

function model(name: string, modelName: string, createdAt: number, over: Partial<ModelSpec> = {}): ModelSpec {
  return { name, namespace: 'default', modelName, criticality: undefined, targetModels: [], poolRef: 'pool', createdAt, ...over };
}

function objective(name: string, priority: number, over: Partial<ObjectiveSpec> = {}): ObjectiveSpec {
  return { name, namespace: 'default', priority, poolRef: 'pool', createdAt: 0, ...over };
}

function rewrite(name: string, createdAt: number, rules: RewriteSpec['rules'], over: Partial<RewriteSpec> = {}): RewriteSpec {
  return { name, namespace: 'default', poolRef: 'pool', rules, createdAt, ...over };
}

function set(over: Partial<ResourceSet>): ResourceSet {
  return { pools: [], models: [], objectives: [], rewrites: [], pods: [], ...over };
}

function keys(ds: Datastore): string[] {
  return ds.endpoints().map((e) => e.key).sort();
}

const store = () => new Datastore({ poolName: '', poolNamespace: 'default' });

test('endpoints are pool selector x targetPorts, with the port index as rank', () => {
  const ds = store();
  ds.replaceAll(set({ pools: [pool({ targetPorts: [8000, 8001] })], pods: [pod('a', '10.0.0.1'), pod('b', 'fd00::2')] }));
  assert.deepEqual(keys(ds), ['10.0.0.1:8000', '10.0.0.1:8001', '[fd00::2]:8000', '[fd00::2]:8001']);
  const e = ds.endpoint('10.0.0.1:8001')!;
  assert.equal(e.rank, 1);
  assert.equal(e.podName, 'a');
  assert.equal(e.port, 8001);
  assert.ok(Object.isFrozen(ds.endpoints()));
});

test('only Ready pods with an IP, not terminating, matching the selector in the pool namespace', () => {
  const ds = store();
  ds.replaceAll(
    set({
      pools: [pool({ selector: { app: 'vllm', tier: 'gpu' } })],
      pods: [
        pod('ok', '10.0.0.1', { labels: { app: 'vllm', tier: 'gpu', extra: 'x' } }),
        pod('not-ready', '10.0.0.2', { labels: { app: 'vllm', tier: 'gpu' }, ready: false }),
        pod('no-ip', '', { labels: { app: 'vllm', tier: 'gpu' } }),
        pod('terminating', '10.0.0.4', { labels: { app: 'vllm', tier: 'gpu' }, terminating: true }),
        pod('partial-labels', '10.0.0.5'),
        pod('other-ns', '10.0.0.6', { labels: { app: 'vllm', tier: 'gpu' }, namespace: 'other' }),
      ],
    }),
  );
  assert.deepEqual(keys(ds), ['10.0.0.1:8000']);
});

test('active-ports annotation restricts the ports of one pod', () => {
  const ds = store();
  const annotations = { 'inference.networking.k8s.io/active-ports': '8002, 8000' };
  ds.replaceAll(
    set({
      pools: [pool({ targetPorts: [8000, 8001, 8002] })],
      pods: [pod('a', '10.0.0.1', { annotations }), pod('b', '10.0.0.2', { annotations: { 'inference.networking.k8s.io/active-ports': 'junk' } })],
    }),
  );
  // An annotation with no usable port is ignored rather than draining the pod.
  assert.deepEqual(keys(ds), ['10.0.0.1:8000', '10.0.0.1:8002', '10.0.0.2:8000', '10.0.0.2:8001', '10.0.0.2:8002']);
  assert.equal(ds.endpoint('10.0.0.1:8002')!.rank, 2);
});

test('a pod that stops matching leaves: endpointRemoved fires, the endpoint is marked, old snapshots stay intact', () => {
  const ds = store();
  ds.replaceAll(set({ pools: [pool()], pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')] }));
  const before = ds.endpoints();
  const removed: Endpoint[] = [];
  ds.on('endpointRemoved', (e) => removed.push(e));
  ds.upsertPod(pod('b', '10.0.0.2', { labels: { app: 'other' } }));
  assert.deepEqual(removed.map((e) => e.key), ['10.0.0.2:8000']);
  assert.equal(removed[0]!.removed, true);
  assert.deepEqual(keys(ds), ['10.0.0.1:8000']);
  assert.equal(before.length, 2, 'a reader holding the old snapshot is unaffected');
  assert.notEqual(ds.endpoints(), before);

  ds.deletePod('default', 'a');
  assert.deepEqual(removed.map((e) => e.key), ['10.0.0.2:8000', '10.0.0.1:8000']);
  assert.deepEqual(keys(ds), []);
});

test('endpointAdded fires for new pods; an IP change is a new endpoint', () => {
  const ds = store();
  const added: string[] = [];
  const removed: string[] = [];
  ds.on('endpointAdded', (e) => added.push(e.key));
  ds.on('endpointRemoved', (e) => removed.push(e.key));
  ds.upsertPool(pool());
  ds.upsertPod(pod('a', '10.0.0.1'));
  ds.upsertPod(pod('a', '10.0.0.9'));
  assert.deepEqual(added, ['10.0.0.1:8000', '10.0.0.9:8000']);
  assert.deepEqual(removed, ['10.0.0.1:8000']);
});

test('replaceAll keeps unchanged endpoints (and their metrics); changed ones are new objects', () => {
  const ds = store();
  ds.replaceAll(set({ pools: [pool()], pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')] }));
  const a = ds.endpoint('10.0.0.1:8000')!;
  const b = ds.endpoint('10.0.0.2:8000')!;
  a.waitingQueue = 7;
  a.metricsUpdatedAt = 123;
  const events: string[] = [];
  ds.on('endpointAdded', (e) => events.push(`+${e.key}`));
  ds.on('endpointRemoved', (e) => events.push(`-${e.key}`));

  // Same pods, but b moved to another pod name and engine: a keeps its object, b is replaced.
  ds.replaceAll(
    set({
      pools: [pool()],
      pods: [pod('a', '10.0.0.1'), pod('b2', '10.0.0.2', { labels: { app: 'vllm', 'inference.networking.k8s.io/engine-type': 'sglang' } })],
    }),
  );
  assert.equal(ds.endpoint('10.0.0.1:8000'), a);
  assert.equal(a.waitingQueue, 7);
  assert.equal(a.metricsUpdatedAt, 123);
  const b2 = ds.endpoint('10.0.0.2:8000')!;
  assert.notEqual(b2, b);
  assert.equal(b2.engine, 'sglang');
  assert.equal(b2.podName, 'b2');
  assert.equal(b.removed, true);
  assert.deepEqual(events, ['-10.0.0.2:8000', '+10.0.0.2:8000']);
});

test('reordered targetPorts give endpoints their new rank', () => {
  const ds = store();
  ds.replaceAll(set({ pools: [pool({ targetPorts: [8000, 8001] })], pods: [pod('a', '10.0.0.1')] }));
  assert.equal(ds.endpoint('10.0.0.1:8000')!.rank, 0);
  ds.replaceAll(set({ pools: [pool({ targetPorts: [8001, 8000] })], pods: [pod('a', '10.0.0.1')] }));
  assert.equal(ds.endpoint('10.0.0.1:8000')!.rank, 1);
  assert.equal(ds.endpoint('10.0.0.1:8001')!.rank, 0);
});

test('engine from the engine-type label; unknown values fall back to the default', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'default', defaultEngine: 'sglang' });
  const label = 'inference.networking.k8s.io/engine-type';
  ds.replaceAll(
    set({
      pools: [pool()],
      pods: [pod('a', '10.0.0.1', { labels: { app: 'vllm', [label]: 'vllm' } }), pod('b', '10.0.0.2', { labels: { app: 'vllm', [label]: 'tgi' } })],
    }),
  );
  assert.equal(ds.endpoint('10.0.0.1:8000')!.engine, 'vllm');
  assert.equal(ds.endpoint('10.0.0.2:8000')!.engine, 'sglang');
});

test('llm-d.ai pod keys first, the GIE keys as fallback (engine type, active ports), and the role label', () => {
  const ds = store();
  const pods = [
    // llm-d.ai keys only
    pod('a', '10.0.0.1', { labels: { app: 'vllm', 'llm-d.ai/engine-type': 'sglang', 'llm-d.ai/role': 'decode' }, annotations: { 'llm-d.ai/active-ports': '8001' } }),
    // both: the llm-d.ai key wins
    pod('b', '10.0.0.2', {
      labels: { app: 'vllm', 'llm-d.ai/engine-type': 'sglang', 'inference.networking.k8s.io/engine-type': 'trtllm' },
      annotations: { 'llm-d.ai/active-ports': '8000', 'inference.networking.k8s.io/active-ports': '8001' },
    }),
    // an empty llm-d.ai engine label falls back to the legacy key (upstream getEngineTypeFromEndpoint)
    pod('c', '10.0.0.3', { labels: { app: 'vllm', 'llm-d.ai/engine-type': '', 'inference.networking.k8s.io/engine-type': 'sglang' } }),
  ];
  ds.replaceAll(set({ pools: [pool({ targetPorts: [8000, 8001] })], pods }));
  assert.deepEqual(keys(ds), ['10.0.0.1:8001', '10.0.0.2:8000', '10.0.0.3:8000', '10.0.0.3:8001']);
  assert.equal(ds.endpoint('10.0.0.1:8001')!.engine, 'sglang');
  assert.equal(ds.endpoint('10.0.0.1:8001')!.role, 'decode');
  assert.equal(ds.endpoint('10.0.0.2:8000')!.engine, 'sglang');
  assert.equal(ds.endpoint('10.0.0.2:8000')!.role, '');
  assert.equal(ds.endpoint('10.0.0.3:8000')!.engine, 'sglang');
  // A role change keeps the endpoint (its metrics and in-flight counts) and moves its role with its labels.
  const before = ds.endpoint('10.0.0.1:8001');
  pods[0] = pod('a', '10.0.0.1', { labels: { app: 'vllm', 'llm-d.ai/engine-type': 'sglang', 'llm-d.ai/role': 'prefill' }, annotations: { 'llm-d.ai/active-ports': '8001' } });
  ds.replaceAll(set({ pools: [pool({ targetPorts: [8000, 8001] })], pods }));
  assert.equal(ds.endpoint('10.0.0.1:8001'), before);
  assert.equal(ds.endpoint('10.0.0.1:8001')!.role, 'prefill');
});

test('options passed as undefined still get their defaults', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'default', engineLabel: undefined as unknown as string, defaultEngine: undefined });
  assert.equal(ds.options.engineLabel, 'llm-d.ai/engine-type');
  assert.equal(ds.options.defaultEngine, 'vllm');
  ds.replaceAll(set({ pools: [pool()], pods: [pod('a', '10.0.0.1')] }));
  assert.equal(ds.endpoint('10.0.0.1:8000')!.engine, 'vllm');
});

test('modelName conflict: the oldest object wins; when it goes, the next oldest takes over', () => {
  const ds = store();
  ds.replaceAll(
    set({
      pools: [pool()],
      models: [model('new', 'llama', 2000), model('old', 'llama', 1000), model('other', 'mistral', 3000), model('elsewhere', 'llama', 1, { poolRef: 'other-pool' })],
    }),
  );
  assert.equal(ds.model('llama')!.name, 'old');
  assert.equal(ds.model('mistral')!.name, 'other');
  assert.equal(ds.model('nope'), undefined);
  assert.deepEqual(ds.models().map((m) => m.name).sort(), ['old', 'other']);
  ds.deleteModel('default', 'old');
  assert.equal(ds.model('llama')!.name, 'new');
});

test('same creationTimestamp: the name breaks the tie, independent of insertion order', () => {
  for (const order of [['b', 'a'], ['a', 'b']]) {
    const ds = store();
    ds.replaceAll(set({ pools: [pool()], models: order.map((n) => model(n, 'llama', 5)) }));
    assert.equal(ds.model('llama')!.name, 'a');
  }
});

test('objects of another pool or namespace are not applied', () => {
  const ds = store();
  ds.replaceAll(
    set({
      pools: [pool()],
      models: [model('m', 'llama', 0, { namespace: 'other' })],
      objectives: [objective('batch', -1, { poolRef: 'other-pool' }), objective('critical', 10)],
      rewrites: [rewrite('rw', 0, [{ matches: [], targets: [{ modelRewrite: 'x', weight: 1 }] }], { namespace: 'other' })],
    }),
  );
  assert.equal(ds.model('llama'), undefined);
  assert.equal(ds.objective('batch'), undefined);
  assert.equal(ds.objective('critical')!.priority, 10);
  assert.equal(ds.rewriteRule('anything'), undefined);
});

test('objectives: looked up by name; upsert and delete by namespace/name', () => {
  const ds = store();
  ds.upsertPool(pool());
  ds.upsertObjective(objective('batch', -1));
  assert.equal(ds.objective('batch')!.priority, -1);
  ds.upsertObjective(objective('batch', -2));
  assert.equal(ds.objective('batch')!.priority, -2);
  ds.deleteObjective('other', 'batch');
  assert.equal(ds.objective('batch')!.priority, -2, 'a delete in another namespace leaves it');
  ds.deleteObjective('default', 'batch');
  assert.equal(ds.objective('batch'), undefined);
});

test('rewrite precedence: exact over catch-all, oldest object, then first rule', () => {
  const ds = store();
  const t = (m: string) => [{ modelRewrite: m, weight: 1 }];
  const oldRw = rewrite('old', 100, [
    { matches: [], targets: t('old-catch-all') },
    { matches: ['a'], targets: t('old-a-first') },
    { matches: ['a', 'b'], targets: t('old-a-second') },
  ]);
  const newRw = rewrite('new', 200, [
    { matches: ['a', 'c'], targets: t('new-a') },
    { matches: [], targets: t('new-catch-all') },
  ]);
  ds.replaceAll(set({ pools: [pool()], rewrites: [newRw, oldRw] }));
  const target = (model: string) => ds.rewriteRule(model)?.targets[0]?.modelRewrite;
  assert.equal(target('a'), 'old-a-first', 'oldest object, first rule');
  assert.equal(target('b'), 'old-a-second');
  assert.equal(target('c'), 'new-a', 'an exact match in a newer object beats an older catch-all');
  assert.equal(target('zzz'), 'old-catch-all', 'oldest catch-all');
  ds.deleteRewrite('default', 'old');
  assert.equal(target('a'), 'new-a');
  assert.equal(target('zzz'), 'new-catch-all');
});

test('pool selection: by name, else the only pool; several unnamed pools select none', () => {
  const two = set({ pools: [pool({ name: 'p1', selector: { app: 'one' } }), pool({ name: 'p2', selector: { app: 'two' } })] });

  const byName = new Datastore({ poolName: 'p2', poolNamespace: 'default' });
  byName.replaceAll(two);
  assert.equal(byName.pool()!.name, 'p2');

  const ambiguous = store();
  ambiguous.replaceAll(two);
  ambiguous.markSynced();
  assert.equal(ambiguous.pool(), undefined);
  assert.equal(ambiguous.synced(), false);

  const only = store();
  only.replaceAll(set({ pools: [pool({ name: 'solo' })] }));
  assert.equal(only.pool()!.name, 'solo');
  assert.equal(only.synced(), false, 'not synced before markSynced');
  only.markSynced();
  assert.equal(only.synced(), true);

  const missing = new Datastore({ poolName: 'p3', poolNamespace: 'default' });
  missing.replaceAll(two);
  assert.equal(missing.pool(), undefined);

  // Exact namespace first, then the same name in another namespace.
  const ns = new Datastore({ poolName: 'p', poolNamespace: 'b' });
  ns.replaceAll(set({ pools: [pool({ name: 'p', namespace: 'a' }), pool({ name: 'p', namespace: 'b' })] }));
  assert.equal(ns.pool()!.namespace, 'b');
});

test('deleting the pool removes every endpoint', () => {
  const ds = store();
  ds.replaceAll(set({ pools: [pool()], pods: [pod('a', '10.0.0.1')] }));
  ds.deletePool('default', 'pool');
  assert.equal(ds.pool(), undefined);
  assert.deepEqual(keys(ds), []);
});

test('pool-less mode: a fixed selector and ports; objects apply whatever their poolRef', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'default', endpointSelector: selectorFromLabels({ app: 'vllm' }), endpointTargetPorts: [9000] });
  assert.equal(ds.pool()!.name, 'endpoint-selector');
  ds.replaceAll(set({ pods: [pod('a', '10.0.0.1')], models: [model('m', 'llama', 0, { poolRef: 'whatever' })], pools: [pool({ name: 'ignored' })] }));
  ds.markSynced();
  assert.equal(ds.synced(), true);
  assert.deepEqual(keys(ds), ['10.0.0.1:9000']);
  assert.equal(ds.pool()!.name, 'endpoint-selector');
  assert.equal(ds.model('llama')!.name, 'm');
});

test('batch: many writes, one recomputation and one changed event', () => {
  const ds = store();
  let changed = 0;
  ds.on('changed', () => changed++);
  ds.batch(() => {
    ds.upsertPool(pool());
    for (let i = 1; i <= 5; i++) ds.upsertPod(pod(`p${i}`, `10.0.0.${i}`));
    assert.equal(ds.endpoints().length, 0, 'not recomputed inside the batch');
  });
  assert.equal(changed, 1);
  assert.equal(ds.endpoints().length, 5);
});

test('pool-less mode: set-based selector terms select pods as Kubernetes does', () => {
  const ds = new Datastore({
    poolName: '',
    poolNamespace: 'default',
    endpointSelector: parseLabelSelector('app==vllm,tier notin (cpu),!canary', '--endpoint-selector'),
    endpointTargetPorts: [8000],
  });
  const labelled = (name: string, ip: string, labels: Record<string, string>) => pod(name, ip, { labels });
  ds.replaceAll(
    set({
      pods: [
        labelled('a', '10.0.0.1', { app: 'vllm', tier: 'gpu' }),
        labelled('b', '10.0.0.2', { app: 'vllm' }), // no tier: notin matches
        labelled('c', '10.0.0.3', { app: 'vllm', tier: 'cpu' }),
        labelled('d', '10.0.0.4', { app: 'vllm', canary: '' }),
        labelled('e', '10.0.0.5', { app: '=vllm' }),
      ],
    }),
  );
  assert.deepEqual(keys(ds), ['10.0.0.1:8000', '10.0.0.2:8000']);
});

test('endpoints carry their pod labels; a relabelled pod keeps its endpoint with the new labels', () => {
  const ds = store();
  const role = 'llm-d.ai/role';
  ds.replaceAll(set({ pools: [pool()], pods: [pod('a', '10.0.0.1', { labels: { app: 'vllm', [role]: 'prefill' } })] }));
  const ep = ds.endpoint('10.0.0.1:8000')!;
  assert.deepEqual(ep.labels, { app: 'vllm', [role]: 'prefill' });
  const added: Endpoint[] = [];
  ds.on('endpointAdded', (e) => added.push(e));
  ds.upsertPod(pod('a', '10.0.0.1', { labels: { app: 'vllm', [role]: 'decode' } }));
  assert.equal(ds.endpoint('10.0.0.1:8000'), ep, 'same endpoint object (metrics and in-flight counts kept)');
  assert.equal(ep.labels[role], 'decode');
  assert.equal(added.length, 0);
});
