import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectionPath, MODEL_RESOURCE, POD_RESOURCE, poolResource } from './api-resources.ts';

test('pool group picks the version', () => {
  assert.equal(poolResource('inference.networking.k8s.io').version, 'v1');
  assert.equal(poolResource('inference.networking.x-k8s.io').version, 'v1alpha2');
  assert.throws(() => poolResource('example.com'), /--pool-group/);
});

test('collection paths for core and grouped resources', () => {
  assert.equal(collectionPath(POD_RESOURCE, 'ns'), '/api/v1/namespaces/ns/pods');
  assert.equal(collectionPath(MODEL_RESOURCE, 'ns'), '/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/ns/inferencemodels');
});
