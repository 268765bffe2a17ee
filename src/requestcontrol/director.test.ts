import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { directorFixture as fixture, type DirectorFixture as Fixture, type DirectorFixtureOptions as FixtureOptions } from '../../test/support/director-fixture.ts';
import type { RequestDecision, RouteDecision } from './decision.ts';
import { RequestContext } from './request-context.ts';

function context(headers: Record<string, string> = {}): RequestContext {
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
  return ctx;
}

function body(obj: unknown): { chunks: Buffer[]; bytes: number } {
  const b = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
  return { chunks: [b], bytes: b.length };
}

/** headers -> body decision, as the stream drives it. */
function send(f: Fixture, model: string, headers: Record<string, string> = {}, extra: object = {}): { ctx: RequestContext; decision: RequestDecision } {
  const ctx = context(headers);
  f.director.handleRequestHeaders(ctx);
  const decision = f.director.handleRequest(ctx, body({ model, prompt: 'hello there', ...extra }));
  return { ctx, decision };
}

function routed(d: RequestDecision): RouteDecision {
  assert.ok(d.ok, d.ok ? '' : `${d.status} ${d.error.code}: ${d.error.message}`);
  return d;
}

function inflight(f: Fixture): number[] {
  return f.datastore.endpoints().map((e) => e.inflightRequests);
}

async function counter(f: Fixture, name: string, labels: Record<string, string>): Promise<number> {
  const m = await f.metrics.registry.getSingleMetric(name)!.get();
  const v = m.values.find((x) => Object.entries(labels).every(([k, want]) => x.labels[k] === want));
  return v?.value ?? 0;
}

// ------------------------------------------------------------ model resolution

interface ResolutionCase {
  name: string;
  fixture?: FixtureOptions;
  model: string;
  headers?: Record<string, string>;
  /** Expected target model, or the expected error status. */
  target?: string;
  status?: number;
  sheddable?: boolean;
  priority?: number;
}

const rule = (matches: string[], ...targets: [string, number][]) => ({ rules: [{ matches, targets: targets.map(([modelRewrite, weight]) => ({ modelRewrite, weight })) }] });

