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

  test("a client's own x-prefiller-host-port is replaced by the picker's choice, never removed after it", async () => {
    const { session, responses } = await fx.envoy.request({
      body: { model: 'm', prompt: 'another long prompt '.repeat(100), max_tokens: 8 },
      headers: { [PREFILLER]: '169.254.169.254:80' },
    });
    const prefill = mutatedHeader(responses[0]!, PREFILLER);
    assert.ok(prefill !== undefined && prefillHosts().includes(prefill), `prefiller ${prefill}`);
    assert.ok(!(responses[0]!.request_headers?.response?.header_mutation?.remove_headers ?? []).includes(PREFILLER));
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

describe('picker-owned routing headers without P/D', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ servers: 2 });
  });
  after(() => fx.close());

  test("a client's x-prefiller-host-port and x-encoder-hosts-ports are removed when no stage set them", async () => {
    const { session, responses } = await fx.envoy.request({
      body: { model: 'm', prompt: 'hello', max_tokens: 4 },
      headers: { [PREFILLER]: '169.254.169.254:80', 'x-encoder-hosts-ports': '10.0.0.9:80' },
    });
    const m = responses[0]!.request_headers?.response?.header_mutation;
    assert.ok(mutatedHeader(responses[0]!, DEST) !== undefined, 'routed');
    assert.deepEqual([...(m?.remove_headers ?? [])].sort(), ['x-encoder-hosts-ports', PREFILLER]);
    assert.equal(mutatedHeader(responses[0]!, PREFILLER), undefined);
    session.close();
  });

  test('a request without them carries no remove list', async () => {
    const { session, responses } = await fx.envoy.request({ body: { model: 'm', prompt: 'hello', max_tokens: 4 } });
    assert.equal(responses[0]!.request_headers?.response?.header_mutation?.remove_headers, undefined);
    session.close();
  });
});
