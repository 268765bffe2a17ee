/**
 * Body fuzzer (issue 14) for the request parsers: every API shape each parser claims, with random values in
 * its fields, damaged JSON, JSON edge cases (not objects, duplicate keys, lone surrogates, __proto__, BOM,
 * UTF-16), huge values and deep nesting, and random bytes.
 *
 * Each parser alone: returns or throws RequestParseError (a 400), nothing else; the prompt text is a string.
 * Through a director with every parser (in several chunks, with and without a model rewrite): a routing
 * decision or a 4xx/503, never a throw or a 500; a rewritten body is JSON with the new model; nothing is
 * left in flight. EPP_FUZZ_SEED reproduces a run; EPP_FUZZ_BODIES sets how many bodies (default 5,000).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestParseError, type Parser } from '../src/framework/parser.ts';
import { LLMRequest } from '../src/framework/request.ts';
import { AnthropicParser } from '../src/plugins/requesthandling/parsers/anthropic/anthropic.ts';
import { OpenAIParser } from '../src/plugins/requesthandling/parsers/openai/openai.ts';
import { PassthroughParser } from '../src/plugins/requesthandling/parsers/passthrough/passthrough.ts';
import { SglangHttpParser } from '../src/plugins/requesthandling/parsers/sglanghttp/sglanghttp.ts';
import { VllmHttpParser } from '../src/plugins/requesthandling/parsers/vllmhttp/vllmhttp.ts';
import { RequestContext } from '../src/requestcontrol/request-context.ts';
import { directorFixture } from './support/director-fixture.ts';
import { edgeCases, FUZZ_SEED, mutateText, pick, randomBytes, randomValue, shapedBody } from './support/fuzz.ts';
import { testRandom } from './support/scheduling/testing.ts';

const BODIES = Number(process.env.EPP_FUZZ_BODIES ?? 5000);
const MAX_EDGE_BYTES = 256 * 1024;

const PARSERS: [Parser, string[]][] = [
  [new OpenAIParser('openai'), ['/v1/completions', '/v1/chat/completions', '/v1/responses', '/v1/conversations', '/v1/embeddings', '/v1/images/generations', '/v1/chat/completions/render', '/v1/other']],
  [new AnthropicParser('anthropic'), ['/v1/messages', '/v1/messages/count_tokens', '/v1/other']],
  [new VllmHttpParser('vllm'), ['/inference/v1/generate']],
  [new SglangHttpParser('sglang'), ['/generate']],
  [new PassthroughParser('passthrough'), ['/anything']],
];
const ALL_PATHS = PARSERS.flatMap(([, paths]) => paths);

function body(rnd: () => number, edges: Buffer[]): Buffer {
  const r = rnd();
  if (r < 0.5) return Buffer.from(JSON.stringify(shapedBody(rnd)));
  if (r < 0.75) return Buffer.from(mutateText(rnd, JSON.stringify(shapedBody(rnd))));
  if (r < 0.85) return Buffer.from(JSON.stringify(randomValue(rnd, 6)));
  if (r < 0.95) return pick(rnd, edges);
  return randomBytes(rnd, Math.floor(rnd() * 1024));
}

test(`body fuzz: ${BODIES} bodies through every parser and a director with all of them (seed ${FUZZ_SEED})`, (t) => {
  t.diagnostic(`EPP_FUZZ_SEED=${FUZZ_SEED}`);
  const rnd = testRandom(FUZZ_SEED);
  const edges = edgeCases(MAX_EDGE_BYTES);
  const f = directorFixture({
    configText: `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: openai-parser
- type: anthropic-parser
- type: vllmhttp-parser
- type: sglanghttp-parser
- type: passthrough-parser
requestHandler:
  parsers: [{ pluginRef: openai-parser }, { pluginRef: anthropic-parser }, { pluginRef: vllmhttp-parser }, { pluginRef: sglanghttp-parser }, { pluginRef: passthrough-parser }]
`,
  });
  const inflight = () => f.datastore.endpoints().reduce((s, e) => s + e.inflightRequests, 0);
  const outcomes: Record<string, number> = {};
  const tally = (k: string) => (outcomes[k] = (outcomes[k] ?? 0) + 1);

  for (let n = 0; n < BODIES; n++) {
    const b = body(rnd, edges);
    const where = `seed ${FUZZ_SEED}, body ${n}: ${JSON.stringify(b.subarray(0, 120).toString())}${b.length > 120 ? `... (${b.length} bytes)` : ''}`;
    const text = b.toString('utf8');
    for (const [parser, paths] of PARSERS) {
      const path = pick(rnd, paths);
      const req = new LLMRequest();
      try {
        parser.parseRequest(parser.readsBody === false ? '' : text, path, req);
      } catch (e) {
        assert.ok(e instanceof RequestParseError, `${where}: ${parser.type} on ${path} threw ${(e as Error).stack}`);
      }
      assert.equal(typeof req.promptText, 'string', where);
      assert.equal(typeof req.model, 'string', where);
    }

    const ctx = new RequestContext();
    const path = pick(rnd, ALL_PATHS);
    ctx.request.headers.set(':path', path);
    const rewrite = rnd() < 0.3;
    if (rewrite) ctx.request.headers.set('x-gateway-model-name-rewrite', 'target');
    f.director.handleRequestHeaders(ctx);
    const cut = Math.floor(rnd() * (b.length + 1));
    const chunks = rnd() < 0.5 ? [b] : [b.subarray(0, cut), b.subarray(cut)];
    let d;
    try {
      d = f.director.handleRequest(ctx, { chunks, bytes: b.length });
    } catch (e) {
      assert.fail(`${where}: director on ${path} threw ${(e as Error).stack}`);
    }
    if (d.ok) {
      if (d.body !== null) {
        const out = JSON.parse(d.body.toString()) as Record<string, unknown>;
        assert.equal(out.model, ctx.request.targetModel, `${where}: rewritten body carries the target model`);
      }
      f.director.handleResponseComplete(ctx, 'natural');
      tally(d.body ? 'routed, body rewritten' : 'routed');
    } else {
      assert.ok(d.status >= 400 && d.status < 500 || d.status === 503, `${where}: ${d.status} ${d.error.message}`);
      tally(String(d.status));
    }
    assert.equal(inflight(), 0, `${where}: in-flight released`);
  }
  t.diagnostic(`director outcomes: ${JSON.stringify(outcomes)}`);
});
