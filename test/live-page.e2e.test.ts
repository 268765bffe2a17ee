/** The live page's server side on the real picker: same auth as /metrics, bounded SSE clients, off with a flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixture } from './support/picker-fixture.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Opens /ui/events; resolves with the status and, for 200, the first snapshot. */
function events(port: number, headers: Record<string, string> = {}): Promise<{ status: number; first: unknown; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ui/events', headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve({ status: res.statusCode ?? 0, first: null, req });
      }
      assert.equal(res.headers['content-type'], 'text/event-stream');
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        const m = /^data: (.*)\n\n/m.exec(text);
        if (m) resolve({ status: 200, first: JSON.parse(m[1]!), req });
      });
    });
    req.on('error', reject);
  });
}

test('the page and its events need the /metrics token; with it, snapshots list the endpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'epp-live-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 's3cret\n');
  const fx = await startFixture({ servers: 2, flags: ['--metrics-auth-token-file', tokenFile] });
  try {
    await fx.synced();
    const base = `http://127.0.0.1:${fx.picker.metricsPort}`;
    for (const path of ['/', '/ui/app.js', '/ui/uPlot.iife.min.js']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 401, path);
      await res.text();
    }
    assert.equal((await events(fx.picker.metricsPort)).status, 401);
    const auth = { authorization: 'Bearer s3cret' };
    const page = await fetch(base + '/', { headers: auth });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="\/ui\/uPlot\.iife\.min\.js">/);
    const uplot = await fetch(base + '/ui/uPlot.iife.min.js', { headers: auth });
    assert.equal(uplot.status, 200);
    assert.match(await uplot.text(), /uPlot/);
    const e = await events(fx.picker.metricsPort, auth);
    assert.equal(e.status, 200);
    const snap = e.first as { pools: { name: string; endpoints: { key: string; health: string }[] }[] };
    assert.equal(snap.pools[0]!.name, 'pool');
    assert.deepEqual(snap.pools[0]!.endpoints.map((x) => x.key).sort(), fx.servers.map((s) => `${s.host}:${fx.port}`).sort());
    assert.ok(snap.pools[0]!.endpoints.every((x) => x.health === 'ok'));
    e.req.destroy();
  } finally {
    await fx.close();
  }
});

test('at most 16 pages at once: the next one gets 503; a closed one frees its place', async () => {
  const fx = await startFixture({ servers: 1 });
  try {
    const open: http.ClientRequest[] = [];
    for (let i = 0; i < 16; i++) {
      const e = await events(fx.picker.metricsPort);
      assert.equal(e.status, 200);
      open.push(e.req);
    }
    assert.equal((await events(fx.picker.metricsPort)).status, 503);
    const closed = new Promise((resolve) => open[0]!.socket!.once('close', resolve));
    open[0]!.destroy();
    await closed;
    // The server sees the close asynchronously: retry the 17th until it is let in (bounded).
    let status = 503;
    for (let i = 0; i < 50 && status === 503; i++) {
      const e = await events(fx.picker.metricsPort);
      status = e.status;
      open.push(e.req);
    }
    assert.equal(status, 200);
    for (const r of open) r.destroy();
  } finally {
    await fx.close();
  }
});

test('--live-page=false: no page', async () => {
  const fx = await startFixture({ servers: 1, flags: ['--live-page=false'] });
  try {
    for (const path of ['/', '/ui/events']) {
      const res = await fetch(`http://127.0.0.1:${fx.picker.metricsPort}${path}`);
      assert.equal(res.status, 404, path);
      await res.text();
    }
  } finally {
    await fx.close();
  }
});
