/**
 * Disaggregated serving through the real picker and the ext_proc stream (issue 16): an llm-d Router P/D
 * config, pods labelled llm-d.ai/role, the decode pod as destination and the prefill pod in
 * x-prefiller-host-port; `Prefer: if-available` answered 412 when the decode pick holds none of the prompt.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatedHeader } from './support/envoy-driver.ts';
import { startFixture, type Fixture } from './support/picker-fixture.ts';

const DEST = 'x-gateway-destination-endpoint';
const PREFILLER = 'x-prefiller-host-port';

// The shape of llm-d Router's guides/pd-disaggregation config (deploy/config/*pd*), always disaggregating.
const CONFIG = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefill-filter
- type: decode-filter
- type: prefix-cache-scorer
- type: queue-scorer
- type: max-score-picker
- type: always-disagg-pd-decider
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: always-disagg-pd-decider
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: prefix-cache-scorer
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
`;

describe('P/D through the ext_proc stream', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({
      servers: 4,
      config: CONFIG,
      podLabels: [{ 'llm-d.ai/role': 'prefill' }, { 'llm-d.ai/role': 'prefill' }, { 'llm-d.ai/role': 'decode' }, { 'llm-d.ai/role': 'decode' }],
    });
  });
  after(() => fx.close());

  const prefillHosts = () => [fx.servers[0]!.host, fx.servers[1]!.host].map((h) => `${h}:${fx.port}`);
  const decodeHosts = () => [fx.servers[2]!.host, fx.servers[3]!.host].map((h) => `${h}:${fx.port}`);

  test('destination is a decode pod, x-prefiller-host-port a prefill pod', async () => {
    const { session, responses } = await fx.envoy.request({ body: { model: 'm', prompt: 'a long prompt '.repeat(100), max_tokens: 8 } });
    const dest = mutatedHeader(responses[0]!, DEST);
    const prefill = mutatedHeader(responses[0]!, PREFILLER);
    assert.ok(dest !== undefined && decodeHosts().includes(dest), `destination ${dest}`);
    assert.ok(prefill !== undefined && prefillHosts().includes(prefill), `prefiller ${prefill}`);
    session.close();
  });

  test('Prefer: if-available on a prompt no decode pod holds: 412', async () => {
    const { session, responses } = await fx.envoy.request({ body: { model: 'm', prompt: 'never seen before '.repeat(60) }, headers: { prefer: 'if-available' } });
    const r = responses.at(-1)?.immediate_response;
    assert.ok(r, JSON.stringify(responses.at(-1)));
    assert.equal(r.status.code, 412);
    session.close();
  });
});
