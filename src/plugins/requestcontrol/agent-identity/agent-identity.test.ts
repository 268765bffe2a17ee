/**
 * agent-identity. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/requestcontrol/requestheader/agentidentity/agent_identity_test.go` and its README
 * (mirror commit ebab68792); and the session-affinity scorer reading the attribute it publishes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT_IDENTITY_KEY, type RequestAttribute } from '../../../framework/data-keys.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../test/support/scheduling/testing.ts';
import { createSessionAffinityScorer } from '../../scheduling/scorer/session-affinity/session-affinity.ts';
import { createAgentIdentity } from './agent-identity.ts';

const identity = (headers: Record<string, string>, params?: unknown): string | undefined => {
  const req = makeRequest();
  for (const [k, v] of Object.entries(headers)) req.headers.set(k, v);
  createAgentIdentity('agent-identity', params, testHandle()).produce(req, []);
  return (req.data.get(AGENT_IDENTITY_KEY) as RequestAttribute | undefined)?.value;
};

test('agent-identity: the first non-empty header in priority order', () => {
  assert.equal(identity({ 'x-claude-code-session-id': 'claude', 'x-session-affinity': 'open' }), 'claude');
  assert.equal(identity({ 'x-session-affinity': 'open', 'session-id': 'codex' }), 'open');
  assert.equal(identity({ 'session-id': 'codex', session_id: 'legacy' }), 'codex');
  assert.equal(identity({ session_id: 'legacy' }), 'legacy');
  assert.equal(identity({ 'x-claude-code-session-id': '', session_id: 'legacy' }), 'legacy', 'empty values are skipped');
  assert.equal(identity({ 'x-other': 'x' }), undefined);
});

test('agent-identity: additionalSessionHeaders come first, lower-cased', () => {
  assert.equal(identity({ 'x-my-agent': 'mine', 'x-claude-code-session-id': 'claude' }, { additionalSessionHeaders: ['X-My-Agent'] }), 'mine');
  assert.throws(() => createAgentIdentity('a', { additionalSessionHeaders: 'x' }, testHandle()), /parameters\.additionalSessionHeaders: must be a list/);
  assert.throws(() => createAgentIdentity('a', { additionalSessionHeaders: [1] }, testHandle()), /parameters\.additionalSessionHeaders\[0\]: must be a string/);
});

test('agent-identity feeds session-affinity `sources: [{attribute: agent-identity}]`', () => {
  const s = createSessionAffinityScorer('s', { strategy: 'session_id', sessionIdConfig: { sources: [{ attribute: 'agent-identity' }] } }, testHandle());
  const ai = createAgentIdentity('agent-identity', undefined, testHandle());
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const req = () => {
    const r = makeRequest();
    r.headers.set('x-claude-code-session-id', 'sess-1');
    ai.produce(r, eps);
    return r;
  };
  const out = new Float64Array(2);
  const first = req();
  s.score(first, eps, 2, out);
  s.preRequest(first, scheduledOn(eps[1]!));
  s.score(req(), eps, 2, out);
  assert.deepEqual([...out], [0, 1]);
});
