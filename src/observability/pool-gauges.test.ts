import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { Datastore } from '../datastore/datastore.ts';
import { registerPoolGauges } from './pool-gauges.ts';

function pool(queues: number[], staleLast = false) {
  const ds = new Datastore({ poolName: 'pool', poolNamespace: 'default' });
  ds.replaceAll({
    pools: [{ name: 'pool', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' }],
    models: [],
    objectives: [],
    rewrites: [],
    pods: queues.map((_, i) => ({ name: `p${i}`, namespace: 'default', labels: { app: 'm' }, annotations: {}, ip: `10.0.0.${i + 1}`, ready: true, terminating: false })),
  });
  ds.endpoints().forEach((e, i) => {
    e.waitingQueue = queues[i]!;
    e.kvCacheUsage = 0.1 * (i + 1);
    e.metricsUpdatedAt = staleLast && i === queues.length - 1 ? -1 : 1000;
  });
  const registry = new client.Registry();
  registerPoolGauges(registry, ds, { stalenessMs: 500, now: () => 1000 });
  return registry;
}

async function gauge(r: client.Registry, name: string, labels: Record<string, string> = { name: 'pool' }): Promise<number | undefined> {
  const snap = await r.getSingleMetric(name)!.get();
  return snap.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

test('pool gauges: over fresh endpoints, mean and sample std dev rounded to 2 decimals, canonical and GIE names', async () => {
  const r = pool([1, 2, 4, 100], true); // the last endpoint was never scraped: not counted
  assert.equal(await gauge(r, 'llm_d_epp_ready_endpoints'), 3);
  assert.equal(await gauge(r, 'inference_pool_ready_pods'), 3);
  assert.equal(await gauge(r, 'llm_d_epp_average_queue_size'), 2.33);
  assert.equal(await gauge(r, 'inference_pool_average_queue_size'), 2.33);
  assert.equal(await gauge(r, 'llm_d_epp_std_dev_queue_size'), 1.53); // sqrt(((1-7/3)^2+(2-7/3)^2+(4-7/3)^2)/2)
  assert.equal(await gauge(r, 'llm_d_epp_average_kv_cache_utilization'), 0.2);
  assert.equal(await gauge(r, 'llm_d_epp_per_endpoint_queue_size', { name: 'pool', model_server_endpoint: 'p3-rank-0' }), 100);
  assert.equal(await gauge(r, 'inference_pool_per_pod_queue_size', { name: 'pool', model_server_pod: 'p0-rank-0' }), 1);
});

test('pool gauges: one endpoint has std dev 0; no fresh endpoint writes only the ready count', async () => {
  assert.equal(await gauge(pool([3]), 'llm_d_epp_std_dev_queue_size'), 0);
  const none = pool([3], true);
  assert.equal(await gauge(none, 'llm_d_epp_ready_endpoints'), 0);
  assert.equal(await gauge(none, 'llm_d_epp_average_queue_size'), undefined);
});
