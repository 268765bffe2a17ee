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
import { directorFixture } from '../../../../../test/support/director-fixture.ts';
import { RequestContext } from '../../../../requestcontrol/request-context.ts';
import { destinationMetadata } from '../../../../extproc/messages.ts';

const dpConfig = (primaryPort: number): string => `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: data-parallel-profile-handler
  parameters: { primaryPort: ${primaryPort} }
- type: queue-scorer
- type: max-score-picker
  parameters: { maxNumOfEndpoints: 2 }
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
`;

/** Routes one chat request through a real director with the handler configured; returns what the gateway gets. */
function route(primaryPort: number) {
  const f = directorFixture({ configText: dpConfig(primaryPort), pods: 3 });
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/chat/completions');
  f.director.handleRequestHeaders(ctx);
  const body = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
  const d = f.director.handleRequest(ctx, { chunks: [body], bytes: body.length });
  assert.ok(d.ok);
  const headers = new Map(d.headers.map((h) => [h.name, h.value]));
  return { f, ctx, d, headers };
}

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

test('data-parallel-profile-handler: the destination names every target at primaryPort; the rank goes in x-data-parallel-host-port (upstream ProcessResults)', () => {
  const { f, ctx, d, headers } = route(9000);
  const [primary, fallback] = d.endpoints;
  assert.equal(primary!.port, 8000);
  const want = `${primary!.address}:9000,${fallback!.address}:9000`;
  assert.equal(d.destination, want);
  assert.equal(headers.get('x-gateway-destination-endpoint'), want);
  assert.equal(destinationMetadata(d.destination).fields?.['envoy.lb']?.structValue?.fields?.['x-gateway-destination-endpoint']?.stringValue, want);
  assert.equal(headers.get(DATA_PARALLEL_ENDPOINT_HEADER), primary!.key);
  // The gateway reports the rewritten address as served: still the picked endpoint, not a retry elsewhere.
  f.director.handleResponseHeaders(ctx, new Map([[':status', '200']]), `${primary!.address}:9000`);
  assert.equal(ctx.endpoint, primary);
  assert.equal(primary!.inflightRequests, 1);
  f.director.handleResponseComplete(ctx, 'natural');
});

test('data-parallel-profile-handler: primaryPort 0 keeps each endpoint\'s own port', () => {
  const { d, headers } = route(0);
  assert.equal(d.destination, `${d.endpoints[0]!.key},${d.endpoints[1]!.key}`);
  assert.equal(headers.get(DATA_PARALLEL_ENDPOINT_HEADER), d.endpoints[0]!.key);
});
