/**
 * multicluster-file-discovery. Cases from upstream llm-d-router `pkg/epp/framework/plugins/datalayer/discovery/file/
 * multicluster_test.go` and `plugin_test.go` (mirror commit ebab68792); the runner's use of it:
 * test/multicluster.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoveredResources } from '../../../../datalayer/file-discovery.ts';
import { Datastore } from '../../../../datastore/datastore.ts';
import { testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createMulticlusterFileDiscovery } from './multicluster-file.ts';

const plugin = () => createMulticlusterFileDiscovery('discovery', { path: '/etc/epp/clusters.yaml' }, testHandle());

test('multicluster-file-discovery: IPs and host names; bad entries skipped with the reason; namespace defaults', () => {
  const { endpoints, skipped } = plugin().parseEndpoints(`endpoints:
  - {name: a, address: 10.0.0.1, port: "8000", labels: {metricsAddress: 10.9.9.9}}
  - {name: b, namespace: east, address: gateway.east.example.com, port: "443"}
  - {name: c, address: "Not_A_Host", port: "1"}
  - {name: d, address: 10.0.0.4, port: "70000"}
  - {name: e, address: 10.0.0.5, port: "x"}
`);
  assert.deepEqual(endpoints, [
    { name: 'a', namespace: 'default', address: '10.0.0.1', port: 8000, labels: { metricsAddress: '10.9.9.9' } },
    { name: 'b', namespace: 'east', address: 'gateway.east.example.com', port: 443, labels: {} },
  ]);
  assert.deepEqual(skipped, ['endpoint "c": invalid host "Not_A_Host"', 'endpoint "d": invalid port "70000"', 'endpoint "e": invalid port "x"']);
  assert.deepEqual(plugin().parseEndpoints('{"endpoints": []}').endpoints, [], 'JSON works too');
  assert.throws(() => plugin().parseEndpoints('endpoints: {a: 1}'), /want `endpoints:` as a list/);
});

test('multicluster-file-discovery: the datastore gets one endpoint per entry, each on its own port', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'default' });
  const { endpoints } = plugin().parseEndpoints('endpoints:\n- {name: a, address: 10.0.0.1, port: "8000"}\n- {name: b, address: peer.example.com, port: "9000"}\n');
  ds.replaceAll(discoveredResources(endpoints, 'file-discovery'));
  assert.deepEqual(ds.endpoints().map((e) => e.key).sort(), ['10.0.0.1:8000', 'peer.example.com:9000']);
});

test('multicluster-file-discovery: path is required', () => {
  assert.throws(() => createMulticlusterFileDiscovery('d', undefined, testHandle()), /parameters\.path: the 'path' parameter is required/);
  assert.throws(() => createMulticlusterFileDiscovery('d', { path: '/x', watch: true }, testHandle()), /parameters\.watch: unknown parameter/);
  assert.equal(createMulticlusterFileDiscovery('d', { path: '/x', watchFile: true }, testHandle()).watchFile, true);
});
