/** Upstream's flowControl sample configs load and build the controller they describe. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSchedulerConfig } from './loader.ts';
import { EMPTY_FLOW_CONTROL } from './parse.ts';
import { FLOW_CONTROL_GATE } from './sections.ts';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createGlobalStrictFairnessPolicy } from '../plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';
import { flowControllerFactory } from './flow-control.ts';
import { ManualTimers } from '../flowcontrol/timers.ts';

const DIR = join(import.meta.dirname, '../../test/data/upstream/configs');

function build(text: string, saturation?: () => number, hasEndpoints: () => boolean = () => true) {
  const loaded = loadSchedulerConfig(text, testHandle(), { registry: inTreePluginRegistry() });
  const timers = new ManualTimers();
  let room = 0;
  const fc = flowControllerFactory({
    entry: loaded.flowControl ?? EMPTY_FLOW_CONTROL,
    plugins: loaded.plugins,
    defaultOrdering: createFcfsOrderingPolicy('fcfs-ordering-policy'),
    defaultFairness: createGlobalStrictFairnessPolicy('global-strict-fairness-policy'),
    clock: timers,
    timers,
  })(() => room > 0, saturation && { saturation, hasEndpoints });
  return { loaded, fc, timers, open: (n: number) => ((room = n), fc.dispatch(), (room = 0)) };
}

const input = (o: { flowId?: string; priority?: number; bytes?: number; ttlMs?: number } = {}) => ({ flowId: 'f', priority: 0, bytes: 10, tokens: 3, ttlMs: 0, sloTtftMs: 0, model: '', targetModel: '', ...o });

test('router main successFlowControlConfigText: maxBytes 1024 bounds the queue, defaultRequestTTL 1m', () => {
  const { loaded, fc, timers } = build(readFileSync(join(DIR, 'router-main__testdata_test.go_successFlowControlConfigText.yaml'), 'utf8'));
  assert.equal(loaded.featureGates.get(FLOW_CONTROL_GATE), true);
  const outcomes: string[] = [];
  fc.enqueue(input({ bytes: 1000 }), (o) => outcomes.push(o));
  fc.enqueue(input({ bytes: 100 }), (o) => outcomes.push(o));
  assert.deepEqual(outcomes, ['rejected-capacity']);
  timers.advance(59_999);
  assert.deepEqual(outcomes, ['rejected-capacity']);
  timers.advance(1);
  assert.deepEqual(outcomes, ['rejected-capacity', 'evicted-ttl']);
});

test('router main successFlowControlInheritedTTLText: defaultRequestTTL 0s = no queue TTL', () => {
  const { fc, timers } = build(readFileSync(join(DIR, 'router-main__testdata_test.go_successFlowControlInheritedTTLText.yaml'), 'utf8'));
  const outcomes: string[] = [];
  fc.enqueue(input(), (o) => outcomes.push(o));
  timers.advance(3_600_000);
  assert.deepEqual(outcomes, []);
  assert.equal(timers.pending, 0);
});

test('gie v1.4.0 successComplexFlowControlConfigText: the band names its policies; other priorities get the defaults', () => {
  const { loaded, fc, open } = build(readFileSync(join(DIR, 'gie-v1.4.0__testdata_test.go_successComplexFlowControlConfigText.yaml'), 'utf8'));
  assert.equal(loaded.flowControl?.priorityBands[0]?.priority, 100);
  const order: string[] = [];
  fc.enqueue(input({ priority: 0 }), () => order.push('p0'));
  fc.enqueue(input({ priority: 100 }), () => order.push('p100'));
  open(2);
  assert.deepEqual(order, ['p100', 'p0']);
});

test('our policies by name: round-robin and token-fair-queueing load as fairness policies; a wrong role is refused', () => {
  const cfg = (fairness: string) => `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- {type: max-score-picker}
- {name: fair, type: ${fairness}}
- {name: order, type: edf-ordering-policy}
schedulingProfiles:
- name: default
  plugins: [{pluginRef: max-score-picker}]
featureGates: [flowControl]
flowControl:
  priorityBands:
  - {priority: 0, fairnessPolicyRef: fair, orderingPolicyRef: order, maxRequests: 2}
`;
  for (const t of ['round-robin-fairness-policy', 'token-fair-queueing-policy']) {
    const { fc } = build(cfg(t));
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) fc.enqueue(input(), (o) => outcomes.push(o));
    assert.deepEqual(outcomes, ['rejected-capacity'], t);
  }
  assert.throws(() => build(cfg('fcfs-ordering-policy')), /fairnessPolicyRef: plugin "fair" \(type "fcfs-ordering-policy"\) is not a fairness policy/);
});

test('router v0.10.0 soft-reflective-ceiling config: the low band is gated on 1 dispatch cycle in round(s/(1-s)) near saturation', () => {
  let saturation = 0.75; // period 3: open on every third cycle
  const { loaded, fc, open } = build(readFileSync(join(DIR, 'router-v0.10.0__soft-reflective-ceiling-epp-config.yaml.yaml'), 'utf8'), () => saturation);
  assert.equal(loaded.flowControl?.usageLimitPolicy?.pluginRef, 'soft-reflective-ceiling-policy');
  const order: string[] = [];
  fc.enqueue(input({ priority: 10 }), () => order.push('high'));
  for (let i = 0; i < 3; i++) fc.enqueue(input({ priority: -1 }), () => order.push(`low${i}`));
  assert.deepEqual(order, []); // room 0: nothing goes
  // Each dispatch cycle advances the shared tick once (also a cycle that dispatches nothing, as upstream); the
  // rig's pool stays open during one dispatch() run, so a run ends at the first closed cycle.
  open(1); // tick 1 closed: band 0 still goes (ceiling 1.0); tick 2 closed: stop
  assert.deepEqual(order, ['high']);
  const lens = [1, 2, 3].map(() => (open(1), order.length)); // ticks 3 (open) 4 | 5 | 6 (open) 7
  assert.deepEqual(lens, [2, 2, 3]);
  saturation = 0.2; // below every reflective ceiling: open every cycle
  open(1);
  assert.deepEqual(order, ['high', 'low0', 'low1', 'low2']);
});

test('router v0.10.0 sim-program-aware config: program-aware-fairness orders the default band by least attained service', () => {
  const { loaded, fc, open } = build(readFileSync(join(DIR, 'router-v0.10.0__sim-program-aware-config.yaml.yaml'), 'utf8'));
  const policy = loaded.plugins.get('program-aware-fairness') as import('../plugins/flowcontrol/fairness/program-aware/program-aware.ts').ProgramAwareFairness;
  assert.equal(policy.type, 'program-aware-fairness');
  assert.ok(loaded.requestControl.preRequest.includes(policy) && loaded.requestControl.responseComplete.includes(policy));
  policy.strategy.completed('heavy', 10_000, 1000, 0);
  const order: string[] = [];
  fc.enqueue(input({ flowId: 'heavy' }), () => order.push('heavy'));
  fc.enqueue(input({ flowId: 'light' }), () => order.push('light'));
  open(2);
  assert.deepEqual(order, ['light', 'heavy']);
});

test('router main successFlowControlConfigText: noEndpointRequestTTL 5m while the pool is empty; a new endpoint starts a fresh 1m budget', () => {
  let endpoints = false;
  const { fc, timers } = build(readFileSync(join(DIR, 'router-main__testdata_test.go_successFlowControlConfigText.yaml'), 'utf8'), () => 1, () => endpoints);
  const outcomes = [] as string[];
  fc.enqueue(input({ bytes: 10 }), (o) => outcomes.push(`a:${o}`));
  timers.advance(60_000); // past defaultRequestTTL: still waiting, the empty pool's budget is 5m
  assert.equal(outcomes.length, 0);
  fc.enqueue(input({ bytes: 10 }), (o) => outcomes.push(`b:${o}`));
  timers.advance(60_000); // t = 2m: an endpoint appears (saturated: nothing dispatches)
  endpoints = true;
  fc.dispatch();
  timers.advance(59_999);
  assert.equal(outcomes.length, 0);
  timers.advance(1); // t = 3m: both budgets (1m from the regime change) run out together
  assert.deepEqual(outcomes, ['a:evicted-ttl', 'b:evicted-ttl']);
  // Empty again: a request enqueued now gets 5m.
  endpoints = false;
  fc.enqueue(input({ bytes: 10 }), (o) => outcomes.push(`c:${o}`));
  timers.advance(299_999);
  assert.equal(outcomes.length, 2);
  timers.advance(1);
  assert.deepEqual(outcomes.at(-1), 'c:evicted-ttl');
});

test('router main successFlowControlInheritedTTLText: noEndpointRequestTTL unset follows defaultRequestTTL 0s (no eviction while empty)', () => {
  const { fc, timers } = build(readFileSync(join(DIR, 'router-main__testdata_test.go_successFlowControlInheritedTTLText.yaml'), 'utf8'), () => 1, () => false);
  const outcomes = [] as string[];
  fc.enqueue(input(), (o) => outcomes.push(o));
  timers.advance(3_600_000);
  assert.deepEqual(outcomes, []);
});

test('enableEviction builds the in-flight tracker; off (the default) builds none', () => {
  const head = 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\nfeatureGates: [flowControl]\nplugins:\n- type: queue-scorer\n';
  assert.notEqual(build(`${head}flowControl:\n  enableEviction: true\n`).fc.inFlight, null);
  assert.equal(build(`${head}flowControl:\n  enableEviction: false\n`).fc.inFlight, null);
  assert.equal(build(head).fc.inFlight, null);
});
