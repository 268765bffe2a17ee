/**
 * GrpcH2Server with a real HTTP/2 client on 127.0.0.1: routing, the reset budget Envoy needs, shutdown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import * as msg from '../messages.ts';
import { framedResponse, type GrpcCall } from './grpc-call.ts';
import { GrpcH2Server } from './h2-server.ts';

const PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';
const GRPC = { ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers' };
const ANSWER = framedResponse(msg.CONTINUE_REQUEST_HEADERS);
/** ProcessingRequest{request_headers: {}} framed. */
const REQUEST = Buffer.from([0, 0, 0, 0, 2, (2 << 3) | 2, 0]);

/** Answers every message with CONTINUE_REQUEST_HEADERS; ends the call when the client half-closes. */
function echoServer(): { server: GrpcH2Server; calls: GrpcCall[]; closed: () => number } {
  const calls: GrpcCall[] = [];
  let closed = 0;
  const server = new GrpcH2Server({
    path: PATH,
    maxMessageBytes: 1 << 20,
    tls: null,
    onCall: (call) => {
      calls.push(call);
      call.start({ onMessage: () => call.write(ANSWER), onEnd: () => call.end(), onClosed: () => void closed++ });
    },
  });
  return { server, calls, closed: () => closed };
}

function response(stream: http2.ClientHttp2Stream): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; data: Buffer }> {
  return new Promise((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (d: Buffer) => data.push(d));
    stream.on('end', () => resolve({ headers, trailers, data: Buffer.concat(data) }));
    stream.on('error', reject);
  });
}

test('the method answers over gRPC; other paths get UNIMPLEMENTED, other content types 415', async (t) => {
  const { server } = echoServer();
  const port = await server.listen('127.0.0.1', 0);
  const client = http2.connect(`http://127.0.0.1:${port}`);
  t.after(async () => {
    client.close();
    await server.shutdown(1000);
  });

  const ok = client.request(GRPC);
  ok.end(REQUEST);
  const r = await response(ok);
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.headers['content-type'], 'application/grpc');
  assert.deepEqual(r.data, ANSWER);
  assert.equal(r.trailers['grpc-status'], '0');

  const unknown = client.request({ ...GRPC, ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Other' });
  unknown.end();
  assert.equal((await response(unknown)).headers['grpc-status'], '12');

  const json = client.request({ ...GRPC, 'content-type': 'application/json' });
  json.end();
  assert.equal((await response(json)).headers[':status'], 415);
});

test('Envoy-style close (half-close, then reset) on 3,000 streams does not cost the connection', async (t) => {
  // nghttp2's default budget is 1,000 resets refilled at 33/s: past it the server would send GOAWAY.
  const { server, closed } = echoServer();
  const port = await server.listen('127.0.0.1', 0);
  const client = http2.connect(`http://127.0.0.1:${port}`);
  let goaway = false;
  client.on('goaway', () => (goaway = true));
  client.on('error', () => {});
  t.after(async () => {
    client.close();
    await server.shutdown(1000);
  });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const s = client.request(GRPC);
      s.on('error', () => {});
      s.once('data', () => {
        s.end();
        s.close(http2.constants.NGHTTP2_CANCEL);
        resolve();
      });
      s.once('close', () => reject(new Error('stream closed before its answer')));
      s.write(REQUEST);
    });
  for (let batch = 0; batch < 30; batch++) await Promise.all(Array.from({ length: 100 }, one));
  assert.equal(goaway, false);
  assert.equal(client.destroyed, false);
  // Every server-side call saw its end.
  for (let i = 0; i < 100 && closed() < 3000; i++) await new Promise((r) => setImmediate(r));
  assert.equal(closed(), 3000);
});

test('shutdown: open streams finish, new ones are refused, the promise resolves when connections close', async () => {
  const { server } = echoServer();
  const port = await server.listen('127.0.0.1', 0);
  const client = http2.connect(`http://127.0.0.1:${port}`);
  client.on('error', () => {});
  const open = client.request(GRPC);
  open.write(REQUEST);
  const first = response(open);
  await new Promise<void>((resolve) => open.once('data', () => resolve()));
  const goaway = new Promise<void>((resolve) => client.once('goaway', () => resolve()));
  const stopped = server.shutdown(5000);
  await goaway;
  open.end(); // the in-flight call still completes
  const r = await first;
  assert.equal(r.trailers['grpc-status'], '0');
  await stopped;
  await assert.rejects(
    new Promise((resolve, reject) => {
      const late = http2.connect(`http://127.0.0.1:${port}`);
      late.on('error', reject);
      late.on('connect', resolve);
    }),
  );
});