const resolutionCases: ResolutionCase[] = [
  { name: 'no objects: the model as sent, standard', model: 'm', target: 'm', sheddable: false, priority: 0 },
  // As llm-d Router's director: a matching InferenceModelRewrite rule replaces the header's target.
  { name: 'a rewrite rule wins over the rewrite header', fixture: { rewrites: [rule(['m'], ['from-rule', 1])] }, model: 'm', headers: { 'x-gateway-model-name-rewrite': 'from-header' }, target: 'from-rule' },
  { name: 'the rewrite header wins over InferenceModel targetModels', fixture: { models: [{ modelName: 'm', targetModels: [{ name: 'from-model', weight: 1 }] }] }, model: 'm', headers: { 'x-gateway-model-name-rewrite': 'from-header' }, target: 'from-header' },
  { name: 'exact rewrite rule', fixture: { rewrites: [rule(['m'], ['m-v2', 1])] }, model: 'm', target: 'm-v2' },
  { name: 'exact rule beats catch-all', fixture: { rewrites: [rule([], ['any', 1]), rule(['m'], ['exact', 1])] }, model: 'm', target: 'exact' },
  { name: 'catch-all rule for any model', fixture: { rewrites: [rule([], ['any', 1])] }, model: 'whatever', target: 'any' },
  { name: 'weighted rewrite targets: the draw picks', fixture: { rewrites: [rule(['m'], ['a', 1], ['b', 3])], random: 0.5 }, model: 'm', target: 'b' },
  { name: 'weighted rewrite targets: a low draw picks the first', fixture: { rewrites: [rule(['m'], ['a', 1], ['b', 3])], random: 0.1 }, model: 'm', target: 'a' },
  { name: 'rule beats InferenceModel targets', fixture: { rewrites: [rule(['m'], ['from-rule', 1])], models: [{ modelName: 'm', targetModels: [{ name: 'from-model', weight: 1 }] }] }, model: 'm', target: 'from-rule' },
  { name: 'InferenceModel targetModels', fixture: { models: [{ modelName: 'm', targetModels: [{ name: 'lora-a', weight: 1 }] }] }, model: 'm', target: 'lora-a' },
  { name: 'InferenceModel without targets keeps the name', fixture: { models: [{ modelName: 'm' }] }, model: 'm', target: 'm', sheddable: false },
  { name: 'strict: unknown model is 404', fixture: { strictModels: true }, model: 'nope', status: 404 },
  { name: 'strict: a model an InferenceModel names routes', fixture: { strictModels: true, models: [{ modelName: 'm' }] }, model: 'm', target: 'm' },
  { name: 'strict: a model a rewrite rule names routes', fixture: { strictModels: true, rewrites: [rule(['m'], ['m2', 1])] }, model: 'm', target: 'm2' },
  { name: 'strict: the rewrite header routes an unknown model', fixture: { strictModels: true }, model: 'nope', headers: { 'x-gateway-model-name-rewrite': 'real' }, target: 'real' },
  { name: 'not strict: unknown model routes as sent', model: 'nope', target: 'nope' },
  { name: 'unknown model while InferenceModels exist is sheddable', fixture: { models: [{ modelName: 'm' }] }, model: 'other', target: 'other', sheddable: true },
  { name: 'criticality Sheddable', fixture: { models: [{ modelName: 'm', criticality: 'Sheddable' }] }, model: 'm', sheddable: true },
  { name: 'criticality Critical', fixture: { models: [{ modelName: 'm', criticality: 'Critical' }] }, model: 'm', sheddable: false },
  { name: 'objective with negative priority is sheddable', fixture: { objectives: [{ name: 'batch', priority: -1 }] }, model: 'm', headers: { 'x-gateway-inference-objective': 'batch' }, sheddable: true, priority: -1 },
  { name: 'objective priority beats Sheddable criticality', fixture: { objectives: [{ name: 'gold', priority: 10 }], models: [{ modelName: 'm', criticality: 'Sheddable' }] }, model: 'm', headers: { 'x-gateway-inference-objective': 'gold' }, sheddable: false, priority: 10 },
  { name: 'objective without priority is priority 0', fixture: { objectives: [{ name: 'plain' }] }, model: 'm', headers: { 'x-gateway-inference-objective': 'plain' }, sheddable: false, priority: 0 },
  { name: 'an unknown objective falls back to criticality', fixture: { models: [{ modelName: 'm', criticality: 'Sheddable' }] }, model: 'm', headers: { 'x-gateway-inference-objective': 'missing' }, sheddable: true, priority: 0 },
];

describe('director: model resolution', () => {
  for (const c of resolutionCases) {
    test(c.name, () => {
      const f = fixture(c.fixture);
      const { ctx, decision } = send(f, c.model, c.headers);
      if (c.status !== undefined) {
        assert.equal(decision.ok, false);
        assert.equal(decision.ok ? 0 : decision.status, c.status);
        assert.deepEqual(inflight(f), [0, 0, 0], 'a rejected request holds nothing');
        return;
      }
      routed(decision);
      if (c.target !== undefined) assert.equal(ctx.request.targetModel, c.target);
      if (c.sheddable !== undefined) assert.equal(ctx.request.sheddable, c.sheddable);
      if (c.priority !== undefined) assert.equal(ctx.request.priority, c.priority);
    });
  }
});

test('director: strict 404 names the model and counts the error', async () => {
  const f = fixture({ strictModels: true });
  const { decision } = send(f, 'ghost');
  assert.equal(decision.ok, false);
  if (decision.ok) return;
  assert.equal(decision.error.code, 'MODEL_NOT_FOUND');
  assert.match(decision.error.message, /`ghost` does not exist/);
  // error_code is upstream's errcommon code, on the GIE name and the llm_d_epp_ one.
  assert.equal(await counter(f, 'inference_objective_request_error_total', { model_name: 'ghost', error_code: 'NotFound' }), 1);
  assert.equal(await counter(f, 'llm_d_epp_request_error_total', { model_name: 'ghost', error_code: 'NotFound', fairness_id: 'default-flow', priority: '0' }), 1);
});

test('director: a rewritten model sends a new body with its length, and the response gets the client\'s name back', () => {
  const f = fixture({ rewrites: [rule(['m'], ['m-lora', 1])] });
  const { ctx, decision } = send(f, 'm');
  const d = routed(decision);
  assert.ok(d.body);
  assert.equal(JSON.parse(d.body.toString()).model, 'm-lora');
  assert.deepEqual(d.headers.find((h) => h.name === 'content-length'), { name: 'content-length', value: String(d.body.length) });
  const out = f.director.handleResponseBody(ctx, Buffer.from('{"id":"x","model":"m-lora","choices":[]}'));
  assert.equal(out.toString(), '{"id":"x","model":"m","choices":[]}');
});

