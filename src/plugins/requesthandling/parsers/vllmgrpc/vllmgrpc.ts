/**
 * vllmgrpc-parser (upstream parsers/vllmgrpc, Beta): vLLM's gRPC engine API over h2c,
 * `vllm.grpc.engine.VllmEngine/Generate` and `/Embed`. The body is one gRPC frame (1-byte compression flag,
 * 4-byte big-endian length, a protobuf message), decoded with @grpc/proto-loader from upstream's
 * proto/vllm/grpc/engine/vllm_engine.proto. Generate: `text` or `tokenized.input_ids` is the prompt (what
 * prefix affinity hashes), `stream` is read; Embed needs `tokenized`. Other paths of the service pass through.
 * The message names no model (route with the model header or rewrites); the body is forwarded unchanged.
 * A tokenized Generate's `mm_inputs` are published as the request's multimodal features; the response's token
 * usage is read by response-usage.ts.
 */
import * as protoLoader from '@grpc/proto-loader';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError, type Parser, type ResponseUsageReader } from '../../../../framework/parser.ts';
import { MULTIMODAL_FEATURES_KEY, type MultiModalFeatures } from '../../../../framework/data-keys.ts';
import { PROTO_DIR } from '../../../../extproc/codec/proto.ts';
import { decodeMessage, grpcPayload } from '../grpc-frame.ts';
import { embedUsage, generateUsage, GrpcUsageReader, type Deserialize, type UsageOf } from './response-usage.ts';

/** upstream's vllmgrpc parser hides the frame problem behind one message. */
function grpcPayloadOrBust(body: Buffer): Buffer {
  try {
    return grpcPayload(body);
  } catch {
    throw new RequestParseError('invalid or unsupported gRPC payload');
  }
}

export const VLLM_GRPC_PARSER_TYPE = 'vllmgrpc-parser';
const GENERATE_PATH = 'vllm.grpc.engine.VllmEngine/Generate';
const EMBED_PATH = 'vllm.grpc.engine.VllmEngine/Embed';
export const VLLM_ENGINE_PROTO = 'vllm/grpc/engine/vllm_engine.proto';

/** The decoded GenerateRequest fields read here (proto-loader: keepCase, oneofs). */
interface GenerateRequest {
  input?: 'text' | 'tokenized';
  text?: string;
  tokenized?: { input_ids?: number[] };
  stream?: boolean;
  mm_inputs?: { mm_placeholders?: unknown[]; mm_hashes?: string[] } | null;
}
interface EmbedRequest {
  tokenized?: { input_ids?: number[] } | null;
}
interface Decoders {
  generate: Deserialize;
  embed: Deserialize;
  generateUsage: UsageOf;
  embedUsage: UsageOf;
}

let methods: Decoders | undefined;

/** The request decoders and response usage readers, loaded once (parsing the .proto is the costly part). */
function decoders(): Decoders {
  if (methods === undefined) {
    const def = protoLoader.loadSync(VLLM_ENGINE_PROTO, { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true, includeDirs: [PROTO_DIR] });
    const svc = def['vllm.grpc.engine.VllmEngine'] as protoLoader.ServiceDefinition;
    methods = {
      generate: svc['Generate']!.requestDeserialize,
      embed: svc['Embed']!.requestDeserialize,
      generateUsage: generateUsage(svc['Generate']!.responseDeserialize),
      embedUsage: embedUsage(svc['Embed']!.responseDeserialize),
    };
  }
  return methods;
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
    // upstream answers every frame problem with this one message.
    const payload = grpcPayloadOrBust(body);
    if (isEmbed) {
      const r = decodeMessage<EmbedRequest>(decoders().embed, payload, 'EmbedRequest');
      if (r.tokenized === undefined || r.tokenized === null) throw new RequestParseError('missing tokenized input in EmbedRequest', 'tokenized');
      req.promptText = JSON.stringify(r.tokenized.input_ids ?? []);
      return;
    }
    const r = decodeMessage<GenerateRequest>(decoders().generate, payload, 'GenerateRequest');
    if (r.input === 'text') req.promptText = r.text ?? '';
    else if (r.input === 'tokenized') {
      req.promptText = JSON.stringify(r.tokenized?.input_ids ?? []);
      publishFeatures(r, req);
    } else throw new RequestParseError('not supported request inputType', 'input');
    req.stream = r.stream === true;
  }

  /**
   * Usage from the response (upstream ParseResponse): Generate's stream chunks and complete result, Embed's
   * prompt tokens. Each path decodes its own response type; upstream tries GenerateResponse, then EmbedResponse.
   */
  responseUsageReader(path: string): ResponseUsageReader | null {
    if (path.endsWith(GENERATE_PATH)) return new GrpcUsageReader(decoders().generateUsage);
    if (path.endsWith(EMBED_PATH)) return new GrpcUsageReader(decoders().embedUsage);
    return null;
  }
}

/**
 * A tokenized request's multimodal items (upstream convertMultiModalFeatures): one image per placeholder, with
 * the hash at its index ('' when missing), for mm-embeddings-cache-producer.
 */
function publishFeatures(r: GenerateRequest, req: LLMRequest): void {
  const placeholders = r.mm_inputs?.mm_placeholders ?? [];
  if (placeholders.length === 0) return;
  const hashes = r.mm_inputs?.mm_hashes ?? [];
  const features: MultiModalFeatures = { request: req, items: placeholders.map((_, i) => ({ modality: 'image', hash: hashes[i] ?? '' })) };
  req.data.set(MULTIMODAL_FEATURES_KEY, features);
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createVllmGrpcParser(name: string, _params: unknown, _handle: PluginHandle): VllmGrpcParser {
  return new VllmGrpcParser(name);
}
