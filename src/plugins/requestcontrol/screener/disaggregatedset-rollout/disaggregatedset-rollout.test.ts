/**
 * disaggregatedset-rollout-screener, from upstream plugin_test.go and metrics_test.go (llm-d-router ebab687): pod
 * tracking, fail-closed cases, the weighted revision draw over 10,000 requests, strict selectors, response-header
 * stamping and the metrics snapshot; plus the shared screener contract.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { LLMRequest } from '../../../../framework/request.ts';
import { LLMResponse } from '../../../../framework/requestcontrol.ts';
import { screenerContract } from '../../../../../test/support/requestcontrol/screener-contract.ts';
import { testHandle, testRandom } from '../../../../../test/support/scheduling/testing.ts';
import { parseRolloutConfig, type GatingMode } from './config.ts';
import { createDisaggregatedSetRolloutScreener, DisaggregatedSetRolloutScreener } from './disaggregatedset-rollout.ts';
import { shareOf } from './revision-distribution.ts';
import { SHARE_CASES } from '../../../../../test/support/requestcontrol/rollout-share-cases.ts';

const REV = 'disaggregatedset.x-k8s.io/revision';
const ROLE = 'disaggregatedset.x-k8s.io/role';
const SET = 'disaggregatedset.x-k8s.io/name';

function params(mode: GatingMode = 'sum'): Record<string, unknown> {
  return {
    scope: { labelSelector: `${SET}=my-set` },
    headerSelectors: [{ name: 'revision', headerName: 'x-disagg-revision', labelKey: REV, mode: 'strict' }],
    revisionGating: mode === 'disabled' ? { mode } : { mode, requireRoles: { values: ['prefill', 'decode'] } },
  };
}

function screener(mode: GatingMode = 'sum', random: () => number = Math.random): DisaggregatedSetRolloutScreener {
  return new DisaggregatedSetRolloutScreener('test-screener', parseRolloutConfig('test-screener', params(mode)), random);
}

let ip = 0;
/** A Ready pod of the set (an endpoint in the datastore is a Ready pod), one rank unless `rank` is given. */
function pod(name: string, revision: string, role: string, extra: Record<string, string> = {}, rank = 0): Endpoint {
  ip++;
  return new Endpoint(`10.1.${ip >> 8}.${ip & 255}`, 8000 + rank, name, 'default', rank, 'vllm', { [REV]: revision, [ROLE]: role, [SET]: 'my-set', ...extra });
}

function seed(s: DisaggregatedSetRolloutScreener, c: Record<string, Record<string, number>>): Endpoint[] {
  const eps: Endpoint[] = [];
  for (const [rev, roles] of Object.entries(c)) for (const [role, n] of Object.entries(roles)) for (let i = 0; i < n; i++) eps.push(pod(`${rev}-${role}-${i}`, rev, role));
  for (const ep of eps) s.endpointChanged(ep);
  return eps;
}

function request(headers: Record<string, string> = {}): LLMRequest {
  const r = new LLMRequest();
  for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
  return r;
}

/** The candidates the screener keeps on its own. */
function screened(s: DisaggregatedSetRolloutScreener, req: LLMRequest, eps: readonly Endpoint[]): Endpoint[] {
  const keep = new Uint8Array(eps.length).fill(1);
  s.screen(req, eps, keep);
  return eps.filter((_, i) => keep[i] === 1);
}

const revisionsOf = (eps: readonly Endpoint[]): string[] => [...new Set(eps.map((e) => e.labels[REV]!))].sort();

test('pods: only in-scope pods with a revision and a role count; removal and relabel refresh the counts', () => {
  const s = screener();
  const inScope = pod('p1', 'v1', 'prefill');
  s.endpointChanged(inScope);
  s.endpointChanged(pod('p2', 'v2', 'decode', { [SET]: 'other' }));
  s.endpointChanged(new Endpoint('10.9.0.1', 8000, 'p3', 'default', 0, 'vllm', { [REV]: 'v1', [SET]: 'my-set' }));
  assert.deepEqual([...s.distribution.roleCounts].map(([r, m]) => [r, [...m]]), [['v1', [['prefill', 1]]]]);
  s.removeEndpoint(inScope.key);
  assert.equal(s.distribution.roleCounts.size, 0);
});

test('pods: a pod with several ranks counts once', () => {
  const s = screener();
  for (const rank of [0, 1, 2]) s.endpointChanged(pod('dp', 'v1', 'decode', {}, rank)); // one pod name, three ports
  s.endpointChanged(pod('pf', 'v1', 'prefill'));
  assert.equal(s.distribution.roleCounts.get('v1')!.get('decode'), 1);
});

test('pods: shares follow relabels and removals (upstream TestPodNotificationsRefreshCachedRevisionShares)', () => {
  const s = screener();
  const eps = seed(s, { v1: { prefill: 2, decode: 2 }, v2: { prefill: 1, decode: 1 } });
  const near = (rev: string, want: number) => assert.ok(Math.abs(shareOf(s.distribution, rev) - want) < 1e-9, `${rev}: ${shareOf(s.distribution, rev)}`);
  near('v1', 2 / 3);
  near('v2', 1 / 3);
  const v1Decode = eps.find((e) => e.labels[REV] === 'v1' && e.labels[ROLE] === 'decode')!;
  v1Decode.labels = { ...v1Decode.labels, [REV]: 'v2' }; // the datastore replaces labels, then notifies
  s.endpointChanged(v1Decode);
  near('v1', 1 / 2);
  near('v2', 1 / 2);
  s.removeEndpoint(v1Decode.key); // lost readiness: the datastore drops the endpoint
  near('v1', 3 / 5);
  near('v2', 2 / 5);
});

