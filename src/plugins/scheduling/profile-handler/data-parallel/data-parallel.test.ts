/**
 * data-parallel-profile-handler. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/profilehandler/dataparallel/dp_profile_handler_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSchedulerConfig } from '../../../../config/loader.ts';
import { inTreePluginRegistry } from '../../../registry.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createDataParallelProfileHandler, DATA_PARALLEL_ENDPOINT_HEADER } from './data-parallel.ts';

test('data-parallel-profile-handler: one profile runs; the pick goes in x-data-parallel-host-port', () => {
  const cfg = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: data-parallel-profile-handler
  parameters: { primaryPort: 8000 }
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
`;
  const loaded = loadSchedulerConfig(cfg, testHandle(), { registry: inTreePluginRegistry() });
  const eps = [makeEndpoint(1, { waitingQueue: 9 }), makeEndpoint(2, { waitingQueue: 0 })];
  const out = loaded.scheduler.schedule(makeRequest(), eps);
  assert.ok(out.ok);
  assert.equal(out.primary.endpoints[0], eps[1]);
  const h = createDataParallelProfileHandler('dp', undefined, testHandle());
  const req = makeRequest();
  h.preRequest(req, scheduledOn(eps[1]!));
  assert.equal(req.outHeaders?.get(DATA_PARALLEL_ENDPOINT_HEADER), '10.0.0.2:8000');
});

test('data-parallel-profile-handler: a failed profile is reported; primaryPort is validated', () => {
  const h = createDataParallelProfileHandler('dp', undefined, testHandle());
  assert.equal(h.primaryPort, 8000);
  const out = h.processResults(makeRequest(), new Map([['a', null], ['b', null]]));
  assert.deepEqual(out, { ok: false, reason: 'data parallel profile handler is intended to be used with a single profile, failed to process multiple profiles' });
  assert.throws(() => createDataParallelProfileHandler('dp', { primaryPort: 70000 }, testHandle()), /parameters\.primaryPort/);
  assert.equal(createDataParallelProfileHandler('dp', { primaryPort: 0 }, testHandle()).primaryPort, 0);
});
