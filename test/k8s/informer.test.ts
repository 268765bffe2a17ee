/** The list+watch loop against the fake API server: reconnects, 410 relists, failures, optional kinds, stop. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { KubeClient, type KubeObject } from '../../src/k8s/client.ts';
import { Informer, keyOf } from '../../src/k8s/informer.ts';
import { FakeApiServer, type RequestRecord } from '../support/k8s/fake-apiserver.ts';
import { silentLogger, until } from '../support/k8s/helpers.ts';
import { model, NS, pod } from '../support/k8s/objects.ts';

const PODS = `/api/v1/namespaces/${NS}/pods`;
const BACKOFF = { initialMs: 5, maxMs: 40 };

class Recorder extends EventEmitter<{ change: [] }> {
  objects = new Map<string, KubeObject>();
  upserts: string[] = [];
  removes: string[] = [];
  listed = 0;
  handlers = {
    upsert: (o: KubeObject) => {
      this.objects.set(keyOf(o), o);
      this.upserts.push(o.metadata?.name ?? '');
      this.emit('change');
    },
    remove: (o: KubeObject) => {
      this.objects.delete(keyOf(o));
      this.removes.push(o.metadata?.name ?? '');
      this.emit('change');
    },
    listed: () => {
      this.listed++;
      this.emit('change');
    },
  };
  names(): string[] {
    return [...this.objects.values()].map((o) => o.metadata?.name ?? '').sort();
  }
}

async function setup(t: TestContext, spec: Partial<ConstructorParameters<typeof Informer>[0]> = {}) {
  const server = await FakeApiServer.start();
  const client = new KubeClient(server.kubeConfig());
  const rec = new Recorder();
  const informer = new Informer({ path: PODS, apiVersion: 'v1', kind: 'Pod', ...spec }, rec.handlers, { client, logger: silentLogger, backoff: BACKOFF });
  let closed = false;
  const cleanup = async () => {
    if (closed) return;
    closed = true;
    await informer.stop();
    await server.allWatchesClosed();
    await client.close();
    await server.close();
  };
  t.after(cleanup);
  return { server, client, rec, informer, cleanup };
}

const isWatch = (r: RequestRecord) => r.watch;
const isList = (r: RequestRecord) => r.method === 'GET' && !r.watch;

test('lists, then follows watch events; list items get apiVersion and kind', async (t) => {
  const { server, rec, informer, cleanup } = await setup(t, { labelSelector: 'app=vllm' });
  server.apply(pod('a'));
  server.apply(pod('ignored', { labels: { app: 'other' } }));
  const watching = server.nextRequest(isWatch);
  informer.start();
  await watching;
  assert.deepEqual(rec.names(), ['a']);
  assert.equal(rec.objects.get(`${NS}/a`)?.kind, 'Pod');
  assert.equal(rec.listed, 1);
  assert.ok(informer.synced());
  // The selector is pushed to the API server on both list and watch.
  assert.ok(server.requests.filter((r) => r.path === PODS).every((r) => r.query.labelSelector === 'app=vllm'));

  server.apply(pod('b'));
  server.delete(pod('a'));
  await until(rec, 'change', () => rec.names().join() === 'b', 'b only');
  await cleanup();
});

test('a dropped connection reconnects from the last resourceVersion without relisting', async (t) => {
  const { server, rec, informer, cleanup } = await setup(t);
  server.apply(pod('a'));
  let watching = server.nextRequest(isWatch);
  informer.start();
  await watching;
  server.apply(pod('b'));
  await until(rec, 'change', () => rec.objects.has(`${NS}/b`), 'b seen');
  const lastRv = String(server.store.resourceVersion());

  watching = server.nextRequest(isWatch);
  server.dropConnections();
  const resumed = await watching;
  assert.equal(resumed.query.resourceVersion, lastRv);
  assert.equal(server.requests.filter(isList).length, 1, 'no relist');

  server.apply(pod('c'));
  await until(rec, 'change', () => rec.names().join() === 'a,b,c', 'c after reconnect');
  assert.deepEqual(rec.upserts, ['a', 'b', 'c'], 'no duplicate upserts');
  await cleanup();
});

test('410 after a cut relists and reconciles what changed meanwhile, with no duplicates', async (t) => {
  const { server, rec, informer, cleanup } = await setup(t);
  server.apply(pod('keep'));
  server.apply(pod('gone'));
  server.apply(pod('changed', { ip: '10.0.0.5' }));
  const watching = server.nextRequest(isWatch);
  informer.start();
  await watching;
  assert.equal(rec.listed, 1);

  // While the connection is down: one deleted, one added, one modified; history compacted.
  server.dropConnections();
  server.delete(pod('gone'));
  server.apply(pod('new'));
  server.apply(pod('changed', { ip: '10.0.0.6' }));
  server.store.compact();

  await until(rec, 'change', () => rec.listed === 2, 'relisted');
  assert.deepEqual(rec.names(), ['changed', 'keep', 'new']);
  assert.deepEqual(rec.removes, ['gone']);
  // The relist upserts only what changed: 'keep' kept its resourceVersion.
  assert.deepEqual(rec.upserts.slice(3).sort(), ['changed', 'new']);
  assert.equal((rec.objects.get(`${NS}/changed`)?.status as { podIP: string }).podIP, '10.0.0.6');
  await cleanup();
});

test('an HTTP 410 on the watch request also relists', async (t) => {
  const { server, rec, informer, cleanup } = await setup(t);
  server.apply(pod('a'));
  server.failNext(isWatch, 410);
  informer.start();
  await until(rec, 'change', () => rec.listed === 2, 'relisted after 410');
  assert.equal(server.requests.filter(isList).length, 2);
  await cleanup();
});

test('a server that ends watches cleanly is rejoined from the same resourceVersion', async (t) => {
  const { server, rec, informer, cleanup } = await setup(t);
  let watching = server.nextRequest(isWatch);
  informer.start();
  const first = await watching;
  watching = server.nextRequest(isWatch);
  server.endWatches();
  assert.equal((await watching).query.resourceVersion, first.query.resourceVersion);
  server.apply(pod('late'));
  await until(rec, 'change', () => rec.objects.has(`${NS}/late`), 'event after rejoin');
  await cleanup();
});

test('list failures are retried with backoff until the list succeeds', async (t) => {
  const { server, rec, informer, cleanup } = await setup(t);
  server.apply(pod('a'));
  server.failNext(isList, 500, 3);
  informer.start();
  await until(rec, 'change', () => rec.listed === 1, 'listed after failures');
  assert.equal(server.requests.filter(isList).length, 4);
  assert.deepEqual(rec.names(), ['a']);
  await cleanup();
});

test('an optional kind that is not served counts as synced and is picked up once served', async (t) => {
  const server = await FakeApiServer.start();
  const client = new KubeClient(server.kubeConfig());
  const path = `/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/${NS}/inferencemodels`;
  const coll = server.store.collectionFor('inference.networking.x-k8s.io/v1alpha2', 'InferenceModel');
  server.unserve('inference.networking.x-k8s.io/v1alpha2', 'InferenceModel');
  const rec = new Recorder();
  const informer = new Informer(
    { path, apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: 'InferenceModel', optional: true },
    rec.handlers,
    { client, logger: silentLogger, backoff: BACKOFF },
  );
  informer.start();
  await until(rec, 'change', () => rec.listed === 1, 'absent counts as listed');
  assert.ok(informer.synced());
  assert.equal(rec.objects.size, 0);

  server.store.serve(coll);
  server.apply(model('m', 'llama', [{ name: 'llama-v1' }]));
  await until(rec, 'change', () => rec.objects.has(`${NS}/m`), 'model after CRD appears');
  await informer.stop();
  await client.close();
  await server.close();
});

test('stop() during a backoff wait returns without opening another watch', async (t) => {
  const server = await FakeApiServer.start();
  const client = new KubeClient(server.kubeConfig());
  const rec = new Recorder();
  const informer = new Informer({ path: PODS, apiVersion: 'v1', kind: 'Pod' }, rec.handlers, {
    client,
    logger: silentLogger,
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  });
  server.failNext(isList, 500);
  const failed = server.nextRequest(isList);
  informer.start();
  await failed;
  await informer.stop(); // would hang for a minute if the sleep were not aborted
  assert.equal(server.requests.filter(isWatch).length, 0);
  await client.close();
  await server.close();
});

test('bookmarks advance the resourceVersion a reconnect resumes from, so compaction does not force a relist', async (t) => {
  const { server, rec, informer } = await setup(t);
  let watching = server.nextRequest(isWatch);
  informer.start();
  const first = await watching;
  // Other collections move the global resourceVersion on; this watch sees none of it but the bookmark.
  server.apply(model('m', 'llama', []));
  server.apply(model('m2', 'llama', []));
  const bookmarkRv = String(server.store.resourceVersion());
  assert.notEqual(bookmarkRv, first.query.resourceVersion);
  server.bookmark();
  server.store.compact();
  watching = server.nextRequest(isWatch);
  server.endWatches(); // a clean end delivers the bookmark first
  assert.equal((await watching).query.resourceVersion, bookmarkRv);
  assert.equal(server.requests.filter(isList).length, 1, 'no relist');
  assert.equal(rec.listed, 1);
});
