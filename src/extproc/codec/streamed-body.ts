/**
 * The encoding of a streamed body chunk response around the chunk instead of through it:
 *   ProcessingResponse{request_body|response_body: {response: {body_mutation: {streamed_response:
 *     {end_of_stream, body}}}}}
 * returned as the gRPC frame header plus every protobuf byte before the body, so a transport writes this head
 * and then the chunk itself, uncopied. end_of_stream is written before body (fields may come in any order on
 * the wire; proto-loader and Envoy decode both orders), which is what lets the body be the tail.
 * FULL_DUPLEX_STREAMED echoes every request and response byte; at 32 KB bodies this saved one body-sized
 * copy and one ArrayBuffer per chunk (bench/overhead/extproc.bench.ts).
 */
import { varintSize, writeVarint } from './wire.ts';

export const REQUEST_BODY_FIELD = 3;
export const RESPONSE_BODY_FIELD = 4;

/** Bytes the gRPC frame header takes. */
const FRAME_HEADER = 5;

export function streamedBodyHead(field: typeof REQUEST_BODY_FIELD | typeof RESPONSE_BODY_FIELD, bodyLength: number, endOfStream: boolean): Buffer {
  const sbr = 2 + 1 + varintSize(bodyLength) + bodyLength; // end_of_stream, body tag + length + body
  const mutation = 1 + varintSize(sbr) + sbr; // BodyMutation.streamed_response
  const common = 1 + varintSize(mutation) + mutation; // CommonResponse.body_mutation
  const bodyResponse = 1 + varintSize(common) + common; // BodyResponse.response
  const total = 1 + varintSize(bodyResponse) + bodyResponse; // ProcessingResponse.request_body|response_body
  const head = Buffer.allocUnsafe(FRAME_HEADER + total - bodyLength);
  head[0] = 0;
  head.writeUInt32BE(total, 1);
  let p = FRAME_HEADER;
  head[p++] = (field << 3) | 2;
  p = writeVarint(head, p, bodyResponse);
  head[p++] = (1 << 3) | 2;
  p = writeVarint(head, p, common);
  head[p++] = (3 << 3) | 2;
  p = writeVarint(head, p, mutation);
  head[p++] = (3 << 3) | 2;
  p = writeVarint(head, p, sbr);
  head[p++] = (2 << 3) | 0;
  head[p++] = endOfStream ? 1 : 0;
  head[p++] = (1 << 3) | 2;
  p = writeVarint(head, p, bodyLength);
  if (p !== head.length) throw new Error('streamedBodyHead: size mismatch');
  return head;
}
