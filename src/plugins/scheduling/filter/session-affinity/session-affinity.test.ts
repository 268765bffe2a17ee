/**
 * session-affinity-filter. Cases from upstream llm-d-router (mirror commit ebab68792):
 * `pkg/epp/framework/plugins/scheduling/filter/sessionaffinity/session_affinity_test.go` (Filter, ResponseHeader,
 * FactoryValidation), `.../filter/sessionaffinity/session_id_header_test.go` and
 * `pkg/epp/framework/plugins/scheduling/util/sessionaffinity/session_id_test.go` (session_id binding, migration,
 * eviction, sources).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { LLMResponse } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult } from '../../../../framework/scheduling.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createSessionAffinityFilter } from './session-affinity.ts';

filterContract('session-affinity-filter', (h) => createSessionAffinityFilter('session-affinity-filter', undefined, h));
filterContract('session-affinity-filter (session_id)', (h) => createSessionAffinityFilter('s', { strategy: 'session_id' }, h));

const token = (ns: string, name: string): string => Buffer.from(`${ns}/${name}`).toString('base64');
const eps = (): ReturnType<typeof makeEndpoint>[] => [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)]; // pod-0..2 in "default"

const encodedCases: { name: string; params?: unknown; headers: Record<string, string>; n?: number; want: number[] }[] = [
  { name: 'selects the session endpoint', headers: { 'x-session-token': token('default', 'pod-1') }, want: [1] },
  {
    name: 'custom header selects the session endpoint',
    params: { encodedEndpointHeaderConfig: { header: 'X-Custom-Session' } },
    headers: { 'x-custom-session': token('default', 'pod-1') },
    want: [1],
  },
  {
    name: 'custom header ignores the default header',
    params: { encodedEndpointHeaderConfig: { header: 'x-custom-session' } },
    headers: { 'x-session-token': token('default', 'pod-1') },
    want: [0, 1, 2],
  },
  { name: 'no session token keeps all', headers: {}, want: [0, 1, 2] },
  { name: 'an invalid token keeps all', headers: { 'x-session-token': 'not base64!' }, want: [0, 1, 2] },
  { name: 'session pod not among the candidates keeps all', headers: { 'x-session-token': token('default', 'pod-9') }, want: [0, 1, 2] },
  { name: 'another namespace is another pod', headers: { 'x-session-token': token('other', 'pod-1') }, want: [0, 1, 2] },
  { name: 'no candidates', headers: { 'x-session-token': token('default', 'pod-1') }, n: 0, want: [] },
];
for (const c of encodedCases) {
  test(`session-affinity-filter (encoded_endpoint_header): ${c.name}`, () => {
    const all = eps();
    const work = [...all];
    const req = makeRequest();
    for (const [k, v] of Object.entries(c.headers)) req.headers.set(k, v);
    const kept = createSessionAffinityFilter('f', c.params, testHandle()).filter(req, work, c.n ?? work.length);
    assert.deepEqual(work.slice(0, kept).map((ep) => all.indexOf(ep)), c.want);
  });
}

test('session-affinity-filter: the response carries the serving pod under the session header', () => {
  const f = createSessionAffinityFilter('f', { encodedEndpointHeaderConfig: { header: 'x-custom' } }, testHandle());
  const res = new LLMResponse();
  f.responseReceived(makeRequest(), res, makeEndpoint(2));
  assert.equal(res.headers?.get('x-custom'), token('default', 'pod-2'));
});

test('session-affinity-filter: profileName writes that profile pick, and nothing when the profile did not run', () => {
  const f = createSessionAffinityFilter('f', { profileName: 'prefill', encodedEndpointHeaderConfig: { header: 'x-session-token-prefill' } }, testHandle());
  const [decode, prefill] = [makeEndpoint(0), makeEndpoint(1)];
  const req = makeRequest();
  const both: SchedulingResult = {
    ok: true,
    profileResults: new Map([
      ['decode', { endpoints: [decode], count: 1 }],
      ['prefill', { endpoints: [prefill], count: 1 }],
    ]),
    primaryProfileName: 'decode',
    primary: { endpoints: [decode], count: 1 },
  };
  f.preRequest(req, both);
  const res = new LLMResponse();
  f.responseReceived(req, res, decode);
  assert.equal(res.headers?.get('x-session-token-prefill'), token('default', 'pod-1'));

  const decodeOnly = makeRequest();
  f.preRequest(decodeOnly, scheduledOn(decode));
  const res2 = new LLMResponse();
  f.responseReceived(decodeOnly, res2, decode);
  assert.equal(res2.headers, null);
});

test('session-affinity-filter (session_id): unbound keeps all, binds the pick, then pins to it', () => {
  const f = createSessionAffinityFilter('f', { strategy: 'session_id' }, testHandle());
  const all = eps();
  const req = () => {
    const r = makeRequest();
    r.headers.set('x-session-id', ' s1 ');
    return r;
  };
  const r1 = req();
  assert.equal(f.filter(r1, [...all], 3), 3, 'unbound: no preference');
  f.preRequest(r1, scheduledOn(all[2]!));
  const r2 = req();
  const work = [...all];
  assert.equal(f.filter(r2, work, 3), 1);
  assert.equal(work[0], all[2]);
  f.preRequest(r2, scheduledOn(all[2]!));
  assert.equal(f.session.bindings(), 1);
});

test('session-affinity-filter (session_id): no session id keeps all and binds nothing', () => {
  const f = createSessionAffinityFilter('f', { strategy: 'session_id' }, testHandle());
  const r = makeRequest();
  r.headers.set('x-session-id', '   ');
  assert.equal(f.filter(r, eps(), 3), 3);
  f.preRequest(r, scheduledOn(makeEndpoint(0)));
  assert.equal(f.session.bindings(), 0);
});

test('session-affinity-filter (session_id): migrates only when the bound pod was absent, never when outvoted', () => {
  const f = createSessionAffinityFilter('f', { strategy: 'session_id' }, testHandle());
  const all = eps();
  const req = () => {
    const r = makeRequest();
    r.headers.set('x-session-id', 's1');
    return r;
  };
  const r1 = req();
  f.filter(r1, [...all], 3);
  f.preRequest(r1, scheduledOn(all[0]!));
  // Bound pod present, but a later stage picked another one: the binding holds.
  const r2 = req();
  f.filter(r2, [...all], 3);
  f.preRequest(r2, scheduledOn(all[1]!));
  const w2 = [...all];
  assert.equal(f.filter(req(), w2, 3), 1);
  assert.equal(w2[0], all[0]);
  // Bound pod absent from the candidates: every candidate kept, and the session rebinds to the pick.
  const r3 = req();
  const w3 = [all[1]!, all[2]!];
  assert.equal(f.filter(r3, w3, 2), 2);
  f.preRequest(r3, scheduledOn(all[2]!));
  const w4 = [...all];
  assert.equal(f.filter(req(), w4, 3), 1);
  assert.equal(w4[0], all[2]);
});

test('session-affinity-filter (session_id): bindings unused past the TTL are swept', () => {
  const h = testHandle();
  const f = createSessionAffinityFilter('f', { strategy: 'session_id', sessionIdConfig: { evictionTtlSeconds: 60, evictionSweepSeconds: 10 } }, h);
  const bind = (id: string) => {
    const r = makeRequest();
    r.headers.set('x-session-id', id);
    f.filter(r, eps(), 3);
    f.preRequest(r, scheduledOn(makeEndpoint(0)));
  };
  bind('old');
  h.clock.advance(50_000);
  bind('fresh');
  h.clock.advance(20_000); // old: 70 s unused, fresh: 20 s
  bind('fresh');
  assert.equal(f.session.bindings(), 1);
});

test('session-affinity-filter (session_id): sources in priority order, first non-empty wins', () => {
  const f = createSessionAffinityFilter('f', { strategy: 'session_id', sessionIdConfig: { sources: [{ header: 'X-A' }, { attribute: 'agent-identity' }, { header: 'x-b' }] } }, testHandle());
  const all = eps();
  const r1 = makeRequest();
  r1.headers.set('x-b', 'sess');
  f.filter(r1, [...all], 3);
  f.preRequest(r1, scheduledOn(all[1]!));
  const r2 = makeRequest();
  r2.headers.set('x-a', '');
  r2.headers.set('x-b', 'sess');
  const w = [...all];
  assert.equal(f.filter(r2, w, 3), 1);
  assert.equal(w[0], all[1]);
});

const factory: { params: unknown; ok: boolean }[] = [
  { params: undefined, ok: true },
  { params: { strategy: 'encoded_endpoint_header' }, ok: true },
  { params: { strategy: 'session_id' }, ok: true },
  { params: { strategy: 'session_id', sessionIdConfig: { sources: [{ attribute: 'agent-identity' }] } }, ok: true },
  { params: { strategy: 'session_id', sessionIdConfig: { sources: [{ header: 'x-session-id' }, { attribute: 'agent-identity' }] } }, ok: true },
  { params: { strategy: 'session_id', sessionIdConfig: { sources: [] } }, ok: true },
  { params: { strategy: 'session_id', sessionIdConfig: { evictionTtlSeconds: 0 } }, ok: true },
  { params: { strategy: 'bogus' }, ok: false },
  { params: { strategy: 'session_id', sessionIdConfig: { sources: [{ header: 'h', attribute: 'a' }] } }, ok: false },
  { params: { strategy: 'session_id', sessionIdConfig: { sources: [{}] } }, ok: false },
  { params: { strategy: 'session_id', sessionIdConfig: { evictionTtlSeconds: -1 } }, ok: false },
  { params: { strategy: 'session_id', sessionIdConfig: { evictionSweepSeconds: -1 } }, ok: false },
  { params: { unknown: 1 }, ok: false },
];
for (const c of factory) {
  test(`session-affinity-filter factory ${c.ok ? 'accepts' : 'rejects'} ${JSON.stringify(c.params)}`, () => {
    if (c.ok) assert.doesNotThrow(() => createSessionAffinityFilter('f', c.params, testHandle()));
    else assert.throws(() => createSessionAffinityFilter('f', c.params, testHandle()), PluginConfigError);
  });
}
