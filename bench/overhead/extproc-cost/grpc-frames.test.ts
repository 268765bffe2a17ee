/** The load driver's framing and response classification, against proto-loader encodings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extProcService, type ProcessingResponse } from '../../../src/extproc/codec/proto.ts';
import * as msg from '../../../src/extproc/messages.ts';
import { EppError } from '../../../src/requestcontrol/errors.ts';
import { classify, frame, FrameReader, R_IMMEDIATE, R_REQUEST_BODY, R_REQUEST_HEADERS, R_RESPONSE_BODY, R_RESPONSE_HEADERS, type ResponseKind } from './grpc-frames.ts';

const encode = extProcService().Process!.responseSerialize as (m: ProcessingResponse) => Buffer;

function kind(m: ProcessingResponse): ResponseKind {
  const k: ResponseKind = { kind: 0, bodyEnd: false, routed: false };
  classify(encode(m), k);
  return k;
}

test('classify: oneof case, routing metadata, end of a streamed body', () => {
  assert.deepEqual(kind(msg.routedHeadersResponse([msg.setHeader(msg.DESTINATION_HEADER, 'a:1')], 'a:1')), { kind: R_REQUEST_HEADERS, bodyEnd: false, routed: true });
  assert.deepEqual(kind(msg.CONTINUE_RESPONSE_HEADERS), { kind: R_RESPONSE_HEADERS, bodyEnd: false, routed: false });
  assert.deepEqual(kind(msg.streamedRequestBody(Buffer.alloc(300, 1), false)), { kind: R_REQUEST_BODY, bodyEnd: false, routed: false });
  assert.deepEqual(kind(msg.streamedRequestBody(Buffer.alloc(300, 1), true)), { kind: R_REQUEST_BODY, bodyEnd: true, routed: false });
  assert.deepEqual(kind(msg.CONTINUE_RESPONSE_BODY), { kind: R_RESPONSE_BODY, bodyEnd: true, routed: false });
  assert.equal(kind(msg.immediateError(new EppError('SHED', 'busy'))).kind, R_IMMEDIATE);
});

test('FrameReader: messages split across and joined within chunks', () => {
  const msgs = [Buffer.from('a'), Buffer.alloc(70_000, 2), Buffer.alloc(0), Buffer.from('tail')];
  const wire = Buffer.concat(msgs.map(frame));
  for (const size of [1, 3, 5, 6, 1000, wire.length]) {
    const reader = new FrameReader();
    const seen: Buffer[] = [];
    for (let off = 0; off < wire.length; off += size) reader.push(wire.subarray(off, off + size), (m) => seen.push(Buffer.from(m)));
    assert.deepEqual(seen, msgs, `chunks of ${size}`);
  }
});
