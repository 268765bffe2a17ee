/**
 * vllmgrpc-parser. Cases from upstream llm-d-router `pkg/epp/framework/plugins/requesthandling/parsers/vllmgrpc/
 * vllmgrpc_test.go` and `parsers/util/grpc_test.go` (mirror commit ebab68792). Requests are encoded with
 * proto-loader from the same upstream proto; one frame is written out byte by byte to pin the field numbers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR } from '../../../../extproc/codec/proto.ts';
import { RequestParseError } from '../../../../framework/parser.ts';
import { makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { directorFixture } from '../../../../../test/support/director-fixture.ts';
import { RequestContext } from '../../../../requestcontrol/request-context.ts';
import { createVllmGrpcParser, VLLM_ENGINE_PROTO } from './vllmgrpc.ts';

const GENERATE = '/vllm.grpc.engine.VllmEngine/Generate';
const EMBED = '/vllm.grpc.engine.VllmEngine/Embed';
const svc = protoLoader.loadSync(VLLM_ENGINE_PROTO, { keepCase: true, oneofs: true, includeDirs: [PROTO_DIR] })['vllm.grpc.engine.VllmEngine'] as protoLoader.ServiceDefinition;

/** A gRPC frame: flag 0, big-endian length, message. */
const frame = (msg: Buffer, compressed = false): Buffer => {
  const h = Buffer.alloc(5);
  h[0] = compressed ? 1 : 0;
  h.writeUInt32BE(msg.length, 1);
  return Buffer.concat([h, msg]);
};
const generate = (m: object) => frame(svc['Generate']!.requestSerialize(m));
const embed = (m: object) => frame(svc['Embed']!.requestSerialize(m));

const parse = (body: Buffer, path = GENERATE) => {
  const req = makeRequest({ model: '' });
  createVllmGrpcParser('vllmgrpc-parser', undefined, testHandle()).parseRequestBytes(body, path, req);
  return req;
};

test('vllmgrpc-parser: Generate with text: the prompt and stream', () => {
  // GenerateRequest{request_id: "r", text: "hi", stream: true} by hand: fields 1, 3 (strings), 5 (bool).
  const byHand = frame(Buffer.from([0x0a, 0x01, 0x72, 0x1a, 0x02, 0x68, 0x69, 0x28, 0x01]));
  assert.deepEqual(byHand, generate({ request_id: 'r', text: 'hi', stream: true }));
  const req = parse(byHand);
  assert.equal(req.promptText, 'hi');
  assert.equal(req.stream, true);
});

test('vllmgrpc-parser: Generate with tokenized input: the token ids are the prompt', () => {
  const req = parse(generate({ request_id: 'r', tokenized: { original_text: 'x', input_ids: [1, 300, 70000] }, sampling_params: { max_tokens: 16 } }));
  assert.equal(req.promptText, '[1,300,70000]');
  assert.equal(req.stream, false);
});

test('vllmgrpc-parser: Embed needs tokenized input', () => {
  assert.equal(parse(embed({ request_id: 'e', tokenized: { input_ids: [5, 6] } }), EMBED).promptText, '[5,6]');
  assert.throws(() => parse(embed({ request_id: 'e' }), EMBED), /missing tokenized input in EmbedRequest/);
});

test('vllmgrpc-parser: refused bodies (400) and passed-through paths', () => {
  const bad: [Buffer, RegExp][] = [
    [Buffer.from([0, 0, 0]), /invalid or unsupported gRPC payload/], // shorter than the header
    [frame(Buffer.from([0x1a, 0x02, 0x68, 0x69]), true), /invalid or unsupported gRPC payload/], // compressed
    [Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), Buffer.from([0x1a])]), /invalid or unsupported gRPC payload/], // truncated
    [frame(Buffer.from([0x7f, 0x01])), /unmarshaling GenerateRequest: invalid wire type 7/], // unknown field 15 with wire type 7, which does not exist
    [generate({ request_id: 'no input' }), /not supported request inputType/],
  ];
  for (const [body, re] of bad) assert.throws(() => parse(body), (e: unknown) => e instanceof RequestParseError && re.test(e.message));
  assert.equal(parse(Buffer.from('anything'), '/vllm.grpc.engine.VllmEngine/HealthCheck').promptText, '', 'other methods pass through');
});

test('vllmgrpc-parser through the director: the raw bytes reach it (no UTF-8 decoding), the body is forwarded as is', () => {
  let seen = '';
  const f = directorFixture({
    // Records the prompt the scheduling cycle sees (the director clears it afterwards).
    scheduler: {
      schedule: (req, candidates) => {
        seen = req.promptText;
        return scheduledOn(candidates[0]!);
      },
    },
    configText: `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: vllmgrpc-parser
requestHandler:
  parsers: [{ pluginRef: vllmgrpc-parser }]
`,
  });
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', GENERATE);
  ctx.request.headers.set('content-type', 'application/grpc');
  f.director.handleRequestHeaders(ctx);
  // Varints of 300 and 70000 hold bytes >= 0x80: a UTF-8 decode would turn them into U+FFFD and break the message.
  const body = generate({ request_id: 'r', tokenized: { input_ids: [300, 70000] } });
  const d = f.director.handleRequest(ctx, { chunks: [body.subarray(0, 7), body.subarray(7)], bytes: body.length });
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  assert.equal(seen, '[300,70000]');
  assert.equal(d.body, null);
  const bad = new RequestContext();
  bad.request.headers.set(':path', GENERATE);
  f.director.handleRequestHeaders(bad);
  const b = Buffer.from([0, 0, 0]);
  const refused = f.director.handleRequest(bad, { chunks: [b], bytes: 3 });
  assert.ok(!refused.ok && refused.status === 400 && /invalid or unsupported gRPC payload/.test(refused.error.message));
});

