/** Replica discovery from the EndpointSlices of the picker's Service, against the loopback API server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { KubeClient } from '../../src/k8s/client.ts';
import { slicePeers, watchReplicaPeers } from '../../src/k8s/replica-peers.ts';
import { FakeApiServer } from '../support/k8s/fake-apiserver.ts';
import { silentLogger, until } from '../support/k8s/helpers.ts';

const NS = 'inference';

function slice(name: string, service: string, endpoints: { ip: string; ready?: boolean; serving?: boolean }[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port: 9002 }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true } })),
  };
}

test('replica peers: the ready addresses of the Service\'s slices, minus this pod, follow slice changes', async (t) => {
  const server = await FakeApiServer.start();
  server.serveCollection('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices');
  const client = new KubeClient(server.kubeConfig());
  server.apply(slice('epp-a', 'pool-epp', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3', ready: false, serving: false }]));
  server.apply(slice('other', 'other-svc', [{ ip: '10.9.9.9' }]));
  const seen = new EventEmitter<{ peers: [] }>();
  let peers: string[] | null = null;
  const watch = watchReplicaPeers({ client, namespace: NS, service: 'pool-epp', syncPort: 9005, selfAddress: '10.0.0.1', logger: silentLogger, onPeers: (p) => ((peers = p), seen.emit('peers')) });
  t.after(async () => {
    await watch.stop();
    await client.close();
    await server.close();
  });
  await until(seen, 'peers', () => peers !== null, 'first peer set');
  assert.deepEqual(peers, ['10.0.0.2:9005']);
  // A second slice of the same Service (large Services are split) and a replica turning ready.
  server.apply(slice('epp-b', 'pool-epp', [{ ip: '10.0.0.4' }]));
  server.apply(slice('epp-a', 'pool-epp', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }]));
  await until(seen, 'peers', () => peers?.length === 3, 'peers from both slices');
  assert.deepEqual(peers, ['10.0.0.2:9005', '10.0.0.3:9005', '10.0.0.4:9005']);
  server.delete({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'epp-a', namespace: NS } });
  await until(seen, 'peers', () => peers?.length === 1, 'the deleted slice gone');
  assert.deepEqual(peers, ['10.0.0.4:9005']);
});

test('replica peers: a terminating replica that still serves stays a peer; IPv6 addresses are bracketed', () => {
  const s = slice('x', 'svc', [{ ip: '10.0.0.5', ready: false, serving: true }, { ip: 'fd00::7' }]);
  assert.deepEqual(slicePeers(s, 9005, ''), ['10.0.0.5:9005', '[fd00::7]:9005']);
});
