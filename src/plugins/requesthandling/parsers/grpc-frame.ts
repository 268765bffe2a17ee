/** What the gRPC parsers share (upstream parsers/util/grpc.go): the message of one length-prefixed frame. */
import { RequestParseError } from '../../../framework/parser.ts';

const GRPC_HEADER_LEN = 5;

/**
 * The message of one uncompressed gRPC frame (1-byte compression flag, 4-byte big-endian length, message), or a
 * RequestParseError prefixed with `prefix`: a body shorter than its header or its length, or compressed (upstream
 * does not inflate either, TODO #895).
 */
export function grpcPayload(body: Buffer, prefix = 'invalid or unsupported gRPC payload'): Buffer {
  if (body.length < GRPC_HEADER_LEN) throw new RequestParseError(`${prefix}: invalid gRPC frame: expected at least ${GRPC_HEADER_LEN} bytes for header, got ${body.length}`);
  if (body[0] === 1) throw new RequestParseError(`${prefix}: compressed gRPC payload is not supported`);
  const len = body.readUInt32BE(1);
  if (body.length < GRPC_HEADER_LEN + len) {
    throw new RequestParseError(`${prefix}: incomplete gRPC payload: header indicates ${len} bytes, but only ${body.length - GRPC_HEADER_LEN} bytes are available`);
  }
  return body.subarray(GRPC_HEADER_LEN, GRPC_HEADER_LEN + len);
}

/** Runs a proto-loader deserializer; its error becomes a 400 naming the message type. */
export function decodeMessage<T>(deserialize: (b: Buffer) => unknown, payload: Buffer, typeName: string): T {
  try {
    return deserialize(payload) as T;
  } catch (err) {
    throw new RequestParseError(`unmarshaling ${typeName}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
