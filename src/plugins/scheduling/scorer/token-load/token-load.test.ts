/**
 * token-load-scorer. Cases follow upstream llm-d-router pkg/epp/framework/plugins/scheduling/scorer/tokenload/
 * token_load_test.go at ebab68792 (threshold 1000: in-flight only, in-flight plus the request's own uncached
 * tokens, missing data = no load), and its factory (queueThresholdTokens <= 0 = the 4,194,304 default).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UncachedRequestTokens } from '../../../../framework/data-keys.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createTokenLoadScorer } from './token-load.ts';

scorerContract('token-load-scorer', (h) => createTokenLoadScorer('token-load-scorer', undefined, h));

const cases: { name: string; inflight: (number | null)[]; uncached: number | null; want: number[] }[] = [
  { name: 'in-flight load only', inflight: [0, 500, 1000], uncached: null, want: [1, 0.5, 0] },
  { name: 'in-flight load plus the request\'s uncached tokens', inflight: [0, 250, 750], uncached: 250, want: [0.75, 0.5, 0] },
  { name: 'missing load counts as none', inflight: [null], uncached: null, want: [1] },
  { name: 'over the threshold clamps to 0', inflight: [5000], uncached: 10, want: [0] },
];
for (const c of cases) {
  test(`token-load-scorer: ${c.name}`, () => {
    const s = createTokenLoadScorer('t', { queueThresholdTokens: 1000 }, testHandle());
    const eps = c.inflight.map((tokens, i) => {
      const ep = makeEndpoint(i);
      if (tokens !== null) ep.attributes.set('inflight-load/inflight-load-producer', { requests: 1, tokens });
      return ep;
    });
    const req = makeRequest();
    if (c.uncached !== null) {
      const u: UncachedRequestTokens = { request: req, tokens: () => c.uncached! };
      req.data.set('uncached-request-tokens/inflight-load-producer', u);
    }
    const out = new Float64Array(eps.length);
    s.score(req, eps, eps.length, out);
    assert.deepEqual([...out], c.want);
  });
}

const params: { params: unknown; want?: number; match?: RegExp }[] = [
  { params: undefined, want: 4_194_304 },
  { params: { queueThresholdTokens: 0 }, want: 4_194_304 },
  { params: { queueThresholdTokens: -5 }, want: 4_194_304 },
  { params: { queueThresholdTokens: 1000 }, want: 1000 },
  { params: { queueThresholdTokens: 'x' }, match: /queueThresholdTokens/ },
  { params: { inFlightLoadProducerName: 3 }, match: /inFlightLoadProducerName: must be a string/ },
];
for (const c of params) {
  test(`token-load-scorer: parameters ${JSON.stringify(c.params)}`, () => {
    if (c.match) return void assert.throws(() => createTokenLoadScorer('t', c.params, testHandle()), c.match);
    assert.equal(createTokenLoadScorer('t', c.params, testHandle()).queueThresholdTokens, c.want);
  });
}

test('token-load-scorer: consumes the named producer\'s keys', () => {
  assert.deepEqual(createTokenLoadScorer('t', undefined, testHandle()).consumes.required, [
    'inflight-load/inflight-load-producer',
    'uncached-request-tokens/inflight-load-producer',
  ]);
  assert.deepEqual(createTokenLoadScorer('t', { inFlightLoadProducerName: 'x' }, testHandle()).consumes.required, [
    'inflight-load/x',
    'uncached-request-tokens/x',
  ]);
});

test('token-load-scorer: loaded config adds inflight-load-producer; load follows the requests routed and finished', async () => {
  const { loadSchedulerConfig } = await import('../../../../config/loader.ts');
  const { inTreePluginRegistry } = await import('../../../registry.ts');
  const { LLMResponse } = await import('../../../../framework/requestcontrol.ts');
  const config = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: token-load-scorer
  parameters: {queueThresholdTokens: 1000}
- type: concurrency-detector
  parameters: {concurrencyMode: tokens, maxTokenConcurrency: 1000}
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: token-load-scorer
saturationDetector:
  pluginRef: concurrency-detector
`;
  const loaded = loadSchedulerConfig(config, testHandle(), { registry: inTreePluginRegistry() });
  assert.equal(loaded.plugins.get('inflight-load-producer')?.type, 'inflight-load-producer');
  const rc = loaded.requestControl;
  const eps = [0, 1, 2].map((i) => makeEndpoint(i));
  const reqs = [400, 200, 100].map((tokens) => makeRequest({ promptText: 'abcd'.repeat(tokens) }));
  const picked: number[] = [];
  for (const req of reqs) {
    for (const p of rc.dataProducers) p.produce(req, eps);
    const r = loaded.scheduler.schedule(req, eps);
    assert.ok(r.ok);
    for (const p of rc.preRequest) p.preRequest(req, r);
    picked.push(eps.indexOf(r.primary.endpoints[0]!));
  }
  // Each request goes to an endpoint with fewer tokens in flight: three distinct endpoints.
  assert.equal(new Set(picked).size, 3);
  assert.ok(Math.abs(loaded.saturationDetector.saturation(eps) - 700 / 3000) < 1e-9);
  for (let i = 0; i < reqs.length; i++) for (const p of rc.responseComplete) p.responseComplete(reqs[i]!, new LLMResponse(), eps[picked[i]!]!);
  assert.equal(loaded.saturationDetector.saturation(eps), 0);
});
