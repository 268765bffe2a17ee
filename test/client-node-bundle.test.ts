/**
 * The @kubernetes/client-node bundle that `npm run build` (and the image) puts in place of
 * src/k8s/client-node.js: same names, none of the generated API clients, and it works against an API server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleClientNode } from '../scripts/bundle-client-node.ts';
import * as shim from '../src/k8s/client-node.ts';
import { FakeApiServer } from './support/k8s/fake-apiserver.ts';
import { NS, pod } from './support/k8s/objects.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

test('the bundle exports what src/k8s/client-node.ts does, without the generated API clients, and watches', async (t) => {
  // Inside the checkout, so the bundle's imports of the library's dependencies resolve as from dist/.
  const root = mkdtempSync(join(ROOT, '.bundle-test-'));
  const server = await FakeApiServer.start();
  t.after(async () => {
    rmSync(root, { recursive: true, force: true });
    await server.close();
  });
  const r = await bundleClientNode(root);
  const bundled = (await import(pathToFileURL(r.file).href)) as typeof shim;
  assert.deepEqual(Object.keys(bundled).sort(), Object.keys(shim).sort());
  const text = readFileSync(r.file, 'utf8');
  assert.doesNotMatch(text, /class CoreV1Api\b/, 'the generated API clients are left out');
  assert.ok(r.externals.includes('undici'), `imports ${r.externals.join(', ')}`);

  // The bundled classes talk to an API server: credentials onto a request, and a watch that sees a pod.
  const kc = new bundled.KubeConfig();
  kc.loadFromString(server.kubeConfig().exportConfig());
  const ctx = new bundled.RequestContext(`${server.url}/api/v1/namespaces/${NS}/pods`, 'GET');
  await kc.applySecurityAuthentication(ctx);
  assert.equal(ctx.getHeaders().Authorization, 'Bearer fake-token');
  const seen = new Promise<string>((resolve, reject) => {
    const watching = new bundled.Watch(kc).watch(`/api/v1/namespaces/${NS}/pods`, {}, (type, obj: { metadata: { name: string } }) => resolve(`${type} ${obj.metadata.name}`), (err) => err && reject(err));
    t.after(async () => (await watching).abort());
  });
  server.apply(pod('p1', { ip: '127.0.0.1' }));
  assert.equal(await seen, 'ADDED p1');
  assert.match(new bundled.V1MicroTime(0).toISOString(), /^1970-01-01T00:00:00\.000000Z$/);
});

test('only src/k8s/client-node.ts imports @kubernetes/client-node, so the bundle covers every use', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && p !== join(ROOT, 'src', 'k8s', 'client-node.ts')) {
        if (/from '@kubernetes\/client-node/.test(readFileSync(p, 'utf8'))) offenders.push(p);
      }
    }
  };
  walk(join(ROOT, 'src'));
  assert.deepEqual(offenders, []);
});
