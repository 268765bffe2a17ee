/**
 * The live pool page in a real headless Chromium (Debian's package, driven by playwright-core) against the
 * real picker and fake vLLM servers: the page loads, the endpoints appear, numbers change when the load does,
 * and a screenshot is saved to test-artifacts/live-page.png (UPDATE_DOCS_SCREENSHOT=1 also writes
 * docs/img/live-page.png, the one the README shows).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startFixture, type Fixture } from './support/picker-fixture.ts';

/** The page's DOM as the waitForFunction callbacks (run in the browser) use it; the project compiles without lib.dom. */
declare const document: {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { textContent: string | null } | null;
  getElementById(id: string): { textContent: string | null } | null;
  body: { dataset: Record<string, string | undefined> };
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACT = join(ROOT, 'test-artifacts', 'live-page.png');
// Long enough for whole prefix-cache blocks, so repeats of it show a prefix hit rate.
const PROMPT = { model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'You are a helpful operator assistant. '.repeat(60) + 'Summarise the state of the pool.', max_tokens: 16 };
const WAIT = { timeout: 20_000 };

let fx: Fixture;
let browser: BrowserContext;
let profileDir: string;
let page: Page;
let load = true;
let loadDone: Promise<void> = Promise.resolve();

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`);
  fx = await startFixture({ servers: 3, flags: ['--enable-explain-header'] });
  Object.assign(fx.servers[0]!.load, { waiting: 7, running: 4, kv: 0.8, loras: ['sql-lora'] });
  Object.assign(fx.servers[1]!.load, { waiting: 0, running: 1, kv: 0.1 });
  Object.assign(fx.servers[2]!.load, { waiting: 2, running: 3, kv: 0.4 });
  await fx.synced();
  profileDir = mkdtempSync(join(tmpdir(), 'epp-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 }, timeout: 30_000 });
  page = await browser.newPage();
});

after(async () => {
  load = false;
  await loadDone;
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await fx?.close();
});

/** Requests through the picker, one after another, until stopped (the load the page should show). */
async function generateLoad(): Promise<void> {
  while (load) {
    const { session } = await fx.envoy.request({ body: PROMPT, path: '/v1/completions' });
    session.close();
  }
}

const cell = (endpoint: string, cls: string) => page.locator(`#endpoints tr[data-endpoint="${endpoint}"] td.${cls}`);

test('the live page shows the pool, follows the load, and is screenshotted', async () => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const res = await page.goto(`http://127.0.0.1:${fx.picker.metricsPort}/`);
  assert.equal(res?.status(), 200);

  // Endpoints appear, with the scraped numbers.
  await page.waitForFunction(() => document.querySelectorAll('#endpoints tbody tr[data-endpoint]').length === 3, null, WAIT);
  const busy = `127.0.0.2:${fx.port}`;
  assert.equal(await cell(busy, 'queue').textContent(), '7');
  assert.equal(await cell(busy, 'kv').textContent(), '80%');
  assert.match(await page.locator(`#endpoints tr[data-endpoint="${busy}"]`).textContent() ?? '', /sql-lora/);
  assert.equal(await page.locator('#total-picks').textContent(), '0.0');

  // Load changes: the queue numbers follow the servers, picks per second and sampled decisions appear.
  fx.servers[0]!.load.waiting = 1;
  fx.servers[1]!.load.waiting = 9;
  loadDone = generateLoad();
  await page.waitForFunction((ep) => document.querySelector(`#endpoints tr[data-endpoint="${ep}"] td.queue`)?.textContent === '1', busy, WAIT);
  await page.waitForFunction(() => Number(document.getElementById('total-picks')?.textContent) > 0, null, WAIT);
  await page.waitForFunction(() => document.querySelectorAll('#decisions .decision tr.picked').length > 0, null, WAIT);
  const snapshots = Number(await page.evaluate(() => document.body.dataset.snapshots));
  await page.waitForFunction((n) => Number(document.body.dataset.snapshots) > n + 2, snapshots, WAIT);
  assert.ok(Number(await cell(`127.0.0.3:${fx.port}`, 'picks').textContent()) + Number(await cell(`127.0.0.4:${fx.port}`, 'picks').textContent()) + Number(await cell(busy, 'picks').textContent()) > 0);
  assert.ok((await page.locator('#chart-picks canvas').count()) > 0, 'uPlot drew the picks chart');
  assert.deepEqual(errors, []);

  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: ARTIFACT, fullPage: true });
  assert.ok(existsSync(ARTIFACT));
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(ARTIFACT, join(ROOT, 'docs', 'img', 'live-page.png'));
});
