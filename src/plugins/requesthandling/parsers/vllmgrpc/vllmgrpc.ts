/**
 * vllmgrpc-parser (upstream parsers/vllmgrpc, Beta): vLLM's gRPC engine API over h2c,
 * `vllm.grpc.engine.VllmEngine/Generate` and `/Embed`. The body is one gRPC frame (1-byte compression flag,
 * 4-byte big-endian length, a protobuf message), decoded with @grpc/proto-loader from upstream's
 * proto/vllm/grpc/engine/vllm_engine.proto. Generate: `text` or `tokenized.input_ids` is the prompt (what
 * prefix affinity hashes), `stream` is read; Embed needs `tokenized`. Other paths of the service pass through.
 * The message names no model (route with the model header or rewrites); the body is forwarded unchanged.
 */
import * as protoLoader from '@grpc/proto-loader';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError, type Parser } from '../../../../framework/parser.ts';
import { PROTO_DIR } from '../../../../extproc/codec/proto.ts';

export const VLLM_GRPC_PARSER_TYPE = 'vllmgrpc-parser';
const GENERATE_PATH = 'vllm.grpc.engine.VllmEngine/Generate';
const EMBED_PATH = 'vllm.grpc.engine.VllmEngine/Embed';
export const VLLM_ENGINE_PROTO = 'vllm/grpc/engine/vllm_engine.proto';
const GRPC_HEADER_LEN = 5;

/** The decoded GenerateRequest fields read here (proto-loader: keepCase, oneofs). */
interface GenerateRequest {
  input?: 'text' | 'tokenized';
  text?: string;
  tokenized?: { input_ids?: number[] };
  stream?: boolean;
}
interface EmbedRequest {
  tokenized?: { input_ids?: number[] } | null;
}
type Deserialize = (b: Buffer) => unknown;

let methods: { generate: Deserialize; embed: Deserialize } | undefined;

/** The two request decoders, loaded once (parsing the .proto is the costly part). */
function decoders(): { generate: Deserialize; embed: Deserialize } {
  if (methods === undefined) {
    const def = protoLoader.loadSync(VLLM_ENGINE_PROTO, { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true, includeDirs: [PROTO_DIR] });
    const svc = def['vllm.grpc.engine.VllmEngine'] as protoLoader.ServiceDefinition;
    methods = { generate: svc['Generate']!.requestDeserialize, embed: svc['Embed']!.requestDeserialize };
  }
  return methods;
}

/** The message of one uncompressed gRPC frame (upstream grpcutil.ParseGrpcPayload). */
export function grpcPayload(body: Buffer): Buffer {
  if (body.length < GRPC_HEADER_LEN) throw new RequestParseError('invalid or unsupported gRPC payload');
  if (body[0] === 1) throw new RequestParseError('invalid or unsupported gRPC payload'); // compressed (upstream TODO #895)
  const len = body.readUInt32BE(1);
  if (body.length < GRPC_HEADER_LEN + len) throw new RequestParseError('invalid or unsupported gRPC payload');
  return body.subarray(GRPC_HEADER_LEN, GRPC_HEADER_LEN + len);
}

function decode<T>(d: Deserialize, payload: Buffer, what: string): T {
  try {
    return d(payload) as T;
  } catch (err) {
    throw new RequestParseError(`unmarshaling ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class VllmGrpcParser implements Parser {
  readonly type = VLLM_GRPC_PARSER_TYPE;
  readonly name: string;
  readonly paths = [GENERATE_PATH, EMBED_PATH];

  constructor(name: string) {
    this.name = name;
    decoders(); // a broken proto fails at config load, not on the first request
  }

  /** Text bodies cannot carry protobuf: the director calls parseRequestBytes for this parser. */
  parseRequest(text: string, path: string, req: LLMRequest): null {
    this.parseRequestBytes(Buffer.from(text, 'latin1'), path, req);
    return null;
  }

  parseRequestBytes(body: Buffer, path: string, req: LLMRequest): void {
    const isEmbed = path.endsWith(EMBED_PATH);
    if (!isEmbed && !path.endsWith(GENERATE_PATH)) return; // another method of the service: passed through
    const payload = grpcPayload(body);
    if (isEmbed) {
      const r = decode<EmbedRequest>(decoders().embed, payload, 'EmbedRequest');
      if (r.tokenized === undefined || r.tokenized === null) throw new RequestParseError('missing tokenized input in EmbedRequest', 'tokenized');
      req.promptText = JSON.stringify(r.tokenized.input_ids ?? []);
      return;
    }
    const r = decode<GenerateRequest>(decoders().generate, payload, 'GenerateRequest');
    if (r.input === 'text') req.promptText = r.text ?? '';
    else if (r.input === 'tokenized') req.promptText = JSON.stringify(r.tokenized?.input_ids ?? []);
    else throw new RequestParseError('not supported request inputType', 'input');
    req.stream = r.stream === true;
  }
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createVllmGrpcParser(name: string, _params: unknown, _handle: PluginHandle): VllmGrpcParser {
  return new VllmGrpcParser(name);
}
