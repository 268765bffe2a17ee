/** The fake API server behaves like the real one where the picker's client can tell. */
import { test } from 'node:test';
import { EventEmitter } from 'node:events';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient, type KubeObject } from '../../src/k8s/client.ts';
import { FakeApiServer } from '../support/k8s/fake-apiserver.ts';
import { until } from '../support/k8s/helpers.ts';
import { NS, pod } from '../support/k8s/objects.ts';

const PODS = `/api/v1/namespaces/${NS}/pods`;
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

async function withServer(fn: (s: FakeApiServer, c: KubeClient) => Promise<void>): Promise<void> {
  const server = await FakeApiServer.start();
  const client = new KubeClient(server.kubeConfig());
  try {
    await fn(server, client);
  } finally {
    await client.close();
    await server.close();
  }
}

/** Collects watch events until `n` have arrived, then aborts the watch. */
async function collect(client: KubeClient, query: Record<string, string>, n: number, act: () => void): Promise<[string, KubeObject][]> {
  const events: [string, KubeObject][] = [];
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const ctl = await client.watch(PODS, query, (type, obj) => {
    events.push([type, obj]);
    if (events.length === n) finish();
  }, () => finish());
  act();
  await done;
  ctl.abort();
  return events;
}

test('list filters by label selector and omits kind on built-in items', async () => {
  await withServer(async (server, client) => {
    server.apply(pod('a', { labels: { app: 'x' } }));
    server.apply(pod('b', { labels: { app: 'y' } }));
    const list = await client.list(PODS, { labelSelector: 'app=x' });
    assert.deepEqual(list.items?.map((p) => p.metadata?.name), ['a']);
    assert.equal(list.items?.[0]?.kind, undefined);
    assert.equal(list.metadata?.resourceVersion, String(server.store.resourceVersion()));
    assert.deepEqual((await client.list(PODS, { labelSelector: 'app!=x' })).items?.map((p) => p.metadata?.name), ['b']);
  });
});

test('watch from a resourceVersion replays later events; selector transitions become ADDED/DELETED', async () => {
  await withServer(async (server, client) => {
    server.apply(pod('a', { labels: { app: 'x' } }));
    const rv = String(server.store.resourceVersion());
    server.apply(pod('b', { labels: { app: 'x' } })); // replayed
    const events = await collect(client, { resourceVersion: rv, labelSelector: 'app=x' }, 4, () => {
      server.apply(pod('a', { labels: { app: 'other' } })); // stops matching -> DELETED
      server.apply(pod('c', { labels: { app: 'other' } })); // never matches -> nothing
      server.apply(pod('c', { labels: { app: 'x' } })); // starts matching -> ADDED
      server.delete(pod('b'));
    });
    assert.deepEqual(events.map(([t, o]) => `${t} ${o.metadata?.name}`), ['ADDED b', 'DELETED a', 'ADDED c', 'DELETED b']);
    // The DELETED for a selector transition carries the old labels at the new resourceVersion.
    const deletedA = events[1]![1] as { metadata: { labels: Record<string, string>; resourceVersion: string } };
    assert.equal(deletedA.metadata.labels.app, 'x');
    assert.ok(Number(deletedA.metadata.resourceVersion) > Number(rv));
  });
});

test('watch from a compacted resourceVersion gets an ERROR 410 event', async () => {
  await withServer(async (server, client) => {
    server.apply(pod('a'));
    const rv = String(server.store.resourceVersion() - 1);
    server.store.compact();
    const events = await collect(client, { resourceVersion: rv }, 1, () => {});
    assert.equal(events[0]![0], 'ERROR');
    assert.equal((events[0]![1] as { code?: number }).code, 410);
  });
});

test('lease create, conflict on stale update, 404 on a missing one', async () => {
  await withServer(async (_server, client) => {
    await assert.rejects(client.request('GET', `${LEASES}/l`), (e: KubeApiError) => e.status === 404);
    const created = await client.request<KubeObject>('POST', LEASES, undefined, { metadata: { name: 'l' }, spec: { holderIdentity: 'a' } });
    await assert.rejects(client.request('POST', LEASES, undefined, { metadata: { name: 'l' } }), (e: KubeApiError) => e.status === 409);
    const updated = await client.request<KubeObject>('PUT', `${LEASES}/l`, undefined, { ...created, spec: { holderIdentity: 'b' } });
    assert.notEqual(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);
    // Writing with the old resourceVersion loses.
    await assert.rejects(client.request('PUT', `${LEASES}/l`, undefined, { ...created, spec: { holderIdentity: 'c' } }), (e: KubeApiError) => e.status === 409);
  });
});

test('unserved collections are 404 and a wrong token is 401', async () => {
  await withServer(async (server, client) => {
    server.unserve('inference.networking.x-k8s.io/v1alpha2', 'InferenceModel');
    await assert.rejects(client.list(`/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/${NS}/inferencemodels`, {}), (e: KubeApiError) => e.status === 404);
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'fake', server: server.url, skipTLSVerify: true }, { name: 'x', token: 'wrong' });
    const bad = new KubeClient(kc);
    await assert.rejects(bad.list(PODS, {}), (e: KubeApiError) => e.status === 401);
    await bad.close();
  });
});

test('dropConnections cuts an open watch with an error', async () => {
  await withServer(async (server, client) => {
    const err = await new Promise<unknown>((resolve) => {
      void client.watch(PODS, {}, () => {}, resolve).then(() => server.dropConnections());
    });
    assert.ok(err instanceof Error, 'watch ended with an error');
    assert.equal(server.watchCount(), 0);
  });
});

test('BOOKMARK events go only to watches that asked for them, at the current resourceVersion', async () => {
  await withServer(async (server, client) => {
    const arrived = new EventEmitter<{ event: [] }>();
    const got: Record<string, string[]> = { asked: [], plain: [] };
    const open = (name: string, query: Record<string, string>) =>
      client.watch(PODS, query, (type, obj) => {
        got[name]!.push(`${type} ${obj.metadata?.resourceVersion}`);
        arrived.emit('event');
      }, () => {});
    const a = await open('asked', { allowWatchBookmarks: 'true' });
    const b = await open('plain', {});
    const bookmarkRv = String(server.store.resourceVersion());
    server.bookmark();
    server.apply(pod('x')); // a later event on both streams: once it arrives, so has the bookmark
    const rv = String(server.store.resourceVersion());
    await until(arrived, 'event', () => got.asked!.length === 2 && got.plain!.length === 1, 'events delivered');
    assert.deepEqual(got.asked, [`BOOKMARK ${bookmarkRv}`, `ADDED ${rv}`]);
    assert.deepEqual(got.plain, [`ADDED ${rv}`]);
    a.abort();
    b.abort();
  });
});
