/**
 * Topology-aware P/D through the real picker (llm-d Router's pd-topology-epp-config.yaml shape): topology-extractor
 * reads the pods' node labels from the resources file, the disagg handler publishes the decode pick, and
 * topology-affinity-filter keeps the prefill pod on the decode pod's node. Alpha plugins, so the picker runs
 * with --allow-experimental-plugins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatedHeader } from './support/envoy-driver.ts';
import { startFixture, type Fixture } from './support/picker-fixture.ts';

const CONFIG = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefill-filter
- type: decode-filter
- type: queue-scorer
- type: random-picker
- type: topology-extractor
- type: topology-affinity-filter
- type: topology-affinity-scorer
- type: always-disagg-pd-decider
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: always-disagg-pd-decider
dataLayer:
  sources:
  - pluginRef: endpoint-notification-source
    extractors:
    - pluginRef: topology-extractor
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: topology-affinity-filter
  - pluginRef: topology-affinity-scorer
  - pluginRef: random-picker
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: random-picker
`.replace('plugins:\n- type: prefill-filter', 'plugins:\n- type: endpoint-notification-source\n- type: prefill-filter');

const HOST = 'kubernetes.io/hostname';

describe('topology-aware P/D through the ext_proc stream', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({
      servers: 4,
      config: CONFIG,
      flags: ['--allow-experimental-plugins'],
      podLabels: [
        { 'llm-d.ai/role': 'prefill', [HOST]: 'node-a' },
        { 'llm-d.ai/role': 'prefill', [HOST]: 'node-b' },
        { 'llm-d.ai/role': 'decode', [HOST]: 'node-a' },
        { 'llm-d.ai/role': 'decode', [HOST]: 'node-b' },
      ],
    });
  });
  after(() => fx.close());

  test('the prefill pod is always on the decode pod\'s node (40 requests, random pickers)', async () => {
    await fx.synced(); // every pod scraped: none is left out as not answering
    const nodeOf = new Map([
      [`${fx.servers[0]!.host}:${fx.port}`, 'node-a'],
      [`${fx.servers[1]!.host}:${fx.port}`, 'node-b'],
      [`${fx.servers[2]!.host}:${fx.port}`, 'node-a'],
      [`${fx.servers[3]!.host}:${fx.port}`, 'node-b'],
    ]);
    const decodeNodes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { session, responses } = await fx.envoy.request({ body: { model: 'm', prompt: `prompt ${i} `.repeat(20), max_tokens: 4 } });
      const dest = mutatedHeader(responses[0]!, 'x-gateway-destination-endpoint');
      const prefill = mutatedHeader(responses[0]!, 'x-prefiller-host-port');
      session.close();
      assert.ok(dest !== undefined && prefill !== undefined, JSON.stringify(responses[0]));
      assert.equal(nodeOf.get(prefill), nodeOf.get(dest), `request ${i}: decode ${dest}, prefill ${prefill}`);
      decodeNodes.add(nodeOf.get(dest)!);
    }
    assert.equal(decodeNodes.size, 2, 'both decode nodes were picked, so the pairing is not luck');
  });
});
