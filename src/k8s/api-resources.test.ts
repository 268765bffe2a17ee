import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectionPath, labelSelectorString, MODEL_RESOURCE, parseLabelSelector, POD_RESOURCE, poolResource } from './api-resources.ts';

test('pool group picks the version', () => {
  assert.equal(poolResource('inference.networking.k8s.io').version, 'v1');
  assert.equal(poolResource('inference.networking.x-k8s.io').version, 'v1alpha2');
  assert.throws(() => poolResource('example.com'), /--pool-group/);
});

test('collection paths for core and grouped resources', () => {
  assert.equal(collectionPath(POD_RESOURCE, 'ns'), '/api/v1/namespaces/ns/pods');
  assert.equal(collectionPath(MODEL_RESOURCE, 'ns'), '/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/ns/inferencemodels');
});

test('label selector strings are canonical (sorted) and round-trip', () => {
  assert.equal(labelSelectorString({ b: '2', a: '1' }), 'a=1,b=2');
  assert.deepEqual(parseLabelSelector('app=vllm, tier==gpu'), { app: 'vllm', tier: 'gpu' });
  assert.equal(labelSelectorString(parseLabelSelector('z=1,a=2')), 'a=2,z=1');
  assert.throws(() => parseLabelSelector('app in (a,b)'), /key=value/);
  assert.throws(() => parseLabelSelector('app!=x'), /key=value/);
  assert.throws(() => parseLabelSelector(' , '), /empty/);
});
