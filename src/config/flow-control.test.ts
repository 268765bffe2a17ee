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

function build(text: string) {
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
  })(() => room > 0);
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