test('director: an unchanged model sends no body, and response chunks pass as they are', () => {
  const f = fixture();
  const { ctx, decision } = send(f, 'm');
  const d = routed(decision);
  assert.equal(d.body, null);
  assert.equal(d.headers.some((h) => h.name === 'content-length'), false);
  const chunk = Buffer.from('{"model":"m"}');
  assert.equal(f.director.handleResponseBody(ctx, chunk), chunk);
});

test('director: destination header first; x-request-id only when the picker made one', () => {
  const f = fixture();
  const withId = routed(send(f, 'm', { 'x-request-id': 'abc' }).decision);
  assert.deepEqual(withId.headers.map((h) => h.name), ['x-gateway-destination-endpoint']);
  assert.equal(withId.headers[0]!.value, withId.destination);
  const { ctx, decision } = send(f, 'm');
  const made = routed(decision);
  assert.deepEqual(made.headers.map((h) => h.name), ['x-gateway-destination-endpoint', 'x-request-id']);
  assert.equal(made.headers[1]!.value, ctx.request.requestId);
  assert.match(ctx.request.requestId, /^[0-9a-f-]{36}$/);
});

// ------------------------------------------------------------ admission and errors

const errorCases: { name: string; fixture?: FixtureOptions; body: unknown; headers?: Record<string, string>; status: number; code: string; dropReason: string }[] = [
  { name: 'malformed JSON', body: '{"model":', status: 400, code: 'BAD_REQUEST', dropReason: '' },
  { name: 'no model', body: { prompt: 'x' }, status: 400, code: 'BAD_REQUEST', dropReason: '' },
  { name: 'empty pool', fixture: { pods: 0 }, body: { model: 'm', prompt: 'x' }, status: 503, code: 'NO_ENDPOINT', dropReason: 'rejected-no-endpoints' },
  { name: 'sheddable while saturated', fixture: { queue: 50, objectives: [{ name: 'batch', priority: -1 }] }, body: { model: 'm', prompt: 'x' }, headers: { 'x-gateway-inference-objective': 'batch' }, status: 429, code: 'SHED', dropReason: '' },
  { name: 'unknown model (InferenceModels in use) while saturated', fixture: { queue: 50, models: [{ modelName: 'm' }] }, body: { model: 'other', prompt: 'x' }, status: 429, code: 'SHED', dropReason: '' },
];

describe('director: errors', () => {
  for (const c of errorCases) {
    test(c.name, () => {
      const f = fixture(c.fixture);
      const ctx = context(c.headers);
      f.director.handleRequestHeaders(ctx);
      const d = f.director.handleRequest(ctx, body(c.body));
      assert.equal(d.ok, false);
      if (d.ok) return;
      assert.deepEqual([d.status, d.error.code, d.dropReason], [c.status, c.code, c.dropReason]);
      assert.ok(inflight(f).every((n) => n === 0));
      f.director.handleResponseComplete(ctx, 'error');
      assert.equal(f.completed.length, 0, 'ResponseComplete runs only for routed requests');
    });
  }
});

test('director: saturation sheds only sheddable requests', () => {
  const f = fixture({ queue: 50, models: [{ modelName: 'm', criticality: 'Standard' }] });
  assert.ok(send(f, 'm').decision.ok, 'a standard request routes even when saturated');
});

// ------------------------------------------------------------ in-flight accounting and the way back

test('director: in-flight is counted on the pick and released exactly once', () => {
  const f = fixture();
  const { ctx, decision } = send(f, 'm');
  const d = routed(decision);
  const ep = d.endpoints[0]!;
  assert.equal(ep.inflightRequests, 1);
  assert.equal(inflight(f).reduce((a, b) => a + b), 1);
  f.director.handleResponseComplete(ctx, 'natural');
  f.director.handleResponseComplete(ctx, 'client-disconnect');
  assert.deepEqual(inflight(f), [0, 0, 0]);
  assert.equal(f.completed.length, 1);
  assert.equal(f.completed[0]!.res.cause, 'natural');
});

