/**
 * vertexai-parser (upstream parsers/vertexai, Beta): Vertex AI's PredictionService over gRPC (h2c), whose
 * `ChatCompletions`, `RawPredict` and `StreamRawPredict` requests wrap an OpenAI JSON body in `http_body.data`.
 * The frame is decoded with @grpc/proto-loader (proto/vertexai/prediction_requests.proto: those messages' field
 * numbers from googleapis), then the JSON goes to the OpenAI parser as `/chat/completions` (ChatCompletions) or
 * `/responses` (the raw predicts), which fills model, prompt and stream. Other methods pass through. The gRPC
 * body is forwarded unchanged (no model rewrite inside protobuf). No parameters.
 */
import * as protoLoader from '@grpc/proto-loader';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError, type Parser } from '../../../../framework/parser.ts';
import { PROTO_DIR } from '../../../../extproc/codec/proto.ts';
import { OpenAIParser } from '../openai/openai.ts';
import { decodeMessage, grpcPayload } from '../grpc-frame.ts';

export const VERTEX_AI_PARSER_TYPE = 'vertexai-parser';
export const VERTEX_AI_PROTO = 'vertexai/prediction_requests.proto';
const PACKAGE = 'google.cloud.aiplatform.v1beta1';

/** Claimed path suffix -> method, request message and the OpenAI path its JSON is parsed as (upstream's table). */
const METHODS = [
  { path: 'PredictionService/ChatCompletions', method: 'ChatCompletions', message: 'ChatCompletionsRequest', openaiPath: '/chat/completions' },
  { path: 'PredictionService/StreamRawPredict', method: 'StreamRawPredict', message: 'StreamRawPredictRequest', openaiPath: '/responses' },
  { path: 'PredictionService/RawPredict', method: 'RawPredict', message: 'RawPredictRequest', openaiPath: '/responses' },
] as const;

interface HttpBodyRequest {
  http_body?: { data?: Buffer } | null;
}
type Deserialize = (b: Buffer) => unknown;
let service: protoLoader.ServiceDefinition | undefined;

/** The request decoder of a method, from the service loaded once (proto-loader builds decoders per method). */
function decoderOf(method: string): Deserialize {
  service ??= protoLoader.loadSync(VERTEX_AI_PROTO, { keepCase: true, longs: Number, defaults: false, includeDirs: [PROTO_DIR] })[
    `${PACKAGE}.PredictionService`
  ] as protoLoader.ServiceDefinition;
  return service[method]!.requestDeserialize;
}

export class VertexAIParser implements Parser {
  readonly type = VERTEX_AI_PARSER_TYPE;
  readonly name: string;
  readonly paths = METHODS.map((m) => m.path);
  readonly #openai: OpenAIParser;

  constructor(name: string) {
    this.name = name;
    this.#openai = new OpenAIParser(name);
    for (const m of METHODS) decoderOf(m.method); // a broken proto fails at config load
  }

  parseRequest(text: string, path: string, req: LLMRequest): null {
    this.parseRequestBytes(Buffer.from(text, 'latin1'), path, req);
    return null;
  }

  parseRequestBytes(body: Buffer, path: string, req: LLMRequest): void {
    const m = METHODS.find((x) => path.endsWith(x.path));
    if (m === undefined) return; // another method: passed through
    const payload = grpcPayload(body);
    const msg = decodeMessage<HttpBodyRequest>(decoderOf(m.method), payload, m.message);
    const data = msg.http_body?.data;
    if (msg.http_body === undefined || msg.http_body === null) throw new RequestParseError(`${m.message} has no HttpBody`, 'http_body');
    try {
      this.#openai.parseRequest(data === undefined ? '' : data.toString('utf8'), m.openaiPath, req);
    } catch (err) {
      if (err instanceof RequestParseError) throw new RequestParseError(`parsing ${m.message}: ${err.message}`, err.field);
      throw err;
    }
  }
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createVertexAIParser(name: string, _params: unknown, _handle: PluginHandle): VertexAIParser {
  return new VertexAIParser(name);
}
