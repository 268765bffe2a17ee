/**
 * GrpcCall over a recording fake of the HTTP/2 stream, so DATA chunks can be split at every byte: message
 * reassembly, size limits, compression refused, decode errors, response headers, trailers and Trailers-Only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerHttp2Stream } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { extProcService, type ProcessingRequest, type ProcessingResponse } from '../codec/proto.ts';
import * as msg from '../messages.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD } from '../codec/streamed-body.ts';
import { framedResponse, GrpcCall, type CallHandler } from './grpc-call.ts';

const def = extProcService().Process!;
const encodeRequest = def.requestSerialize as (m: ProcessingRequest) => Buffer;
const decodeResponse = def.responseDeserialize as (b: Buffer) => ProcessingResponse;

class FakeStream extends EventEmitter {
  destroyed = false;
  responded: { headers: Record<string, unknown>; options: Record<string, unknown> }[] = [];
  written: Buffer[] = [];
  ended = false;
  trailers: Record<string, string> | null = null;
  respond(headers: Record<string, unknown>, options: Record<string, unknown> = {}): void {
    this.responded.push({ headers, options });
  }
  write(b: Buffer): boolean {
    this.written.push(Buffer.from(b));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  end(): void {
    this.ended = true;
    this.emit('wantTrailers');
  }
  sendTrailers(t: Record<string, string>): void {
    this.trailers = t;
  }
  /** The written bytes cut into gRPC messages, decoded by proto-loader. */
  responses(): ProcessingResponse[] {
    const all = Buffer.concat(this.written);
    const out: ProcessingResponse[] = [];
    for (let off = 0; off < all.length; ) {
      const len = all.readUInt32BE(off + 1);
      out.push(decodeResponse(all.subarray(off + 5, off + 5 + len)));
      off += 5 + len;
    }
    return out;
  }
}

function frame(bytes: Buffer, compressed = 0): Buffer {
  const h = Buffer.alloc(5);
  h[0] = compressed;
  h.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([h, bytes]);
}

class Recorder implements CallHandler {
  messages: ProcessingRequest[] = [];
  ends = 0;
  closes = 0;
  onMessage(m: ProcessingRequest): void {
    this.messages.push(m);
  }
  onEnd(): void {
    this.ends++;
  }
  onClosed(): void {
    this.closes++;
  }
}

/** `encoding` is what the client declared in grpc-encoding: the call refuses compressed messages whatever it says. */
function setup(maxMessageBytes = 1 << 20, _encoding = '') {
  const stream = new FakeStream();
  const call = new GrpcCall(stream as unknown as ServerHttp2Stream, maxMessageBytes);
  const handler = new Recorder();
  call.start(handler);
  return { stream, call, handler };
}

const MESSAGES: ProcessingRequest[] = [
  { request_headers: { headers: { headers: [{ key: ':path', raw_value: Buffer.from('/v1/completions') }] }, end_of_stream: false }, protocol_config: { request_body_mode: 'FULL_DUPLEX_STREAMED' } },
  { request_body: { body: Buffer.alloc(70_000, 0x61), end_of_stream: false } },
  { request_body: { body: Buffer.from('tail'), end_of_stream: true } },
];

test('messages are reassembled from DATA chunks split anywhere, several per chunk included', () => {
  const wire = Buffer.concat(MESSAGES.map((m) => frame(encodeRequest(m))));
  for (const size of [1, 2, 3, 4, 5, 6, 7, 13, 1000, 16_384, 65_536, wire.length]) {
    const { stream, handler } = setup();
    for (let off = 0; off < wire.length; off += size) stream.emit('data', wire.subarray(off, off + size));
    assert.equal(handler.messages.length, 3, `chunks of ${size}`);
    assert.equal(handler.messages[0]!.request, 'request_headers');
    assert.equal(handler.messages[0]!.request_headers!.headers!.headers![0]!.value, '/v1/completions');
    assert.deepEqual(handler.messages[1]!.request_body!.body, MESSAGES[1]!.request_body!.body);
    assert.equal(handler.messages[2]!.request_body!.body!.toString(), 'tail');
    assert.equal(stream.responded.length, 0, 'nothing answered by the transport itself');
  }
});

test('end and close reach the handler; close is reported once', () => {
  const { stream, handler } = setup();
  stream.emit('end');
  stream.emit('error', new Error('reset'));
  stream.emit('close');
  assert.equal(handler.ends, 1);
  assert.equal(handler.closes, 1);
});

