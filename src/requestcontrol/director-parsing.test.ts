/** The director's parse step: the parser chosen by path, 400s, and the model rule of upstream's director. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directorFixture } from '../../test/support/director-fixture.ts';
import { RequestContext } from './request-context.ts';
import type { RequestDecision } from './decision.ts';

function send(f: ReturnType<typeof directorFixture>, path: string, body: string, headers: Record<string, string> = {}): { ctx: RequestContext; d: RequestDecision } {
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', path);
  for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
  f.director.handleRequestHeaders(ctx);
  const b = Buffer.from(body);
  return { ctx, d: f.director.handleRequest(ctx, { chunks: [b], bytes: b.length }) };
}

test('default parsers: an unclaimed path is passed through and routed without a model', () => {
  const f = directorFixture();
  const { ctx, d } = send(f, '/v1/models/whatever', 'not json');
  assert.ok(d.ok);
  assert.equal(ctx.request.model, '');
  assert.equal(d.body, null, 'the body goes on unchanged');
  const msg = send(f, '/v1/messages', JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(msg.d.ok);
  assert.equal(msg.ctx.request.model, 'claude');
});

test('a rewritable body needs a model, unless the rewrite header names one', () => {
  const f = directorFixture();
  const none = send(f, '/v1/completions', JSON.stringify({ prompt: 'p' })).d;
  assert.ok(!none.ok && none.status === 400 && /model not found in request body/.test(none.error.message));
  const viaHeader = send(f, '/v1/completions', JSON.stringify({ prompt: 'p' }), { 'x-gateway-model-name-rewrite': 'target' });
  assert.ok(viaHeader.d.ok);
  assert.equal(viaHeader.ctx.request.targetModel, 'target');
  assert.deepEqual(JSON.parse(viaHeader.d.body!.toString()), { prompt: 'p', model: 'target' });
});

test('configured parsers only: an unclaimed path is 400; sglang bodies route without a model, strict models or not', () => {
  const f = directorFixture({
    strictModels: true,
    configText: `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: sglanghttp-parser
- type: openai-parser
requestHandler:
  parsers: [{ pluginRef: sglanghttp-parser }, { pluginRef: openai-parser }]
`,
  });
  const gen = send(f, '/generate', JSON.stringify({ input_ids: [1, 2, 3], extra_key: 'salt' }));
  assert.ok(gen.d.ok, gen.d.ok ? '' : gen.d.error.message);
  assert.equal(gen.ctx.request.cacheSalt, 'salt');
  const other = send(f, '/v1/messages', '{}').d;
  assert.ok(!other.ok && other.status === 400 && /no parser registered matching path suffix for: \/v1\/messages/.test(other.error.message));
  const badGen = send(f, '/generate', JSON.stringify({ input_ids: [] })).d;
  assert.ok(!badGen.ok && badGen.status === 400 && badGen.error.param === 'input_ids');
});

// Deeply nested JSON (issue 14, finding 4): JSON.parse copes with 100,000 levels (at a cost that grows with the
// depth: 45 ms there, 1.4 s at 1,000,000), but the rewrite path's JSON.stringify and the responses API's prompt
// overflowed the stack past about 4,400 levels: a 500 with a stack logged at error level.
const nest = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
const DEPTH_400 = /request body is nested deeper than 1000 levels/;

test('deeply nested JSON is a 400 naming the depth limit, on every path that walks the body', () => {
  const f = directorFixture();
  const rewrite = { 'x-gateway-model-name-rewrite': 'target' };
  const cases: [string, string, Record<string, string>][] = [
    ['/v1/completions', `{"model":"m","prompt":${nest(100_000)}}`, {}],
    ['/v1/completions', `{"model":"m","prompt":"p","extra":${nest(10_000)}}`, rewrite],
    ['/v1/chat/completions', `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[${nest(20_000, '{}')}]}`, rewrite],
    ['/v1/chat/completions', `{"model":"m","messages":[{"role":"user","content":[${nest(5_000)}]}]}`, {}],
    ['/v1/responses', `{"model":"m","input":${nest(10_000)}}`, {}],
    ['/v1/messages', `{"model":"m","messages":[{"role":"user","content":"hi"}],"metadata":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`, rewrite],
    ['/inference/v1/generate', `{"model":"m","token_ids":[1],"x":${nest(2_000)}}`, rewrite],
  ];
  for (const [path, body, headers] of cases) {
    const { d } = send(f, path, body, headers);
    assert.ok(!d.ok, `${path}: rejected`);
    assert.equal(d.status, 400, `${path}: ${d.error.message}`);
    assert.match(d.error.message, DEPTH_400, path);
  }
  assert.equal(f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0), 0, 'nothing held');
});

test('JSON nested to the limit routes and is rewritten; brackets inside strings do not count', () => {
  const f = directorFixture();
  // The top-level object is level 1, as in Go's scanner.
  const atLimit = `{"model":"m","prompt":"p","extra":${nest(999)}}`;
  const { d } = send(f, '/v1/completions', atLimit, { 'x-gateway-model-name-rewrite': 'target' });
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  assert.equal(JSON.parse(d.body!.toString()).model, 'target');
  const over = send(f, '/v1/completions', `{"model":"m","prompt":"p","extra":${nest(1000)}}`).d;
  assert.ok(!over.ok && over.status === 400 && DEPTH_400.test(over.error.message));
  const inString = send(f, '/v1/completions', JSON.stringify({ model: 'm', prompt: '['.repeat(100_000) + '{\\"'.repeat(1000) }));
  assert.ok(inString.d.ok, inString.d.ok ? '' : inString.d.error.message);
});