// Response usage: cases of upstream TestVllmGRPCParser_ParseResponse (responses encoded from the same proto).
const generateResponse = (m: object) => frame(svc['Generate']!.responseSerialize(m));
const embedResponse = (m: object) => frame(svc['Embed']!.responseSerialize(m));
const usageOf = (path: string, ...chunks: Buffer[]) => {
  const reader = createVllmGrpcParser('vllmgrpc-parser', undefined, testHandle()).responseUsageReader(path)!;
  for (const c of chunks) reader.push(c);
  return reader.usage();
};
const responseCases: { name: string; path: string; body: Buffer; want: { promptTokens: number; completionTokens: number; cachedTokens: number } | null }[] = [
  {
    name: 'stream chunk with counts',
    path: GENERATE,
    body: generateResponse({ chunk: { token_ids: [1, 2, 3], prompt_tokens: 10, completion_tokens: 5, cached_tokens: 2 } }),
    want: { promptTokens: 10, completionTokens: 5, cachedTokens: 2 },
  },
  {
    name: 'complete response',
    path: GENERATE,
    body: generateResponse({ complete: { finish_reason: 'stop', prompt_tokens: 20, completion_tokens: 15, cached_tokens: 5 } }),
    want: { promptTokens: 20, completionTokens: 15, cachedTokens: 5 },
  },
  { name: 'complete without cached tokens', path: GENERATE, body: generateResponse({ complete: { prompt_tokens: 20, completion_tokens: 15 } }), want: { promptTokens: 20, completionTokens: 15, cachedTokens: 0 } },
  { name: 'intermediate chunk without counts: no usage', path: GENERATE, body: generateResponse({ chunk: { token_ids: [4] } }), want: null },
  { name: 'empty GenerateResponse: no usage', path: GENERATE, body: generateResponse({}), want: null },
  { name: 'embed response', path: EMBED, body: embedResponse({ prompt_tokens: 10, embedding: [1, 2], embedding_dim: 2 }), want: { promptTokens: 10, completionTokens: 0, cachedTokens: 0 } },
  { name: 'compressed frame: skipped', path: GENERATE, body: frame(svc['Generate']!.responseSerialize({ complete: { prompt_tokens: 1 } }), true), want: null },
];
for (const c of responseCases) {
  test(`vllmgrpc-parser response usage: ${c.name}`, () => {
    assert.deepEqual(usageOf(c.path, c.body), c.want);
  });
}

test('vllmgrpc-parser response usage: a stream split anywhere across chunks; the last message with counts wins', () => {
  const stream = Buffer.concat([
    generateResponse({ chunk: { token_ids: [7], prompt_tokens: 12, completion_tokens: 1 } }),
    generateResponse({ chunk: { token_ids: [8] } }),
    generateResponse({ chunk: { token_ids: [9, 10], prompt_tokens: 12, completion_tokens: 3, cached_tokens: 4 } }),
  ]);
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(usageOf(GENERATE, stream.subarray(0, cut), stream.subarray(cut)), { promptTokens: 12, completionTokens: 3, cachedTokens: 4 }, `cut at ${cut}`);
  }
  const byteByByte = [...stream].map((b) => Buffer.from([b]));
  assert.deepEqual(usageOf(GENERATE, ...byteByByte), { promptTokens: 12, completionTokens: 3, cachedTokens: 4 });
  assert.equal(createVllmGrpcParser('p', undefined, testHandle()).responseUsageReader('/vllm.grpc.engine.VllmEngine/Health'), null);
});

test('vllmgrpc-parser through the director: gRPC response usage reaches ResponseComplete as JSON usage does', () => {
  const f = directorFixture({
    configText: `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: vllmgrpc-parser
requestHandler:
  parsers: [{ pluginRef: vllmgrpc-parser }]
`,
  });
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', GENERATE);
  f.director.handleRequestHeaders(ctx);
  const body = generate({ request_id: 'r', text: 'hello', stream: true });
  const d = f.director.handleRequest(ctx, { chunks: [body], bytes: body.length });
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  f.director.handleResponseHeaders(ctx, new Map([[':status', '200'], ['content-type', 'application/grpc']]), '');
  const response = Buffer.concat([
    generateResponse({ chunk: { token_ids: [1], prompt_tokens: 9, completion_tokens: 1 } }),
    generateResponse({ chunk: { token_ids: [2], prompt_tokens: 9, completion_tokens: 2, cached_tokens: 3 } }),
  ]);
  f.director.handleResponseBody(ctx, response.subarray(0, 9));
  f.director.handleResponseBody(ctx, response.subarray(9));
  f.director.handleResponseComplete(ctx, 'natural');
  const res = f.completed.at(-1)!.res;
  assert.deepEqual([res.promptTokens, res.completionTokens, res.cachedTokens], [9, 2, 3]);
});

test('vllmgrpc-parser: tokenized Generate with mm_inputs publishes one image per placeholder (upstream convertMultiModalFeatures)', () => {
  const req = parse(generate({
    request_id: 'r',
    tokenized: { input_ids: [1, 2, 3, 4] },
    mm_inputs: { mm_placeholders: [{ offset: 0, length: 2 }, { offset: 2, length: 2 }], mm_hashes: ['h-a'] },
  }));
  const f = req.data.get('multimodal-features') as { items: { modality: string; hash: string }[] };
  assert.deepEqual(f.items, [{ modality: 'image', hash: 'h-a' }, { modality: 'image', hash: '' }]);
  assert.equal(parse(generate({ request_id: 'r', tokenized: { input_ids: [1] } })).data.size, 0);
});
