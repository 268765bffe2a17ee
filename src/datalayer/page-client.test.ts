/** PageClient against real servers on 127.0.0.1: keep-alive reuse, chunked pages, closes, aborts, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PageClient } from './page-client.ts';

const PAGE = `${'vllm:num_requests_waiting{engine="0"} 4.0\n'.repeat(2000)}`; // ~84 KB: spans several reads

function get(client: PageClient): Promise<{ err: Error | null; status: number; page: string }> {
  return new Promise((resolve) => client.get((err, status, body, start, end) => resolve({ err, status, page: body.toString('utf8', start, end) })));
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function clientFor(port: number, maxBytes = 1 << 20): PageClient {
  return new PageClient('127.0.0.1', port, `127.0.0.1:${port}`, '/metrics', maxBytes);
}

test('pages over one keep-alive connection, with Content-Length and chunked bodies', async (t) => {
  let connections = 0;
  let n = 0;
  const server = createHttpServer((req, res) => {
    assert.equal(req.url, '/metrics');
    assert.match(req.headers.accept ?? '', /version=0\.0\.4/);
    if (n++ % 2 === 0) {
      res.writeHead(200, { 'content-length': Buffer.byteLength(PAGE) }).end(PAGE);
    } else {
      res.writeHead(200); // no length: Node sends it chunked
      res.write(PAGE.slice(0, 1000));
      res.end(PAGE.slice(1000));
    }
  });
  server.on('connection', () => connections++);
  const client = clientFor(await listen(server));
  t.after(() => client.close().then(() => server.close()));
  for (let i = 0; i < 4; i++) assert.deepEqual(await get(client), { err: null, status: 200, page: PAGE });
  assert.equal(connections, 1);
});

test('an error status is reported without its body and the connection stays usable', async (t) => {
  let connections = 0;
  let fail = true;
  const server = createHttpServer((_req, res) => (fail ? res.writeHead(500).end('boom') : res.end('ok')));
  server.on('connection', () => connections++);
  const client = clientFor(await listen(server));
  t.after(() => client.close().then(() => server.close()));
  assert.deepEqual(await get(client), { err: null, status: 500, page: '' });
  fail = false;
  assert.deepEqual(await get(client), { err: null, status: 200, page: 'ok' });
  assert.equal(connections, 1);
});

/** A raw server whose handler writes whatever bytes a test wants. */
async function rawServer(onRequest: (socket: Socket, count: number) => void): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let count = 0;
    socket.on('data', (d) => {
      if (d.includes('\r\n\r\n')) onRequest(socket, count++);
    });
  });
  const port = await listen(server);
  return {
    port,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('connection: close and HTTP/1.0 read-until-close bodies: the next get reconnects', async (t) => {
  const server = await rawServer((socket, count) => {
    if (count > 0) throw new Error('one request per connection expected');
    if (server.connections() === 1) socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\none');
    else socket.end('HTTP/1.0 200 OK\r\n\r\ntwo, until close');
  });
  const client = clientFor(server.port);
  t.after(() => client.close().then(() => server.close()));
  assert.deepEqual(await get(client), { err: null, status: 200, page: 'one' });
  assert.deepEqual(await get(client), { err: null, status: 200, page: 'two, until close' });
  assert.equal(server.connections(), 2);
});

test('a connection cut mid-body fails the get; abort fails a hanging get; both reconnect next time', async (t) => {
  let mode = 'cut';
  let hanging: () => void = () => {};
  const server = await rawServer((socket) => {
    if (mode === 'cut') socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part');
    else if (mode === 'ok') socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    else hanging(); // never answer
  });
  const client = clientFor(server.port);
  t.after(() => client.close().then(() => server.close()));
  const cut = await get(client);
  assert.match(String(cut.err), /closed before the response ended/);

  mode = 'hang';
  const arrived = new Promise<void>((resolve) => (hanging = resolve));
  const pending = get(client);
  await arrived;
  const reason = new Error('timeout');
  client.abort(reason);
  assert.equal((await pending).err, reason);

  mode = 'ok';
  assert.deepEqual(await get(client), { err: null, status: 200, page: 'ok' });
  assert.equal(server.connections(), 3);
});

test('pages over the limit fail; refused connections fail; close() ends a get in flight', async (t) => {
  const server = await rawServer((socket) => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${PAGE.length}\r\n\r\n${PAGE}`));
  const small = clientFor(server.port, 1000);
  t.after(() => small.close().then(() => server.close()));
  assert.match(String((await get(small)).err), /exceeds 1000/);

  const refused = clientFor(1); // nothing listens on port 1
  assert.match(String((await get(refused)).err), /ECONNREFUSED/);

  const hang = await rawServer(() => {});
  const client = clientFor(hang.port);
  const pending = get(client);
  await client.close();
  assert.match(String((await pending).err), /closed/);
  assert.match(String((await get(client)).err), /closed/, 'a closed client stays closed');
  await hang.close();
});

test('https: pages over TLS; the server certificate is verified against the CA unless verification is off', async (t) => {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'model-server' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const { createServer: createHttpsServer } = await import('node:https');
  let connections = 0;
  const server = createHttpsServer({ cert: pems.cert, key: pems.private }, (_req, res) => res.writeHead(200, { 'content-length': Buffer.byteLength(PAGE) }).end(PAGE));
  server.on('secureConnection', () => connections++);
  const port = await listen(server);
  const https = (tls: ConstructorParameters<typeof PageClient>[5]) => new PageClient('127.0.0.1', port, `127.0.0.1:${port}`, '/metrics', 1 << 20, tls);
  const verified = https({ ca: pems.cert, rejectUnauthorized: true });
  const unverified = https({ rejectUnauthorized: false });
  const refused = https({ rejectUnauthorized: true }); // no CA: the self-signed certificate is not trusted
  t.after(() => Promise.all([verified.close(), unverified.close(), refused.close()]).then(() => server.close()));
  for (let i = 0; i < 3; i++) assert.deepEqual(await get(verified), { err: null, status: 200, page: PAGE });
  assert.equal(connections, 1, 'one keep-alive TLS connection');
  assert.deepEqual(await get(unverified), { err: null, status: 200, page: PAGE });
  const r = await get(refused);
  assert.match(String(r.err), /self[- ]signed|unable to verify/i);
});