test('a message over the limit ends the call with RESOURCE_EXHAUSTED, before it is buffered', () => {
  const { stream, handler } = setup(1000);
  const big = frame(encodeRequest({ request_body: { body: Buffer.alloc(5000) } }));
  stream.emit('data', big.subarray(0, 3));
  stream.emit('data', big.subarray(3, 100));
  assert.equal(handler.messages.length, 0);
  assert.equal(stream.responded.length, 1);
  assert.equal(stream.responded[0]!.headers['grpc-status'], '8');
  assert.equal(stream.responded[0]!.options.endStream, true, 'Trailers-Only');
  stream.emit('data', big.subarray(100));
  assert.equal(handler.messages.length, 0, 'the rest is dropped');
});

test('a compressed message is refused with UNIMPLEMENTED, never inflated, whatever the declared encoding', () => {
  for (const encoding of ['gzip', 'deflate', '']) {
    const { stream, handler } = setup(1 << 20, encoding);
    // 64 KB of gzip that would inflate to 64 MB: refused from the prefix, before any work.
    stream.emit('data', frame(gzipSync(Buffer.alloc(64 << 20)), 1));
    assert.equal(handler.messages.length, 0);
    assert.equal(stream.responded[0]!.headers['grpc-status'], '12');
    assert.equal(stream.responded[0]!.headers['grpc-accept-encoding'], 'identity');
    assert.match(decodeURIComponent(String(stream.responded[0]!.headers['grpc-message'])), /compressed ext_proc messages are not supported/);
    stream.emit('data', frame(encodeRequest(MESSAGES[0]!)));
    assert.equal(handler.messages.length, 0, 'nothing is delivered after the refusal');
  }
});

test('an undecodable message is an INTERNAL error with a message', () => {
  const { stream, handler } = setup();
  stream.emit('data', frame(Buffer.from([0x12, 0x80])));
  assert.equal(handler.messages.length, 0);
  assert.equal(stream.responded[0]!.headers['grpc-status'], '13');
  assert.match(decodeURIComponent(String(stream.responded[0]!.headers['grpc-message'])), /deserializing/);
});

test('responses: headers once, messages, then OK trailers; nothing after the end', () => {
  const { stream, call } = setup();
  call.write(msg.CONTINUE_REQUEST_HEADERS);
  call.write(framedResponse(msg.CONTINUE_RESPONSE_HEADERS));
  call.writeStreamedBody(REQUEST_BODY_FIELD, Buffer.alloc(10_000, 0x62), false);
  call.writeStreamedBody(RESPONSE_BODY_FIELD, Buffer.from('small'), true);
  call.end();
  call.write(msg.CONTINUE_REQUEST_BODY);
  assert.equal(stream.responded.length, 1);
  assert.deepEqual(stream.responded[0]!.headers, { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' });
  assert.equal(stream.responded[0]!.options.waitForTrailers, true);
  assert.equal(stream.ended, true);
  assert.equal(stream.trailers!['grpc-status'], '0');
  const r = stream.responses();
  assert.equal(r.length, 4);
  assert.ok(r[0]!.request_headers);
  assert.ok(r[1]!.response_headers);
  assert.equal(r[2]!.request_body!.response!.body_mutation!.streamed_response!.body.length, 10_000);
  assert.equal(r[2]!.request_body!.response!.body_mutation!.streamed_response!.end_of_stream, false);
  assert.equal(Buffer.from(r[3]!.response_body!.response!.body_mutation!.streamed_response!.body).toString(), 'small');
  assert.equal(r[3]!.response_body!.response!.body_mutation!.streamed_response!.end_of_stream, true);
});

test('a call that ends before any response is Trailers-Only; a closed stream is not written', () => {
  const a = setup();
  a.call.end();
  assert.equal(a.stream.responded.length, 1);
  assert.equal(a.stream.responded[0]!.headers['grpc-status'], '0');
  assert.equal(a.stream.responded[0]!.options.endStream, true);
  const b = setup();
  b.stream.emit('close');
  b.call.write(msg.CONTINUE_REQUEST_HEADERS);
  b.call.end();
  assert.equal(b.stream.responded.length, 0);
  assert.equal(b.stream.written.length, 0);
});

