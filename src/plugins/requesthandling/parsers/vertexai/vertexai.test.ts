/**
 * vertexai-parser. Cases from upstream llm-d-router `pkg/epp/framework/plugins/requesthandling/parsers/vertexai/
 * vertexai_test.go` and its README (mirror commit ebab68792). Requests are encoded with proto-loader; one frame is
 * written out byte by byte to pin the field numbers (endpoint 1, http_body 2; HttpBody content_type 1, data 2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR } from '../../../../extproc/codec/proto.ts';
import { RequestParseError } from '../../../../framework/parser.ts';
import { directorFixture } from '../../../../../test/support/director-fixture.ts';
import { makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { RequestContext } from '../../../../requestcontrol/request-context.ts';
import { createVertexAIParser, VERTEX_AI_PROTO } from './vertexai.ts';

const CHAT = '/google.cloud.aiplatform.v1beta1.PredictionService/ChatCompletions';
const RAW = '/google.cloud.aiplatform.v1beta1.PredictionService/RawPredict';
const STREAM_RAW = '/google.cloud.aiplatform.v1beta1.PredictionService/StreamRawPredict';
const svc = protoLoader.loadSync(VERTEX_AI_PROTO, { keepCase: true, includeDirs: [PROTO_DIR] })['google.cloud.aiplatform.v1beta1.PredictionService'] as protoLoader.ServiceDefinition;

const frame = (msg: Buffer, compressed = false): Buffer => {
  const h = Buffer.alloc(5);
  h[0] = compressed ? 1 : 0;
  h.writeUInt32BE(msg.length, 1);
  return Buffer.concat([h, msg]);
};
const request = (method: string, json: unknown) => frame(svc[method]!.requestSerialize({ endpoint: 'projects/p/locations/l/endpoints/e', http_body: { content_type: 'application/json', data: Buffer.from(JSON.stringify(json)) } }));
const parse = (body: Buffer, path: string) => {
  const req = makeRequest({ model: '' });
  createVertexAIParser('vertexai-parser', undefined, testHandle()).parseRequestBytes(body, path, req);
  return req;
};
const CHAT_BODY = { model: 'google/gemma-3-27b-it', stream: true, messages: [{ role: 'user', content: 'Hello from Vertex' }] };

test('vertexai-parser: ChatCompletions: the wrapped OpenAI chat body gives model, prompt and stream', () => {
  // By hand: ChatCompletionsRequest{endpoint: "e", http_body: {data: '{"model":"m","messages":[...]}'}}.
  const json = Buffer.from('{"model":"m","messages":[{"role":"user","content":"hi"}]}');
  const httpBody = Buffer.concat([Buffer.from([0x12, json.length]), json]); // HttpBody.data = field 2, bytes
  const byHand = frame(Buffer.concat([Buffer.from([0x0a, 0x01, 0x65, 0x12, httpBody.length]), httpBody]));
  const r1 = parse(byHand, CHAT);
  assert.equal(r1.model, 'm');
  const req = parse(request('ChatCompletions', CHAT_BODY), CHAT);
  assert.equal(req.model, 'google/gemma-3-27b-it');
  assert.equal(req.stream, true);
  assert.match(req.promptText, /Hello from Vertex/);
});

test('vertexai-parser: RawPredict and StreamRawPredict are parsed as the responses API', () => {
  for (const [method, path] of [['RawPredict', RAW], ['StreamRawPredict', STREAM_RAW]] as const) {
    const req = parse(request(method, { model: 'gpt-oss', input: 'Tell me a story' }), path);
    assert.equal(req.model, 'gpt-oss', method);
    assert.match(req.promptText, /Tell me a story/, method);
  }
});

test('vertexai-parser: refused bodies (400) name the message; other methods pass through', () => {
  const noBody = frame(svc['ChatCompletions']!.requestSerialize({ endpoint: 'e' }));
  const bad: [Buffer, string, RegExp][] = [
    [Buffer.from([0, 0]), CHAT, /^invalid or unsupported gRPC payload: invalid gRPC frame/],
    [frame(Buffer.from([0x0a]), true), CHAT, /^invalid or unsupported gRPC payload: compressed gRPC payload is not supported/],
    [noBody, CHAT, /^ChatCompletionsRequest has no HttpBody/],
    [request('ChatCompletions', { model: 'm' }), CHAT, /^parsing ChatCompletionsRequest: /],
    [request('RawPredict', 'not an object'), RAW, /^parsing RawPredictRequest: /],
  ];
  for (const [body, path, re] of bad) assert.throws(() => parse(body, path), (e: unknown) => e instanceof RequestParseError && re.test(e.message), re.source);
  assert.equal(parse(Buffer.from('x'), '/google.cloud.aiplatform.v1beta1.PredictionService/Predict').model, '', 'Predict passes through');
});

test('vertexai-parser through the director: the model drives routing; the gRPC body is forwarded unchanged', () => {
  let seen = '';
  const f = directorFixture({
    scheduler: {
      schedule: (req, candidates) => {
        seen = `${req.model}|${req.promptText.includes('Hello from Vertex')}`;
        return scheduledOn(candidates[0]!);
      },
    },
    configText: `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- name: vertexai-parser
  type: vertexai-parser
requestHandler:
  parsers:
  - pluginRef: vertexai-parser
`,
  });
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', CHAT);
  f.director.handleRequestHeaders(ctx);
  const body = request('ChatCompletions', CHAT_BODY);
  const d = f.director.handleRequest(ctx, { chunks: [body], bytes: body.length });
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  assert.equal(seen, 'google/gemma-3-27b-it|true');
  assert.equal(d.body, null);
});
