/**
 * The catalogue plugins through the config loader: upstream configs that name them load, filters land in
 * profiles, their request-control hooks land in the hook lists, and a labelled fleet is filtered end to end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSchedulerConfig } from '../config/loader.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../test/support/scheduling/testing.ts';
import { inTreePluginRegistry } from './registry.ts';

const CONFIG = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: decode-filter
- type: label-selector-filter
  parameters:
    matchLabels: {hardware-type: H100}
- type: by-label-selector
  name: old-selector
  parameters:
    matchExpressions: [{key: zone, operator: Exists}]
- type: by-label
  parameters: {label: gpu, validValues: [a100], allowsNoLabel: true}
- type: prefix-cache-affinity-filter
  parameters: {affinityThreshold: 0.9, explorationProbability: 0.01, maxTTFTPenaltyMs: 5000}
- type: session-affinity-filter
- type: session-affinity-scorer
  parameters: {strategy: session_id}
- type: request-attribute-reporter
  parameters:
    attributes:
    - key: {name: x-gateway-inference-request-cost}
      expression: usage.prompt_tokens + usage.completion_tokens
- type: destination-endpoint-served-verifier
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: decode-filter
  - pluginRef: prefix-cache-affinity-filter
  - pluginRef: session-affinity-filter
  - pluginRef: session-affinity-scorer
  - pluginRef: queue-scorer
`;

test('catalogue config loads: filters in the profile, hooks in their lists', () => {
  const loaded = loadSchedulerConfig(CONFIG, testHandle(), { registry: inTreePluginRegistry() });
  const profile = loaded.scheduler.profiles[0]!;
  assert.deepEqual(
    profile.filters.map((f) => `${f.name}(${f.type})`),
    ['decode-filter(by-label)', 'prefix-cache-affinity-filter(prefix-cache-affinity-filter)', 'session-affinity-filter(session-affinity-filter)'],
  );
  assert.deepEqual(profile.scorers.map((s) => s.name), ['session-affinity-scorer', 'queue-scorer']);
  assert.deepEqual(loaded.requestControl.preRequest.map((p) => p.name).filter((n) => n.startsWith('session')), ['session-affinity-filter', 'session-affinity-scorer']);
  assert.deepEqual(
    loaded.requestControl.responseReceived.map((p) => p.name),
    // inflight-load-producer (added for the affinity filter's TTFT gate) releases a prefill pod's charge here.
    ['session-affinity-filter', 'session-affinity-scorer', 'destination-endpoint-served-verifier', 'inflight-load-producer'],
  );
  // The affinity filter's TTFT gate needs in-flight tokens: the loader added their producer.
  assert.deepEqual(loaded.requestControl.responseComplete.map((p) => p.name), ['request-attribute-reporter', 'inflight-load-producer']);
  assert.equal(loaded.plugins.get('old-selector')?.type, 'by-label-selector');
});

test('decode-filter end to end: prefill pods never picked, unlabelled pods are', () => {
  const yaml = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: decode-filter
- type: queue-scorer
`;
  const loaded = loadSchedulerConfig(yaml, testHandle(), { registry: inTreePluginRegistry() });
  const [prefill, decode, plain] = [0, 1, 2].map((i) => makeEndpoint(i, { waitingQueue: i === 0 ? 0 : 5 }));
  prefill!.labels = { 'llm-d.ai/role': 'prefill' };
  decode!.labels = { 'llm-d.ai/role': 'decode' };
  for (let i = 0; i < 20; i++) {
    const out = loaded.scheduler.schedule(makeRequest(), [prefill!, decode!, plain!]);
    assert.ok(out.ok);
    assert.notEqual(out.primary.endpoints[0], prefill, 'the emptiest pod is prefill-only');
  }
});
