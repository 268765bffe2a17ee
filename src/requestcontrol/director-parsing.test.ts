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
