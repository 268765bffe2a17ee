/**
 * /metrics protection against the fake API server: TokenReview then SubjectAccessReview (get /metrics) as
 * controller-runtime's filter, the review caches (time injected), the static token of standalone mode, and
 * HTTPS with client-certificate verification (--metrics-cert-dir, --metrics-client-ca-file).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { generate } from 'selfsigned';
import { KubeClient } from '../../src/k8s/client.ts';
import { kubeAccessReviewer } from '../../src/k8s/access-review.ts';
import { ALLOW_CACHE_MS, DENY_CACHE_MS, MetricsAuth, TOKEN_CACHE_MS } from '../../src/observability/metrics-auth.ts';
import { startMetricsServer, type MetricsServerOptions } from '../../src/observability/metrics-server.ts';
import { FakeApiServer } from '../support/k8s/fake-apiserver.ts';

async function serve(t: TestContext, options: MetricsServerOptions): Promise<number> {
  const server = await startMetricsServer(new Registry(), '127.0.0.1', 0, options);
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return server.boundPort;
}

async function get(port: number, token?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: (await res.text()).trim() };
}

test('TokenReview + SubjectAccessReview on /metrics: 401, 403, 200, 500, with cached answers', async (t) => {
  const api = await FakeApiServer.start();
  const client = new KubeClient(api.kubeConfig());
  t.after(async () => {
    await client.close();
    await api.close();
  });
  api.reviewTokens.set('prom-token', { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'] });
  api.reviewTokens.set('other-token', { username: 'alice' });
  api.allowedAccess.add('system:serviceaccount:monitoring:prometheus get /metrics');
  let now = 1_000_000;
  const auth = new MetricsAuth({ reviewer: kubeAccessReviewer(client), now: () => now });
  const port = await serve(t, { auth });
  const reviews = () => api.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop());

  assert.deepEqual(await get(port), { status: 401, body: 'Unauthorized' });
  assert.deepEqual(reviews(), [], 'no token: no API call');
  assert.deepEqual(await get(port, 'wrong'), { status: 401, body: 'Unauthorized' });
  assert.deepEqual(await get(port, 'other-token'), { status: 403, body: 'Authorization denied for user alice' });
  const ok = await get(port, 'prom-token');
  assert.equal(ok.status, 200);
  assert.deepEqual(reviews(), ['tokenreviews', 'tokenreviews', 'subjectaccessreviews', 'tokenreviews', 'subjectaccessreviews']);

  // Cached: no more reviews for repeated scrapes, within each TTL.
  for (let i = 0; i < 3; i++) assert.equal((await get(port, 'prom-token')).status, 200);
  assert.equal((await get(port, 'other-token')).status, 403);
  assert.equal(reviews().length, 5);
  now += DENY_CACHE_MS + 1; // past the denial (30 s), within the token answers (1 min)
  assert.ok(DENY_CACHE_MS < TOKEN_CACHE_MS);
  assert.equal((await get(port, 'other-token')).status, 403);
  assert.deepEqual(reviews().slice(5), ['subjectaccessreviews'], 'a denial is re-checked after 30 s');
  now += TOKEN_CACHE_MS;
  api.allowedAccess.add('alice get /metrics');
  assert.equal((await get(port, 'other-token')).status, 200, 'now allowed, seen once the denial expired');
  assert.equal((await get(port, 'prom-token')).status, 200);
  assert.ok(ALLOW_CACHE_MS > TOKEN_CACHE_MS + DENY_CACHE_MS);
  assert.deepEqual(reviews().slice(6), ['tokenreviews', 'subjectaccessreviews', 'tokenreviews'], 'the allowed answer (5 min) is still cached');

  // API failures are 500 and not cached.
  now += TOKEN_CACHE_MS + 1;
  api.failNext((r) => r.path.endsWith('/tokenreviews'), 500);
  assert.deepEqual(await get(port, 'prom-token'), { status: 500, body: 'Authentication failed' });
  assert.equal((await get(port, 'prom-token')).status, 200);
  assert.ok(auth.cacheSizes().tokens <= 4);
});

test('a static token (standalone mode) needs no API server', async (t) => {
  const port = await serve(t, { auth: new MetricsAuth({ staticToken: 's3cret' }) });
  assert.equal((await get(port)).status, 401);
  assert.equal((await get(port, 's3cre')).status, 401);
  assert.equal((await get(port, 's3cret')).status, 200);
});

test('--metrics-cert-dir serves HTTPS; --metrics-client-ca-file requires a client certificate from that CA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'epp-metrics-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256' });
  const clientCert = await generate([{ name: 'commonName', value: 'prometheus' }], { keyType: 'ec', curve: 'P-256' });
  const stranger = await generate([{ name: 'commonName', value: 'stranger' }], { keyType: 'ec', curve: 'P-256' });
  writeFileSync(join(dir, 'tls.crt'), server.cert);
  writeFileSync(join(dir, 'tls.key'), server.private);
  const port = await serve(t, { certDir: dir, clientCa: Buffer.from(clientCert.cert) });
  const scrape = (cert?: { cert: string; private: string }) =>
    new Promise<number>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false, ...(cert ? { cert: cert.cert, key: cert.private } : {}) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
  assert.equal(await scrape(clientCert), 200);
  await assert.rejects(scrape());
  await assert.rejects(scrape(stranger));
});

test('the picker in standalone mode: /metrics open by default, token-protected with --metrics-auth-token-file, refused startup for explicit auth without one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'epp-metrics-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 'local-token\n');
  const { parseFlags } = await import('../../src/cli/flags.ts');
  const { startPicker, StartupError } = await import('../../src/runner.ts');
  const { silentLogger } = await import('../support/k8s/helpers.ts');
  const base = ['--resources', 'examples/standalone/resources.yaml', '--config-file', 'examples/standalone/scheduler.yaml', '--secure-serving=false', '--bind-address=127.0.0.1', '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0'];
  const open = await startPicker(parseFlags(base, {}), silentLogger, undefined, { env: {} });
  t.after(() => open.stop());
  assert.equal((await get(open.metricsPort)).status, 200);
  const guarded = await startPicker(parseFlags([...base, `--metrics-auth-token-file=${join(dir, 'token')}`], {}), silentLogger, undefined, { env: {} });
  t.after(() => guarded.stop());
  assert.equal((await get(guarded.metricsPort)).status, 401);
  assert.equal((await get(guarded.metricsPort, 'local-token')).status, 200);
  await assert.rejects(startPicker(parseFlags([...base, '--metrics-endpoint-auth=true'], {}), silentLogger, undefined, { env: {} }), (e: Error) => e instanceof StartupError && /needs --metrics-auth-token-file/.test(e.message));
});
