/** Flow-control metrics: upstream's names, gauges back to zero whatever the outcome, fairness_id bounded. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { FlowController } from '../flowcontrol/controller.ts';
import { ManualTimers } from '../flowcontrol/timers.ts';
import { createFcfsOrderingPolicy } from '../plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { createGlobalStrictFairnessPolicy } from '../plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { FlowControlMetrics } from './flowcontrol-metrics.ts';

test('queue size and bytes per flow and band; outcomes counted; client flow ids capped', async () => {
  const registry = new client.Registry();
  const m = new FlowControlMetrics(registry, 'pool', 2);
  const t = new ManualTimers();
  let room = 0;
  const fc = new FlowController({ clock: t, timers: t, canDispatch: () => room > 0, bandSettings: () => ({ maxRequests: 10, maxBytes: 1e9, ttlMs: 0, fairness: createGlobalStrictFairnessPolicy('g'), ordering: createFcfsOrderingPolicy('f') }), maxRequests: 4, maxBytes: Infinity, defaultTtlMs: 1000, observer: m });
  const add = (flowId: string, priority = 0) => fc.enqueue({ flowId, priority, bytes: 100, tokens: 25, ttlMs: 0, sloTtftMs: 0, model: 'm', targetModel: 'm' }, () => {
    room--;
  });
  add('a');
  add('b');
  add('c'); // third distinct flow id: folded into "other"
  add('s', -1);
  add('x', 5); // displaces the sheddable one
  add('y', 5); // full: rejected at the door
  const text = await registry.metrics();
  assert.match(text, /llm_d_epp_flow_control_queue_size\{fairness_id="a",priority="0",inference_pool="pool",model_name="m",target_model_name="m"\} 1/);
  assert.match(text, /llm_d_epp_flow_control_queue_size\{fairness_id="other",priority="0"[^}]*\} 1/);
  assert.match(text, /llm_d_epp_flow_control_queue_bytes\{fairness_id="a",priority="0"[^}]*\} 100/);
  assert.doesNotMatch(text, /fairness_id="c"/);
  assert.match(text, /llm_d_epp_flow_control_requests_total\{outcome="RejectedCapacity",priority="-1",inference_pool="pool"\} 1/);
  room = 2;
  fc.dispatch();
  t.advance(1000);
  const after = await registry.metrics();
  for (const line of after.split('\n').filter((l) => l.startsWith('llm_d_epp_flow_control_queue_'))) assert.match(line, / 0$/, line);
  assert.match(after, /llm_d_epp_flow_control_requests_total\{outcome="Dispatched",priority="5",inference_pool="pool"\} 1/);
  assert.match(after, /llm_d_epp_flow_control_requests_total\{outcome="Dispatched",priority="0",inference_pool="pool"\} 1/);
  assert.match(after, /llm_d_epp_flow_control_request_queue_duration_seconds_count\{[^}]*outcome="EvictedTTL"[^}]*\} \d/);
});

test('enqueue and dispatch-cycle durations: one observation each, under both the llm-d and the GIE name', async () => {
  const registry = new client.Registry();
  const m = new FlowControlMetrics(registry, 'pool');
  const t = new ManualTimers();
  let room = false;
  const fc = new FlowController({ clock: t, timers: t, canDispatch: () => room, bandSettings: () => ({ maxRequests: 10, maxBytes: 1e9, ttlMs: 0, fairness: createGlobalStrictFairnessPolicy('g'), ordering: createFcfsOrderingPolicy('f') }), maxRequests: 4, maxBytes: Infinity, defaultTtlMs: 1000, observer: m });
  const count = (text: string, family: string, labels = '') => Number(new RegExp(`^${family}_count(?:\\{${labels}\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const families = ['llm_d_epp_flow_control', 'inference_extension_flow_control'];
  fc.dispatch(); // nothing queued: not a cycle worth timing
  let text = await registry.metrics();
  for (const f of families) assert.equal(count(text, `${f}_dispatch_cycle_duration_seconds`), 0, f);

  fc.enqueue({ flowId: 'a', priority: 2, bytes: 100, tokens: 25, ttlMs: 0, sloTtftMs: 0, model: 'm', targetModel: 'm' }, () => {});
  text = await registry.metrics();
  for (const f of families) {
    assert.equal(count(text, `${f}_request_enqueue_duration_seconds`, 'fairness_id="a",priority="2",outcome="NotYetFinalized"'), 1, f);
    assert.equal(count(text, `${f}_dispatch_cycle_duration_seconds`), 1, `${f}: the enqueue's own pass, blocked`);
  }
  room = true;
  fc.dispatch();
  text = await registry.metrics();
  for (const f of families) {
    assert.equal(count(text, `${f}_dispatch_cycle_duration_seconds`), 2, f);
    assert.equal(count(text, `${f}_request_enqueue_duration_seconds`, 'fairness_id="a",priority="2",outcome="NotYetFinalized"'), 1, `${f}: dispatch does not observe enqueue`);
  }
});
