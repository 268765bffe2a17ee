/**
 * The director against llm-d Router's wire contract: x-llm-d-* request headers and their deprecated aliases,
 * drop reasons and status per rejection, --emit-endpoint-scores, and the metric series each request writes
 * (canonical llm_d_epp_* and GIE names, bounded labels).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { directorFixture as fixture, type DirectorFixture as Fixture, type DirectorFixtureOptions } from '../../test/support/director-fixture.ts';
import type { RequestDecision, RouteDecision } from './decision.ts';
import { RequestContext } from './request-context.ts';

function send(f: Fixture, model: string, headers: Record<string, string> = {}, extra: object = {}): { ctx: RequestContext; decision: RequestDecision } {
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
  f.director.handleRequestHeaders(ctx);
  const b = Buffer.from(JSON.stringify({ model, prompt: 'hello there', ...extra }));
  return { ctx, decision: f.director.handleRequest(ctx, { chunks: [b], bytes: b.length }) };
}

function routed(d: RequestDecision): RouteDecision {
  assert.ok(d.ok, d.ok ? '' : `${d.status} ${d.error.code}: ${d.error.message}`);
  return d;
}

async function value(f: Fixture, name: string, labels: Record<string, string>, suffix = ''): Promise<number | undefined> {
  const m = f.metrics.registry.getSingleMetric(name);
  assert.ok(m, `${name} registered`);
  const snap = await m.get();
  const v = snap.values.find((x) => (suffix === '' || (x as { metricName?: string }).metricName === `${name}${suffix}`) && Object.entries(labels).every(([k, want]) => x.labels[k] === want));
  return v?.value;
}

// ------------------------------------------------------------ request headers

describe('director: x-llm-d-* headers, x-gateway-* / x-slo-* aliases', () => {
  const model = { models: [{ modelName: 'm', targetModels: [{ name: 'from-model', weight: 1 }] }] };
  const cases: { name: string; opts?: DirectorFixtureOptions; headers: Record<string, string>; target?: string; priority?: number; fairness?: string; ttft?: number; tpot?: number }[] = [
    { name: 'x-llm-d-model-name-rewrite', opts: model, headers: { 'x-llm-d-model-name-rewrite': 'new' }, target: 'new' },
    { name: 'x-gateway-model-name-rewrite (alias)', opts: model, headers: { 'x-gateway-model-name-rewrite': 'old' }, target: 'old' },
    { name: 'both rewrite names: the current one wins', headers: { 'x-llm-d-model-name-rewrite': 'new', 'x-gateway-model-name-rewrite': 'old' }, target: 'new' },
    { name: 'x-llm-d-inference-objective', opts: { objectives: [{ name: 'gold', priority: 7 }] }, headers: { 'x-llm-d-inference-objective': 'gold' }, priority: 7 },
    { name: 'x-gateway-inference-objective (alias)', opts: { objectives: [{ name: 'gold', priority: 7 }] }, headers: { 'x-gateway-inference-objective': 'gold' }, priority: 7 },
    { name: 'both objective names: the current one wins', opts: { objectives: [{ name: 'gold', priority: 7 }, { name: 'batch', priority: -1 }] }, headers: { 'x-llm-d-inference-objective': 'batch', 'x-gateway-inference-objective': 'gold' }, priority: -1 },
    { name: 'fairness id, current name', headers: { 'x-llm-d-inference-fairness-id': 'tenant-a' }, fairness: 'tenant-a' },
    { name: 'fairness id, alias', headers: { 'x-gateway-inference-fairness-id': 'tenant-b' }, fairness: 'tenant-b' },
    { name: 'no fairness id: default-flow', headers: {}, fairness: 'default-flow' },
    { name: 'SLO headers, current names (floats in ms)', headers: { 'x-llm-d-slo-ttft-ms': '250.5', 'x-llm-d-slo-tpot-ms': '20' }, ttft: 250.5, tpot: 20 },
    { name: 'SLO headers, aliases', headers: { 'x-slo-ttft-ms': '300', 'x-slo-tpot-ms': '15' }, ttft: 300, tpot: 15 },
    { name: 'SLO headers that are not numbers are ignored', headers: { 'x-llm-d-slo-ttft-ms': 'fast', 'x-llm-d-slo-tpot-ms': '-3' }, ttft: 0, tpot: 0 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const f = fixture(c.opts);
      const { ctx, decision } = send(f, 'm', c.headers);
      routed(decision);
      const r = ctx.request;
      if (c.target !== undefined) assert.equal(r.targetModel, c.target);
      if (c.priority !== undefined) assert.equal(r.priority, c.priority);
      if (c.fairness !== undefined) assert.equal(r.fairnessId, c.fairness);
      if (c.ttft !== undefined) assert.deepEqual([r.sloTtftMs, r.sloTpotMs], [c.ttft, c.tpot]);
    });
  }
});

// ------------------------------------------------------------ rejections

test('director: every filter draining the candidates is 429 rejected-saturated; other scheduler failures 429 without a reason', () => {
  const drained = fixture({ scheduler: { schedule: () => ({ ok: false, reason: 'filter "x" removed every candidate endpoint', filteredOut: true }) } });
  const a = send(drained, 'm').decision;
  assert.ok(!a.ok);
  assert.deepEqual([a.status, a.error.code, a.dropReason], [429, 'ALL_FILTERED', 'rejected-saturated']);
  const other = fixture({ scheduler: { schedule: () => ({ ok: false, reason: 'picker picked no endpoint' }) } });
  const b = send(other, 'm').decision;
  assert.ok(!b.ok);
  assert.deepEqual([b.status, b.error.code, b.dropReason], [429, 'SCHEDULING_FAILED', '']);
});

test('director: no endpoint matching the subset hint is 503 rejected-no-endpoints', () => {
  const f = fixture();
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  ctx.subset = ['10.9.9.9:8000'];
  f.director.handleRequestHeaders(ctx);
  const b = Buffer.from('{"model":"m","prompt":"x"}');
  const d = f.director.handleRequest(ctx, { chunks: [b], bytes: b.length });
  assert.ok(!d.ok);
  assert.deepEqual([d.status, d.dropReason], [503, 'rejected-no-endpoints']);
});

// ------------------------------------------------------------ --emit-endpoint-scores

test('director: --emit-endpoint-scores puts every scored endpoint with its weighted total in the decision', () => {
  const off = routed(send(fixture(), 'm').decision);
  assert.equal(off.endpointScores, null, 'off by default');
  const f = fixture({ emitEndpointScores: true });
  f.datastore.endpoints()[1]!.waitingQueue = 3;
  const d = routed(send(f, 'm').decision);
  const scores = d.endpointScores!;
  assert.deepEqual(Object.keys(scores).sort(), ['10.0.0.1:8000', '10.0.0.2:8000', '10.0.0.3:8000']);
  // The default profile: queue 2, kv-cache 2, prefix 3; an empty queue scores higher than a queue of 3.
  assert.ok(scores['10.0.0.1:8000']! > scores['10.0.0.2:8000']!);
  assert.equal(scores[d.destination], Math.max(...Object.values(scores)), 'the pick has the best score');
});

// ------------------------------------------------------------ metrics

test('metrics: a routed and served request writes the canonical llm_d_epp_* series and the GIE ones', async () => {
  const f = fixture({ objectives: [{ name: 'gold', priority: 10 }] });
  const { ctx, decision } = send(f, 'm', { 'x-llm-d-inference-objective': 'gold', 'x-llm-d-inference-fairness-id': 'tenant-x' });
  routed(decision);
  const canon = { model_name: 'm', target_model_name: 'm', fairness_id: 'tenant-x', priority: '10' };
  assert.equal(await value(f, 'llm_d_epp_request_total', canon), 1);
  assert.equal(await value(f, 'inference_objective_request_total', { model_name: 'm', target_model_name: 'm', priority: '10' }), 1);
  assert.equal(await value(f, 'llm_d_epp_request_running', canon), 1);
  assert.equal(await value(f, 'inference_objective_running_requests', { model_name: 'm' }), 1);
  assert.equal(await value(f, 'llm_d_epp_scheduler_attempts_total', { status: 'success', target_model_name: 'm', namespace: 'default', port: '8000' }), 1);

  f.director.handleResponseHeaders(ctx, new Map([[':status', '200'], ['content-type', 'text/event-stream']]), '');
  f.clock.advance(100);
  f.director.handleResponseBody(ctx, Buffer.from('data: {"choices":[{"text":"hi"}]}\n\n'));
  f.clock.advance(900);
  f.director.handleResponseBody(ctx, Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":11,"prompt_tokens_details":{"cached_tokens":4}}}\n\ndata: [DONE]\n\n'));
  f.director.handleResponseComplete(ctx, 'natural');

  assert.equal(await value(f, 'llm_d_epp_request_running', canon), 0);
  assert.equal(await value(f, 'inference_objective_running_requests', { model_name: 'm' }), 0);
  for (const [canonical, legacy, sum] of [
    ['llm_d_epp_request_duration_seconds', 'inference_objective_request_duration_seconds', 1],
    ['llm_d_epp_request_input_tokens', 'inference_objective_input_tokens', 12],
    ['llm_d_epp_request_output_tokens', 'inference_objective_output_tokens', 11],
    ['llm_d_epp_request_cached_tokens', 'inference_objective_prompt_cached_tokens', 4],
    ['llm_d_epp_request_ntpot_seconds', 'inference_objective_normalized_time_per_output_token_seconds', 1 / 11],
  ] as const) {
    assert.equal(await value(f, canonical, canon, '_sum'), sum, canonical);
    assert.equal(await value(f, legacy, { model_name: 'm', target_model_name: 'm' }, '_sum'), sum, legacy);
  }
  assert.equal(await value(f, 'llm_d_epp_request_ttft_seconds', { ...canon, streaming: 'true' }, '_sum'), 0.1);
  assert.ok(Math.abs((await value(f, 'llm_d_epp_request_streaming_tpot_seconds', canon, '_sum'))! - 0.9 / 10) < 1e-12);
});

test('metrics: llm_d_epp_response_processing_duration_seconds is handler time when streamed, headers to completion otherwise (upstream handlers/server.go)', async () => {
  // A ResponseReceived hook that costs 2 ms of (manual) clock: time inside the picker's response handlers.
  let clock: { advance(ms: number): void } | null = null;
  const slowHook = { type: 'slow', name: 'slow', responseReceived: () => clock!.advance(2) };
  const f = fixture({ hooks: [slowHook] });
  clock = f.clock;
  const sum = async () => (await value(f, 'llm_d_epp_response_processing_duration_seconds', {}, '_sum')) ?? 0;
  const count = async () => (await value(f, 'llm_d_epp_response_processing_duration_seconds', {}, '_count')) ?? 0;

  // Streamed: the 2 ms in the headers handler count, the 500 ms between chunks (the model server's) do not.
  const a = send(f, 'm');
  routed(a.decision);
  f.director.handleResponseHeaders(a.ctx, new Map([[':status', '200'], ['content-type', 'text/event-stream']]), '');
  f.clock.advance(500);
  f.director.handleResponseBody(a.ctx, Buffer.from('data: {"choices":[{"text":"hi"}]}\n\n'));
  f.director.handleResponseComplete(a.ctx, 'natural');
  assert.equal(await count(), 1);
  assert.ok(Math.abs((await sum()) - 0.002) < 1e-12, `streamed: ${await sum()}`);

  // Not streamed: from response headers to completion (2 ms hook + 30 ms).
  const b = send(f, 'm');
  routed(b.decision);
  f.director.handleResponseHeaders(b.ctx, new Map([[':status', '200'], ['content-type', 'application/json']]), '');
  f.clock.advance(30);
  f.director.handleResponseBody(b.ctx, Buffer.from('{"choices":[{"text":"hi"}]}'));
  f.director.handleResponseComplete(b.ctx, 'natural');
  assert.equal(await count(), 2);
  assert.ok(Math.abs((await sum()) - 0.034) < 1e-12, `non-streamed: ${await sum()}`);

  // A request that never reached the response phase records nothing.
  const c = send(f, 'm');
  routed(c.decision);
  f.director.handleResponseComplete(c.ctx, 'client-disconnect');
  assert.equal(await count(), 2);
});

test('metrics: model and fairness labels are capped at 1000 values each, overflow is "other", rewrite names never fold', async () => {
  const f = fixture();
  f.metrics.pinModels(['configured']);
  for (let i = 0; i < 1000; i++) f.metrics.forRequest(`m${i}`, `m${i}`, `t${i}`, 0);
  // model_name and target_model_name share one cap (as upstream): 1000 names are now admitted.
  routed(send(f, 'late', { 'x-llm-d-inference-fairness-id': 'late-tenant' }).decision);
  assert.equal(await value(f, 'llm_d_epp_request_total', { model_name: 'other', target_model_name: 'other', fairness_id: 'other' }), 1);
  assert.equal(await value(f, 'inference_objective_request_total', { model_name: 'other' }), 1);
  routed(send(f, 'configured', { 'x-llm-d-inference-fairness-id': 't5' }).decision);
  assert.equal(await value(f, 'llm_d_epp_request_total', { model_name: 'configured', target_model_name: 'configured', fairness_id: 't5' }), 1);
  // An admitted name keeps its own series.
  routed(send(f, 'm5').decision);
  assert.equal(await value(f, 'llm_d_epp_request_total', { model_name: 'm5', fairness_id: 'other' }), 1);
});

test('metrics: a rewrite rule decision is counted under its InferenceModelRewrite name, on both names', async () => {
  const f = fixture({ rewrites: [{ name: 'canary', rules: [{ matches: ['m'], targets: [{ modelRewrite: 'm-v2', weight: 1 }] }] }] });
  routed(send(f, 'm').decision);
  routed(send(f, 'other').decision); // no rule: no decision
  for (const n of ['llm_d_epp_model_rewrite_decisions_total', 'inference_extension_model_rewrite_decisions_total']) {
    const snap = await f.metrics.registry.getSingleMetric(n)!.get();
    assert.deepEqual(snap.values.map((v) => [v.labels, v.value]), [[{ model_rewrite_name: 'canary', model_name: 'm', target_model: 'm-v2' }, 1]], n);
  }
});

test('metrics: at most 10,000 label sets are cached; past that a series is made per request and not kept', () => {
  const f = fixture();
  for (let i = 0; i < 10_000; i++) f.metrics.forRequest('m', 'm', `t${i}`, 0);
  assert.equal(f.metrics.forRequest('m', 'm', 't5', 0), f.metrics.forRequest('m', 'm', 't5', 0), 'cached');
  assert.notEqual(f.metrics.forRequest('m', 'm', 'late', 0), f.metrics.forRequest('m', 'm', 'late', 0), 'not kept');
});

test('metrics: a name folded into "other" keeps no cache path (a flood of new names cannot grow the heap)', () => {
  const f = fixture();
  for (let i = 0; i < 1000; i++) f.metrics.forRequest(`m${i}`, `m${i}`, 't', 0);
  assert.equal(f.metrics.forRequest('m5', 'm5', 't', 0), f.metrics.forRequest('m5', 'm5', 't', 0), 'admitted: cached');
  assert.notEqual(f.metrics.forRequest('flood-1', 'flood-1', 't', 0), f.metrics.forRequest('flood-1', 'flood-1', 't', 0), 'folded: not kept');
});

test('metrics: a rejected request counts an error under upstream codes on both names', async () => {
  const f = fixture({ pods: 0 });
  send(f, 'm', { 'x-gateway-inference-fairness-id': 'tenant-z' });
  assert.equal(await value(f, 'llm_d_epp_request_error_total', { model_name: 'm', fairness_id: 'tenant-z', error_code: 'ServiceUnavailable' }), 1);
  assert.equal(await value(f, 'inference_objective_request_error_total', { model_name: 'm', error_code: 'ServiceUnavailable' }), 1);
});
