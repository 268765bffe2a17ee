import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Datastore } from '../datastore/datastore.ts';
import { desiredReplicas, DEFAULT_AUTOSCALING_TARGETS } from './autoscaling-gauges.ts';
import { PickerMetrics } from './metrics.ts';

test('desiredReplicas: the larger of the queue and saturation formulas, at least 1; null without ready endpoints', () => {
  const t = DEFAULT_AUTOSCALING_TARGETS; // queue 5, saturation 0.8
  assert.equal(desiredReplicas(4, 10, 0.4, t), 8, '4 x 10 / 5');
  assert.equal(desiredReplicas(4, 0, 1.2, t), 6, '4 x 1.2 / 0.8');
  assert.equal(desiredReplicas(4, 0, 0.8, t), 4, 'at the target: stay');
  assert.equal(desiredReplicas(4, 0, 0, t), 1);
  assert.equal(desiredReplicas(0, 3, 1, t), null);
});

function pool(queues: number[]) {
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
    e.kvCacheUsage = 0.2 * (i + 1);
    e.metricsUpdatedAt = 1000;
  });
  return ds;
}

async function value(m: PickerMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const snap = await m.registry.getSingleMetric(name)!.get();
  return snap.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

test('pool signals: max queue and KV, saturation from the detector, desired replicas', async () => {
  const m = new PickerMetrics(pool([2, 18, 10]), { stalenessMs: 500, now: () => 1000, autoscaling: { saturation: () => 1.6 } });
  assert.equal(await value(m, 'inference_extension_pool_max_queue_size', { name: 'pool' }), 18);
  assert.ok(Math.abs((await value(m, 'inference_extension_pool_max_kv_cache_utilization', { name: 'pool' }))! - 0.6) < 1e-9);
  assert.equal(await value(m, 'inference_extension_pool_saturation', { name: 'pool' }), 1.6);
  // queue: ceil(3 x 10 / 5) = 6; saturation: ceil(3 x 1.6 / 0.8) = 6.
  assert.equal(await value(m, 'inference_extension_pool_desired_replicas', { name: 'pool' }), 6);
});

test('model signals: in flight per configured model; a name only a client sent counts under "other"', async () => {
  const m = new PickerMetrics(pool([0]), { stalenessMs: 500, now: () => 1000 });
  m.pinModels(['chat', 'chat-v2']);
  const a = m.forRequest('chat', 'chat-v2', '', 0);
  a.routed(1);
  a.routed(1);
  m.forRequest('made-up-1', 'made-up-1', '', 0).routed(1);
  m.forRequest('made-up-2', 'made-up-2', '', 0).routed(1);
  assert.equal(await value(m, 'inference_extension_model_inflight_requests', { model_name: 'chat-v2' }), 2);
  assert.equal(await value(m, 'inference_extension_model_inflight_requests', { model_name: 'other' }), 2);
  assert.equal(await value(m, 'inference_extension_model_inflight_requests', { model_name: 'made-up-1' }), undefined);
  a.released();
  assert.equal(await value(m, 'inference_extension_model_inflight_requests', { model_name: 'chat-v2' }), 1);
  assert.equal(await value(m, 'inference_extension_model_desired_replicas', { model_name: 'chat-v2' }), 1);
});
