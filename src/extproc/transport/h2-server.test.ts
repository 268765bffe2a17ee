/**
 * GrpcH2Server with a real HTTP/2 client on 127.0.0.1: routing, the reset budget Envoy needs, abuse limits
 * (early resets, idle streams, concurrent streams), shutdown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import * as msg from '../messages.ts';
import { framedResponse, type GrpcCall } from './grpc-call.ts';
import { GrpcH2Server, type AbuseLimits } from './h2-server.ts';

const PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';
const GRPC = { ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers' };
const ANSWER = framedResponse(msg.CONTINUE_REQUEST_HEADERS);
/** ProcessingRequest{request_headers: {}} framed. */
const REQUEST = Buffer.from([0, 0, 0, 0, 2, (2 << 3) | 2, 0]);

/** Answers every message with CONTINUE_REQUEST_HEADERS; ends the call when the client half-closes. */
function echoServer(limits?: Partial<AbuseLimits>, abuse: string[] = []): { server: GrpcH2Server; calls: GrpcCall[]; closed: () => number } {
  const calls: GrpcCall[] = [];
  let closed = 0;
  const server = new GrpcH2Server({
    path: PATH,
    maxMessageBytes: 1 << 20,
    tls: null,
    limits,
    onAbuse: (what) => abuse.push(what),
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

/** A server with these abuse limits and a client connected to it, both closed when the test ends. */
async function connected(t: { after(fn: () => Promise<void>): void }, limits: Partial<AbuseLimits>, abuse: string[] = []) {
  const { server, closed } = echoServer(limits, abuse);
  const port = await server.listen('127.0.0.1', 0);
  const client = http2.connect(`http://127.0.0.1:${port}`);
  client.on('error', () => {});
  t.after(async () => {
    client.destroy();
    await server.shutdown(1000);
  });
  return { client, closed };
}

test('streams reset before their first message past the budget: GOAWAY ENHANCE_YOUR_CALM', async (t) => {
  const abuse: string[] = [];
  const { client } = await connected(t, { earlyResetsPerSecond: 20 }, abuse);
  const goaway = new Promise<number>((resolve) => client.once('goaway', (code: number) => resolve(code)));
  // Rapid reset: open and cancel at once, never a message. The budget is 40 (2 x 20/s); 200 go out in a burst.
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  for (let i = 0; i < 200; i++) {
    const s = client.request(GRPC);
    s.on('error', () => {});
    s.close(http2.constants.NGHTTP2_CANCEL);
  }
  // Bounded: two PING round trips after the burst, so the server has handled every reset, or the GOAWAY.
  const ping = () => new Promise<void>((resolve) => client.ping(() => resolve()));
  const first = await Promise.race([goaway, ping().then(ping).then(() => 'two pings answered, no GOAWAY')]);
  assert.equal(first, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  assert.match(abuse[0]!, /reset before their first message/);
});

test('a stream with no message for the idle limit is ended; a busy one on the same connection is not', async (t) => {
  const abuse: string[] = [];
  const { client, closed } = await connected(t, { streamIdleMs: 60 }, abuse);
  const idle = client.request(GRPC);
  idle.on('error', () => {});
  idle.write(REQUEST);
  const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
  // The busy stream sends a message whenever it gets an answer until the idle one is gone (at most 20,000:
  // without the idle limit the test ends there, failing, instead of running on).
  const busy = client.request(GRPC);
  busy.on('error', () => {});
  let answers = 0;
  const busyDone = new Promise<string>((resolve) => {
    busy.on('data', () => {
      if (++answers >= 20_000) return resolve('20,000 answers and the idle stream still open');
      setImmediate(() => {
        if (!busy.closed) busy.write(REQUEST);
      });
    });
  });
  busy.write(REQUEST);
  assert.equal(await Promise.race([idleClosed.then(() => 'idle closed'), busyDone]), 'idle closed');
  assert.equal(busy.closed, false, 'the busy stream is still open');
  assert.ok(answers > 1);
  assert.equal(closed(), 1, 'the handler heard the idle stream close');
  assert.match(abuse[0]!, /idle for more than 60 ms/);
  busy.close(http2.constants.NGHTTP2_CANCEL);
});

test('the connection advertises the concurrent-stream cap', async (t) => {
  const { client } = await connected(t, { maxConcurrentStreams: 7 });
  const settings = await new Promise<http2.Settings>((resolve) => client.once('remoteSettings', resolve));
  assert.equal(settings.maxConcurrentStreams, 7);
});