test('screen: a pinned revision missing a role fails closed', () => {
  const s = screener();
  seed(s, { v1: { prefill: 3 }, v2: { prefill: 1, decode: 1 } });
  assert.deepEqual(screened(s, request({ 'x-disagg-revision': 'v1' }), [pod('a', 'v1', 'prefill'), pod('b', 'v2', 'prefill')]), []);
});

test('screen: a single revision is still checked for cross-role coverage', () => {
  const s = screener();
  seed(s, { v1: { prefill: 2 } });
  assert.deepEqual(screened(s, request(), [pod('a', 'v1', 'prefill')]), []);
});

test('screen: fails closed until pods are observed', () => {
  assert.deepEqual(screened(screener(), request(), [pod('a', 'v1', 'prefill')]), []);
});

test('screen: candidates without a revision label are dropped while gating', () => {
  const s = screener();
  seed(s, { v1: { prefill: 1, decode: 1 } });
  const bare = new Endpoint('10.9.9.9', 8000, 'bare', 'default', 0, 'vllm', { [ROLE]: 'decode' });
  assert.deepEqual(screened(s, request(), [bare, pod('a', 'v1', 'decode')]).map((e) => e.podName), ['a']);
});

test('screen: a strict header pins the revision without a weighted draw', () => {
  let draws = 0;
  const s = screener('sum', () => (draws++, 0));
  const eps = seed(s, { v1: { prefill: 1, decode: 1 }, v2: { prefill: 1, decode: 1 } });
  assert.deepEqual(revisionsOf(screened(s, request({ 'x-disagg-revision': 'v2' }), eps)), ['v2']);
  assert.equal(draws, 0);
  assert.equal(screened(s, request({ 'x-disagg-revision': 'v2' }), eps).length, 2, 'both roles of v2');
});

/** upstream TestScreenerWeightedDistribution: the share of v2 over 10,000 requests, within 0.03. */
for (const [name, mode, c, want] of SHARE_CASES) {
  test(`screen: weighted distribution ${name}`, () => {
    const s = screener(mode, testRandom(11));
    const eps = seed(s, c);
    const prefills = eps.filter((e) => e.labels[ROLE] === 'prefill'); // upstream screens a prefill pool
    let v2 = 0;
    for (let i = 0; i < 10_000; i++) {
      const got = screened(s, request(), prefills);
      assert.equal(revisionsOf(got).length, 1, 'one revision per request');
      if (got[0]!.labels[REV] === 'v2') v2++;
    }
    const share = v2 / 10_000;
    assert.ok(Math.abs(share - want) <= 0.03, `v2 share ${share}, want ${want}`);
  });
}

test('strict selectors with gating disabled: keep the matching label; no match keeps nothing and is counted', () => {
  const s = screener('disabled');
  const eps = [pod('a', 'v1', 'prefill'), pod('b', 'v2', 'prefill')];
  assert.deepEqual(screened(s, request({ 'x-disagg-revision': 'v2' }), eps).map((e) => e.podName), ['b']);
  assert.deepEqual(screened(s, request({ 'x-disagg-revision': 'missing' }), eps), []);
  assert.deepEqual(screened(s, request(), eps).length, 2, 'no header, gating off: all pass');
  assert.deepEqual([...s.rolloutMetrics().strictHeaderNoMatch], [['revision', 1]]);
});

test('response: every selector stamps the serving endpoint label, with gating on or off; none when unlabelled', () => {
  for (const mode of ['sum', 'disabled'] as const) {
    const p = params(mode);
    (p['headerSelectors'] as unknown[]).push({ name: 'slice', headerName: 'X-Disagg-Slice', labelKey: 'disaggregatedset.x-k8s.io/slice', mode: 'prefer' });
    const s = createDisaggregatedSetRolloutScreener('s', p, testHandle());
    const res = new LLMResponse();
    s.responseReceived(request(), res, pod('a', 'v1', 'decode', { 'disaggregatedset.x-k8s.io/slice': 's0' }));
    assert.deepEqual([...res.headers!], [['x-disagg-revision', 'v1'], ['x-disagg-slice', 's0']], mode);
    const bare = new LLMResponse();
    s.responseReceived(request(), bare, new Endpoint('10.9.0.2', 8000, 'x', 'default', 0, 'vllm'));
    assert.equal(bare.headers, null);
  }
});

test('metrics: share per observed revision (0 when a role is missing); a revision that leaves disappears', () => {
  const s = screener();
  const eps = seed(s, { v1: { prefill: 1, decode: 1 }, v2: { prefill: 1 } });
  assert.deepEqual(s.rolloutMetrics().revisionShares, [['v1', 1], ['v2', 0]]);
  assert.equal(s.rolloutMetrics().mode, 'sum');
  for (const ep of eps.filter((e) => e.labels[REV] === 'v1')) s.removeEndpoint(ep.key);
  assert.deepEqual(s.rolloutMetrics().revisionShares, [['v2', 0]]);
});

screenerContract('disaggregatedset-rollout-screener', (h) => createDisaggregatedSetRolloutScreener('rollout', params('max-role'), h), {
  endpoints: () => [pod('a', 'v1', 'prefill'), pod('b', 'v1', 'decode'), pod('c', 'v2', 'prefill'), pod('d', 'v2', 'decode'), pod('e', 'v3', 'decode')],
  prepare: (s, eps) => {
    for (const ep of eps) (s as DisaggregatedSetRolloutScreener).endpointChanged(ep);
  },
});
