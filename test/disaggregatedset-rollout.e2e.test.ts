/**
 * disaggregatedset-rollout-screener through the real picker and the ext_proc stream: the runner feeds it the
 * pool's pods, decode destination and x-prefiller-host-port stay on one revision, the response headers carry
 * the serving pod's revision, and /metrics has upstream's revision share gauge and strict no-match counter.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatedHeader } from './support/envoy-driver.ts';
import { startFixture, type Fixture } from './support/picker-fixture.ts';
import { PD_CONFIG, REV, rolloutPod } from './support/config/rollout-configs.ts';

const LABELS = [rolloutPod('A', 'prefill', 's0'), rolloutPod('A', 'decode', 's0'), rolloutPod('B', 'prefill', 's0'), rolloutPod('B', 'decode', 's0')];

describe('rollout screener through the ext_proc stream', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ servers: 4, config: PD_CONFIG, podLabels: LABELS, flags: ['--allow-experimental-plugins'] });
  });
  after(() => fx.close());

  const revisionOf = (hostPort: string): string => LABELS[fx.servers.findIndex((s) => `${s.host}:${fx.port}` === hostPort)]![REV]!;

  test('decode and prefill of each request share a revision; both revisions serve; the response names it', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { session, responses } = await fx.envoy.request({ body: { model: 'm', prompt: `prompt ${i}`, max_tokens: 4 } });
      const dest = mutatedHeader(responses[0]!, 'x-gateway-destination-endpoint')!;
      const prefill = mutatedHeader(responses[0]!, 'x-prefiller-host-port')!;
      assert.equal(revisionOf(dest), revisionOf(prefill), `${dest} / ${prefill}`);
      seen.add(revisionOf(dest));
      if (i === 0) {
        const res = await fx.envoy.respond(session, { status: 200, headers: { 'content-type': 'application/json' } });
        assert.equal(mutatedHeader(res[0]!, 'x-disagg-revision', 'response_headers'), revisionOf(dest));
      }
      session.close();
    }
    assert.deepEqual([...seen].sort(), ['A', 'B']);
  });

  test('/metrics: revision shares and strict no-match', async () => {
    const { session, responses } = await fx.envoy.request({ body: { model: 'm', prompt: 'x' }, headers: { 'x-disagg-revision': 'C' } });
    assert.equal(responses.at(-1)?.immediate_response?.status?.code, 'ServiceUnavailable');
    session.close();
    const text = await (await fetch(`http://127.0.0.1:${fx.picker.metricsPort}/metrics`)).text();
    const series = text.split('\n').filter((l) => l.startsWith('llm_d_epp_disaggregatedset_'));
    assert.deepEqual(series.sort(), [
      'llm_d_epp_disaggregatedset_revision_gating_share{plugin_type="disaggregatedset-rollout-screener",plugin_name="rollout-screener",mode="max-role",revision="A"} 0.5',
      'llm_d_epp_disaggregatedset_revision_gating_share{plugin_type="disaggregatedset-rollout-screener",plugin_name="rollout-screener",mode="max-role",revision="B"} 0.5',
      'llm_d_epp_disaggregatedset_strict_header_no_match_total{plugin_type="disaggregatedset-rollout-screener",plugin_name="rollout-screener",selector="revision"} 1',
    ]);
  });
});
