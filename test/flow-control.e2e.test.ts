/**
 * Flow control end to end over gRPC: a real picker with one server and concurrency-detector maxConcurrency 1.
 * The first request holds the only slot; the second waits in the picker's queue; Envoy cancelling the second
 * stream removes it from the queue at once; a third is routed when the first completes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFixture } from './support/picker-fixture.ts';
import { headerMap, mutatedHeader } from './support/envoy-driver.ts';

const CONFIG = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: max-score-picker
- type: concurrency-detector
  parameters: {maxConcurrency: 1}
schedulingProfiles:
- name: default
  plugins: [{pluginRef: max-score-picker}]
featureGates: [flowControl]
flowControl:
  saturationDetector: {pluginRef: concurrency-detector}
`;

const BODY = JSON.stringify({ model: 'm', prompt: 'hello' });

test('cancel while queued over a real ext_proc stream; completion dispatches the next', { timeout: 30_000 }, async () => {
  const fx = await startFixture({ servers: 1, config: CONFIG });
  try {
    const queueSize = async () => {
      const text = await fx.picker.metrics.registry.getSingleMetricAsString('llm_d_epp_flow_control_queue_size');
      return [...text.matchAll(/^llm_d_epp_flow_control_queue_size\{[^}]*\} (\S+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
    };
    const a = await fx.envoy.request({ body: BODY, requestBodyMode: 'BUFFERED' });
    assert.ok(mutatedHeader(a.responses.at(-1)!, 'x-gateway-destination-endpoint', 'request_body'), 'a routed');

    // b: headers-only request (no body), so its single answer is the routing decision.
    const b = fx.envoy.open();
    b.send({ request_headers: { headers: headerMap({ ':method': 'GET', ':path': '/v1/models', 'x-request-id': 'b' }), end_of_stream: true } });
    const c = fx.envoy.open();
    c.send({ request_headers: { headers: headerMap({ ':method': 'GET', ':path': '/v1/models', 'x-request-id': 'c' }), end_of_stream: true } });
    // Both wait: the picker answers neither while a holds the slot.
    for (let i = 0; (await queueSize()) < 2 && i < 500; i++) await new Promise((r) => setImmediate(r));
    assert.equal(await queueSize(), 2);
    assert.equal(b.pending() + c.pending(), 0);

    b.close(); // Envoy cancels b's stream (client disconnect)
    for (let i = 0; (await queueSize()) > 1 && i < 500; i++) await new Promise((r) => setImmediate(r));
    assert.equal(await queueSize(), 1, 'b left the queue at once');

    // a completes: its slot frees and c is routed.
    a.session.send({ response_headers: { headers: headerMap({ ':status': '200' }), end_of_stream: true } });
    const routed = await c.next();
    assert.ok(mutatedHeader(routed, 'x-gateway-destination-endpoint'), 'c routed after a completed');
    assert.equal(await queueSize(), 0);
    a.session.close();
    c.close();
  } finally {
    await fx.close();
  }
});
