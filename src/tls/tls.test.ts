/**
 * ext_proc TLS settings on a real server and client over 127.0.0.1: Go names mapped to OpenSSL ones,
 * --tls-min-version and --tls-cipher-suites enforced at the handshake, and --enable-cert-reload swapping the
 * certificate for new connections while an open one keeps working. No sleeps: the reload test waits for the
 * watcher's event.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { GrpcH2Server, type TlsMaterial } from '../extproc/transport/h2-server.ts';
import { CertWatcher } from './cert-watcher.ts';
import { nodeCipherList, nodeTlsVersion, TlsNameError } from './go-names.ts';

const PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';

const clients: http2.ClientHttp2Session[] = [];

async function certPair(cn: string): Promise<{ cert: Buffer; key: Buffer }> {
  const p = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', curve: 'P-256' });
  return { cert: Buffer.from(p.cert), key: Buffer.from(p.private) };
}

async function serve(t: TestContext, tls: TlsMaterial): Promise<GrpcH2Server> {
  const server = new GrpcH2Server({ path: PATH, maxMessageBytes: 1 << 20, tls, onCall: (call) => call.cancel('test') });
  await server.listen('127.0.0.1', 0);
  // Clients first: a server's close waits for every socket, a failed handshake's included.
  t.after(() => {
    for (const c of clients.splice(0)) c.destroy();
    return server.shutdown(0);
  });
  return server;
}

/** Connects; resolves with the session once the handshake is done, or rejects with the handshake error. */
async function connect(t: TestContext, port: number, opts: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ...opts });
  clients.push(session);
  t.after(() => session.destroy());
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
    session.once('close', () => reject(new Error('closed before the handshake ended')));
  });
  return session;
}

function peerCn(session: http2.ClientHttp2Session): string {
  return String((session.socket as TLSSocket).getPeerCertificate().subject.CN);
}

/** One gRPC call to an unknown method: answered (UNIMPLEMENTED) on a working connection. */
async function roundTrip(session: http2.ClientHttp2Session): Promise<string> {
  const stream = session.request({ ':method': 'POST', ':path': '/x.Y/Z', 'content-type': 'application/grpc' });
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  stream.resume();
  return String(headers['grpc-status']);
}

test('Go TLS names: versions and cipher suites map to OpenSSL names; unknown ones are rejected by name', () => {
  assert.equal(nodeTlsVersion('VersionTLS12'), 'TLSv1.2');
  assert.equal(nodeTlsVersion('VersionTLS13'), 'TLSv1.3');
  assert.throws(() => nodeTlsVersion('TLS12'), { name: 'TlsNameError', message: 'unknown TLS version "TLS12"; supported values: VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13' });
  assert.equal(
    nodeCipherList(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', ' TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', '']),
    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
  );
  assert.equal(nodeCipherList(['TLS_AES_128_GCM_SHA256']), undefined, 'TLS 1.3 suites are not configurable (Go)');
  assert.throws(() => nodeCipherList(['TLS_FOO']), (e: Error) => e instanceof TlsNameError && e.message === 'unknown cipher suite "TLS_FOO"');
  assert.throws(() => nodeCipherList(['TLS_RSA_WITH_RC4_128_SHA']), /not available in this Node.js OpenSSL build/);
});

test('--tls-min-version=VersionTLS13 refuses a TLS 1.2 client; the default accepts it', async (t) => {
  const pair = await certPair('epp');
  const strict = await serve(t, { ...pair, minVersion: nodeTlsVersion('VersionTLS13') });
  await assert.rejects(connect(t, strict.port, { maxVersion: 'TLSv1.2' }));
  const ok = await connect(t, strict.port);
  assert.equal((ok.socket as TLSSocket).getProtocol(), 'TLSv1.3');
  const plain = await serve(t, pair);
  const s = await connect(t, plain.port, { maxVersion: 'TLSv1.2' });
  assert.equal((s.socket as TLSSocket).getProtocol(), 'TLSv1.2');
});

test('--tls-cipher-suites limits TLS 1.2 to the named suites', async (t) => {
  const pair = await certPair('epp');
  const server = await serve(t, { ...pair, ciphers: nodeCipherList(['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']) });
  const s = await connect(t, server.port, { maxVersion: 'TLSv1.2' });
  assert.equal((s.socket as TLSSocket).getCipher().name, 'ECDHE-ECDSA-AES256-GCM-SHA384');
  await assert.rejects(connect(t, server.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
  const tls13 = await connect(t, server.port);
  assert.equal((tls13.socket as TLSSocket).getProtocol(), 'TLSv1.3', 'TLS 1.3 keeps its default suites');
});

test('--enable-cert-reload: a changed certificate serves new connections; an open one keeps working', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'epp-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const one = await certPair('one');
  writeFileSync(join(dir, 'tls.crt'), one.cert);
  writeFileSync(join(dir, 'tls.key'), one.key);
  const server = await serve(t, { ...one, minVersion: 'TLSv1.2' });
  const watcher = new CertWatcher(dir, (p) => server.setCertificate(p), 5);
  t.after(() => watcher.close());
  const before = await connect(t, server.port);
  assert.equal(peerCn(before), 'one');

  // A key that does not match the certificate: the reload fails and the current certificate stays.
  const two = await certPair('two');
  const failed = once(watcher, 'reloadFailed');
  writeFileSync(join(dir, 'tls.crt'), two.cert);
  await failed;
  assert.equal(peerCn(await connect(t, server.port)), 'one');

  // The key arrives (written aside and renamed in, as a Secret update swaps its files).
  const reloaded = once(watcher, 'reloaded');
  writeFileSync(join(dir, 'key.tmp'), two.key);
  renameSync(join(dir, 'key.tmp'), join(dir, 'tls.key'));
  await reloaded;
  const after = await connect(t, server.port);
  assert.equal(peerCn(after), 'two');
  assert.equal((after.socket as TLSSocket).getProtocol(), 'TLSv1.3');
  assert.equal(await roundTrip(before), '12', 'the connection opened before the reload still carries calls');
  assert.equal(peerCn(before), 'one');
});
