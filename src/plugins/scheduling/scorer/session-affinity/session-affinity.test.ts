/**
 * session-affinity-scorer. Cases from upstream llm-d-router (mirror commit ebab68792):
 * `pkg/epp/framework/plugins/scheduling/scorer/sessionaffinity/session_affinity_test.go` (Score, ResponseHeader,
 * FactoryValidation) and `.../scorer/sessionaffinity/session_id_header_test.go`. The shared session logic is tested
 * in ../../filter/session-affinity/session-affinity.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { LLMResponse } from '../../../../framework/requestcontrol.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createSessionAffinityScorer } from './session-affinity.ts';

scorerContract('session-affinity-scorer', (h) => createSessionAffinityScorer('session-affinity-scorer', undefined, h));
scorerContract('session-affinity-scorer (session_id)', (h) => createSessionAffinityScorer('s', { strategy: 'session_id' }, h));

const token = (ns: string, name: string): string => Buffer.from(`${ns}/${name}`).toString('base64');

const cases: { name: string; params?: unknown; headers: Record<string, string>; want: number[] }[] = [
  { name: 'selects the session endpoint', headers: { 'x-session-token': token('default', 'pod-1') }, want: [0, 1, 0] },
  {
    name: 'custom header selects the session endpoint',
    params: { encodedEndpointHeaderConfig: { header: 'x-custom' } },
    headers: { 'x-custom': token('default', 'pod-1') },
    want: [0, 1, 0],
  },
  {
    name: 'custom header ignores the default header',
    params: { encodedEndpointHeaderConfig: { header: 'x-custom' } },
    headers: { 'x-session-token': token('default', 'pod-1') },
    want: [0, 0, 0],
  },
  { name: 'no session token', headers: {}, want: [0, 0, 0] },
  { name: 'invalid session token', headers: { 'x-session-token': '%%%' }, want: [0, 0, 0] },
];
for (const c of cases) {
  test(`session-affinity-scorer (encoded_endpoint_header): ${c.name}`, () => {
    const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
    const req = makeRequest();
    for (const [k, v] of Object.entries(c.headers)) req.headers.set(k, v);
    const out = new Float64Array(3).fill(-1);
    createSessionAffinityScorer('s', c.params, testHandle()).score(req, eps, 3, out);
    assert.deepEqual([...out], c.want);
  });
}

test('session-affinity-scorer (encoded_endpoint_header): every data-parallel rank of the pod scores 1', () => {
  const eps = [0, 1].map((rank) => new Endpoint('10.0.0.1', 8000 + rank, 'pod-a', 'default', rank, 'vllm'));
  const req = makeRequest();
  req.headers.set('x-session-token', token('default', 'pod-a'));
  const out = new Float64Array(2);
  createSessionAffinityScorer('s', undefined, testHandle()).score(req, eps, 2, out);
  assert.deepEqual([...out], [1, 1]);
});

test('session-affinity-scorer: writes the serving pod token on the response', () => {
  const s = createSessionAffinityScorer('s', undefined, testHandle());
  const res = new LLMResponse();
  s.responseReceived(makeRequest(), res, makeEndpoint(1));
  assert.equal(res.headers?.get('x-session-token'), token('default', 'pod-1'));
});

test('session-affinity-scorer (session_id): 0 everywhere until bound, then 1 on the bound pod; no response header', () => {
  const s = createSessionAffinityScorer('s', { strategy: 'session_id' }, testHandle());
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const req = () => {
    const r = makeRequest();
    r.headers.set('x-session-id', 'abc');
    return r;
  };
  const out = new Float64Array(2);
  const r1 = req();
  s.score(r1, eps, 2, out);
  assert.deepEqual([...out], [0, 0]);
  s.preRequest(r1, scheduledOn(eps[1]!));
  s.score(req(), eps, 2, out);
  assert.deepEqual([...out], [0, 1]);
  const res = new LLMResponse();
  s.responseReceived(r1, res, eps[1]!);
  assert.equal(res.headers, null);
});

test('session-affinity-scorer: category Affinity; factory validation as the filter', () => {
  assert.equal(createSessionAffinityScorer('s', undefined, testHandle()).category, 'Affinity');
  assert.throws(() => createSessionAffinityScorer('s', { strategy: 'bogus' }, testHandle()), PluginConfigError);
  assert.throws(() => createSessionAffinityScorer('s', { strategy: 'session_id', sessionIdConfig: { evictionTtlSeconds: -1 } }, testHandle()), PluginConfigError);
});
