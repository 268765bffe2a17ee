// Cases from upstream fairness/program-aware/{strategy_las_test.go,plugin_test.go} (commit ebab687), manual clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowQueueView } from '../../../../framework/flowcontrol.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import { LLMRequest } from '../../../../framework/request.ts';
import { LLMResponse } from '../../../../framework/requestcontrol.ts';
import { ManualTimers } from '../../../../flowcontrol/timers.ts';
import { LasStrategy, rangeNormalize } from './las.ts';
import { createProgramAwareFairness, DEFAULT_PROGRAM_AWARE_CONFIG } from './program-aware.ts';

function flow(flowId: string, enqueuedAtMs: number): FlowQueueView {
  const head = { seq: 1, enqueuedAtMs, expiresAtMs: Infinity, sloDeadlineMs: Infinity, bytes: 1, tokens: 1 };
  return { flowId, length: 1, fairnessTag: 0, head: () => head };
}
const handle = (clock: ManualTimers) => ({ clock }) as unknown as PluginHandle;
function request(fairnessId: string): LLMRequest {
  const r = new LLMRequest();
  r.fairnessId = fairnessId;
  return r;
}
function usage(prompt: number, completion: number): LLMResponse {
  const r = new LLMResponse();
  r.promptTokens = prompt;
  r.completionTokens = completion;
  return r;
}

test('las: prefers lower attained service; cold start goes by head wait', () => {
  const s = new LasStrategy(0.8, 0.2, 60);
  s.completed('alpha', 1000, 0, 0);
  s.completed('beta', 10, 0, 0);
  assert.equal(s.pick([flow('alpha', 0), flow('beta', 0)], 0).flowId, 'beta');
  const cold = new LasStrategy(0.8, 0.2, 60);
  assert.equal(cold.pick([flow('alpha', 1000 - 500), flow('beta', 1000 - 50)], 1000).flowId, 'alpha');
});

test('las: decayed service (idle 10 half-lives falls below a fresh 10)', () => {
  const s = new LasStrategy(1, 0, 1);
  s.completed('alpha', 1000, 0, 0);
  s.completed('beta', 10, 0, 10_000);
  assert.equal(s.pick([flow('alpha', 10_000), flow('beta', 10_000)], 10_000).flowId, 'alpha');
});

test('las: weighted cost, half-life, zero half-life, pending decay first, eviction, rangeNormalize', () => {
  const s = new LasStrategy(0.8, 0.2, 0);
  assert.equal(s.completed('alpha', 100, 50, 0), 200);
  assert.equal(s.service('alpha', 3_600_000), 200, 'a half-life of 0 holds service flat');
  s.evict('alpha');
  assert.equal(s.service('alpha', 0), 0);
  const h = new LasStrategy(0.8, 0.2, 1);
  h.completed('a', 100, 0, 0);
  assert.ok(Math.abs(h.service('a', 1000) - 50) < 0.001);
  const g = new LasStrategy(0.8, 0.2, 1);
  g.completed('a', 100, 0, 0);
  assert.ok(Math.abs(g.completed('a', 10, 0, 1000) - 60) < 0.001, '100 halves to 50 before the +10 lands');
  assert.equal(rangeNormalize(5, 10, 10), 0.5);
  assert.equal(rangeNormalize(0, 0, 10), 0);
  assert.equal(rangeNormalize(10, 0, 10), 1);
  assert.ok(Math.abs(rangeNormalize(2.5, 0, 10) - 0.25) < 0.001);
});

test('program-aware-fairness: factory defaults, LAS config, unknown strategy, invalid values, unknown keys', () => {
  const t = new ManualTimers();
  assert.deepEqual(createProgramAwareFairness('p', undefined, handle(t)).config, DEFAULT_PROGRAM_AWARE_CONFIG);
  const c = createProgramAwareFairness('p', { strategy: 'las', lasWeightService: 0.5, lasWeightHeadWait: 0.5, lasHalfLifeSeconds: 0 }, handle(t)).config;
  assert.deepEqual([c.lasWeightService, c.lasWeightHeadWait, c.lasHalfLifeSeconds], [0.5, 0.5, 0]);
  assert.throws(() => createProgramAwareFairness('p', { strategy: 'wfq' }, handle(t)), /only "las" is supported/);
  for (const bad of [{ evictionTtlSeconds: -1 }, { evictionSweepSeconds: 0 }, { lasWeightService: -1 }, { lasWeightHeadWait: -1 }, { lasHalfLifeSeconds: -1 }, { bogus: 1 }]) {
    assert.throws(() => createProgramAwareFairness('p', bad, handle(t)), PluginConfigError, JSON.stringify(bad));
  }
});

test('program-aware-fairness: dispatch records wait, preRequest counts, completion adds service, no fairness id = default-flow', () => {
  const t = new ManualTimers();
  const p = createProgramAwareFairness('p', undefined, handle(t));
  const band = p.newBand();
  t.advance(300);
  const a = flow('alpha', 100);
  assert.equal(band.pick([a], () => false), a);
  band.dispatched!(a, a.head()!);
  p.preRequest(request('alpha'));
  assert.equal(p.metrics('alpha')!.averageWaitTimeMs, 200);
  assert.equal(p.metrics('alpha')!.inFlight, 1);
  p.responseComplete(request('alpha'), usage(100, 50));
  assert.equal(p.metrics('alpha')!.inFlight, 0);
  assert.equal(p.strategy.service('alpha', t.now()), 200);
  p.preRequest(request(''));
  assert.equal(p.metrics('default-flow')!.dispatchedCount, 1);
  // alpha now has service, beta none: beta goes first.
  assert.equal(band.pick([flow('alpha', 300), flow('beta', 300)], () => false).flowId, 'beta');
});

test('program-aware-fairness: idle eviction keeps in-flight and recent programs; Jain over mean waits', () => {
  const t = new ManualTimers();
  const p = createProgramAwareFairness('p', { evictionTtlSeconds: 10, evictionSweepSeconds: 1 }, handle(t));
  p.preRequest(request('busy'));
  p.preRequest(request('idle'));
  p.responseComplete(request('idle'), usage(1, 1));
  t.advance(5000);
  p.preRequest(request('recent'));
  p.responseComplete(request('recent'), usage(1, 1));
  t.advance(6000); // idle completed 11 s ago, recent 6 s ago, busy still in flight
  p.preRequest(request('other'));
  assert.equal(p.metrics('idle'), undefined);
  assert.ok(p.metrics('busy') !== undefined && p.metrics('recent') !== undefined);
  assert.equal(p.state().totalInFlight, 2);
  assert.equal(p.state().fairnessIndex, 1, 'no waits recorded');
  const band = p.newBand();
  for (const [id, wait] of [['x', 100], ['y', 300]] as const) band.dispatched!(flow(id, 0), { seq: 1, enqueuedAtMs: t.now() - wait, expiresAtMs: Infinity, sloDeadlineMs: Infinity, bytes: 1, tokens: 1 });
  assert.ok(Math.abs(p.state().fairnessIndex - (400 * 400) / (2 * (100 * 100 + 300 * 300))) < 1e-9);
});
