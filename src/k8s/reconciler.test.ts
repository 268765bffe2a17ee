import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Datastore } from '../datastore/datastore.ts';
import { DatastoreReconciler } from './reconciler.ts';
import { selectorFromLabels } from '../input/label-selector.ts';

const logger = pino({ level: 'silent' });

function rawPod(name: string, ip: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', labels: { app: 'x' } },
    status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True' }], ...extra },
  };
}

test('writes in one tick are applied as one datastore batch', async () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'ns', endpointSelector: selectorFromLabels({ app: 'x' }), endpointTargetPorts: [8000] });
  let changes = 0;
  ds.on('changed', () => changes++);
  const r = new DatastoreReconciler(ds, logger, 'ns');
  for (let i = 0; i < 50; i++) r.upsert('Pod', rawPod(`p${i}`, `10.0.0.${i + 1}`));
  assert.equal(ds.endpoints().length, 0, 'nothing applied synchronously');
  await Promise.resolve();
  assert.equal(ds.endpoints().length, 50);
  assert.equal(changes, 1);
});

test('an update that changes nothing the picker reads is not written', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'ns', endpointSelector: selectorFromLabels({ app: 'x' }) });
  let changes = 0;
  ds.on('changed', () => changes++);
  const r = new DatastoreReconciler(ds, logger, 'ns');
  r.upsert('Pod', rawPod('p', '10.0.0.1'));
  r.flush();
  r.upsert('Pod', rawPod('p', '10.0.0.1', { containerStatuses: [{ restartCount: 3 }] }));
  r.flush();
  assert.equal(changes, 1);
});

test('upsert then delete in one tick leaves nothing; delete of an unknown object is a no-op', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'ns', endpointSelector: selectorFromLabels({ app: 'x' }) });
  const r = new DatastoreReconciler(ds, logger, 'ns');
  r.upsert('Pod', rawPod('p', '10.0.0.1'));
  r.remove('Pod', rawPod('p', '10.0.0.1'));
  r.remove('Pod', rawPod('never', '10.0.0.9'));
  r.flush();
  assert.equal(ds.pods().length, 0);
  assert.deepEqual([...r.known('Pod')], []);
});

test('an object parsed as another kind than its informer watches is rejected', () => {
  const ds = new Datastore({ poolName: '', poolNamespace: 'ns', endpointSelector: selectorFromLabels({ app: 'x' }) });
  const r = new DatastoreReconciler(ds, logger, 'ns');
  r.upsert('InferenceModel', rawPod('p', '10.0.0.1'));
  r.flush();
  assert.equal(ds.pods().length, 0);
});