test('director: the gateway serving from another endpoint moves the in-flight count there', () => {
  const f = fixture();
  const { ctx, decision } = send(f, 'm');
  const first = routed(decision).endpoints[0]!;
  const other = f.datastore.endpoints().find((e) => e !== first)!;
  f.director.handleResponseHeaders(ctx, new Map([[':status', '200']]), other.key);
  assert.equal(first.inflightRequests, 0);
  assert.equal(other.inflightRequests, 1);
  assert.deepEqual(f.received, [`200@${other.key}`]);
  f.director.handleResponseComplete(ctx, 'natural');
  assert.deepEqual(inflight(f), [0, 0, 0]);
  assert.equal(f.completed[0]!.endpoint, other, 'ResponseComplete sees the endpoint that served');
});

test('director: a served endpoint that is unknown or the same one moves nothing', () => {
  for (const served of ['10.9.9.9:8000', '']) {
    const f = fixture();
    const { ctx, decision } = send(f, 'm');
    const first = routed(decision).endpoints[0]!;
    f.director.handleResponseHeaders(ctx, new Map([[':status', '200']]), served);
    assert.equal(first.inflightRequests, 1, `served "${served}"`);
  }
});

test('director: ResponseComplete learns status, TTFT, duration, bytes and usage', () => {
  const f = fixture();
  const { ctx, decision } = send(f, 'm');
  routed(decision);
  f.clock.advance(10);
  f.director.handleResponseHeaders(ctx, new Map([[':status', '200'], ['content-type', 'text/event-stream']]), '');
  f.director.handleResponseBody(ctx, Buffer.from('data: {"choices":[]}\n\n'));
  f.clock.advance(40);
  f.director.handleResponseBody(ctx, Buffer.from('data: {"usage":{"prompt_tokens":12,"completion_tokens":34,"prompt_tokens_details":{"cached_tokens":5}}}\n\n'));
  f.director.handleResponseComplete(ctx, 'natural');
  const { res } = f.completed[0]!;
  assert.equal(res.status, 200);
  assert.equal(res.streaming, true);
  assert.deepEqual([res.ttftMs, res.durationMs], [10, 50]);
  assert.equal(res.bytes, 22 + 105);
  assert.deepEqual([res.promptTokens, res.completionTokens, res.cachedTokens], [12, 34, 5]);
});

test('director: a model-server error status is counted for the request\'s model', async () => {
  const f = fixture();
  const { ctx } = send(f, 'm');
  f.director.handleResponseHeaders(ctx, new Map([[':status', '500']]), '');
  assert.equal(ctx.response.status, 500);
  assert.equal(await counter(f, 'inference_objective_request_error_total', { model_name: 'm', error_code: 'ModelServerError' }), 1);
  assert.equal(await counter(f, 'llm_d_epp_request_error_total', { model_name: 'm', error_code: 'ModelServerError' }), 1);
});

test('director: a headers-only request routes without a body and without model resolution', () => {
  const f = fixture({ strictModels: true });
  const ctx = context({ ':path': '/v1/models' });
  f.director.handleRequestHeaders(ctx);
  const d = routed(f.director.handleRequest(ctx, null));
  assert.equal(d.body, null);
  assert.equal(ctx.request.model, '');
  assert.equal(d.endpoints[0]!.inflightRequests, 1);
});

test('director: the prompt is let go once scheduled, and prefix affinity still learns from it', () => {
  const f = fixture();
  const prompt = 'a long shared system prompt, '.repeat(40);
  const route = () => {
    const { ctx, decision } = send(f, 'm', {}, { prompt });
    assert.equal(ctx.request.promptText, '', 'the request no longer holds the prompt');
    return routed(decision).endpoints[0]!.key;
  };
  const first = route();
  // Same prompt, same endpoint: the index learned the blocks before the prompt was dropped. The first pick
  // carries one in-flight request more, which the prefix score (weight 3) outweighs.
  assert.equal(route(), first);
});

test('director: the subset hint narrows candidates by IP, and an empty match is 503', () => {
  const f = fixture();
  const ctx = context();
  ctx.subset = ['10.0.0.2:9999'];
  f.director.handleRequestHeaders(ctx);
  assert.equal(routed(f.director.handleRequest(ctx, body({ model: 'm', prompt: 'x' }))).endpoints[0]!.address, '10.0.0.2');
  const miss = context();
  miss.subset = ['10.1.1.1:8000'];
  f.director.handleRequestHeaders(miss);
  const d = f.director.handleRequest(miss, body({ model: 'm', prompt: 'x' }));
  assert.equal(d.ok ? 0 : d.status, 503);
});
