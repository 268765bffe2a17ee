/** One endpoint's scrape loop: what a malformed page and the adapter lists do (the rest is in collector.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint } from '../framework/endpoint.ts';
import { ManualClock } from '../framework/clock.ts';
import { FakeModelServer } from '../../test/support/datalayer/fake-model-server.ts';
import { EndpointScraper, type ScraperConfig } from './scraper.ts';

const GOOD = 'vllm:num_requests_waiting{engine="0"} 4.0\nvllm:num_requests_running{engine="0"} 2.0\nvllm:kv_cache_usage_perc{engine="0"} 0.5\n' +
  'vllm:lora_requests_info{max_lora="4",running_lora_adapters="adapter-one,adapter-two",waiting_lora_adapters=""} 1.7e9\n';

function scraperFor(server: FakeModelServer) {
  const results: { ok: boolean; reason: string }[] = [];
  let waiter: (() => void) | null = null;
  const config: ScraperConfig = {
    intervalMs: 1,
    timeoutMs: 1000,
    clock: new ManualClock(5),
    metricsPort: 0,
    metricsPath: '',
    onResult: (_s, ok, _ms, reason) => {
      results.push({ ok, reason });
      waiter?.();
    },
  };
  const ep = new Endpoint('127.0.0.1', server.port, 'pod', 'ns', 0, 'vllm');
  const scraper = new EndpointScraper(ep, config);
  const next = () => new Promise<{ ok: boolean; reason: string }>((resolve) => (waiter = () => resolve(results.at(-1)!)));
  return { ep, scraper, next };
}

test('a malformed wanted line fails the scrape with a reason and the loop goes on', async (t) => {
  const server = await FakeModelServer.start('vllm:num_requests_waiting{engine="0" 4.0\n');
  t.after(() => server.close());
  const { ep, scraper, next } = scraperFor(server);
  t.after(() => scraper.stop());
  scraper.start();
  const bad = await next();
  assert.equal(bad.ok, false);
  assert.match(bad.reason, /label set/);
  assert.equal(ep.metricsUpdatedAt, -1);
  server.page = GOOD;
  assert.deepEqual(await next(), { ok: true, reason: '' });
  assert.equal(ep.waitingQueue, 4);
  assert.deepEqual([...ep.activeAdapters], ['adapter-one', 'adapter-two']);
  assert.equal(ep.metricsUpdatedAt, 5);
});

test('an unchanged adapter list keeps the endpoint set object', async (t) => {
  const server = await FakeModelServer.start(GOOD);
  t.after(() => server.close());
  const { ep, scraper, next } = scraperFor(server);
  t.after(() => scraper.stop());
  scraper.start();
  await next();
  const first = ep.activeAdapters;
  await next();
  await next();
  assert.equal(ep.activeAdapters, first);
  server.page = GOOD.replace('adapter-two', 'adapter-three');
  await next();
  assert.deepEqual([...ep.activeAdapters], ['adapter-one', 'adapter-three']);
});

test('pages whose layout changes between scrapes: moved families are found, a family missing from one page fails it and is read again when back', async (t) => {
  const server = await FakeModelServer.start(GOOD);
  t.after(() => server.close());
  const { ep, scraper, next } = scraperFor(server);
  t.after(() => scraper.stop());
  scraper.start();
  assert.equal((await next()).ok, true);
  assert.equal(ep.waitingQueue, 4);
  // 500 lines inserted before the families: far from where the locator looked last time.
  const filler = Array.from({ length: 500 }, (_, i) => `other_metric_bucket{le="${i}"} ${i}.0\n`).join('');
  server.page = filler + GOOD.replace('} 4.0', '} 9.0');
  assert.equal((await next()).ok, true);
  assert.equal(ep.waitingQueue, 9);
  // The waiting family goes away: a failure naming it, not a stale value.
  server.page = filler + GOOD.split('\n').slice(1).join('\n');
  const missing = await next();
  assert.equal(missing.ok, false);
  assert.match(missing.reason, /vllm:num_requests_waiting/);
  // Back, at the end of the page: read at the next scrape.
  server.page = `${filler}${GOOD.split('\n').slice(1).join('\n')}vllm:num_requests_waiting{engine="0"} 7.0\n`;
  assert.equal((await next()).ok, true);
  assert.equal(ep.waitingQueue, 7);
});

test('a page larger than one socket read (joined by the parser) is read through the locator too', async (t) => {
  // ~400 KB of other metrics before the wanted ones: several reads, joined in the parser's own buffer.
  const filler = Array.from({ length: 8000 }, (_, i) => `other_metric_bucket{le="${i}",path="/a/long/label/value"} ${i}.0\n`).join('');
  const server = await FakeModelServer.start(filler + GOOD);
  t.after(() => server.close());
  const { ep, scraper, next } = scraperFor(server);
  t.after(() => scraper.stop());
  scraper.start();
  assert.deepEqual(await next(), { ok: true, reason: '' });
  assert.equal(ep.waitingQueue, 4);
  server.page = filler + GOOD.replace('} 4.0', '} 6.0');
  assert.deepEqual(await next(), { ok: true, reason: '' });
  assert.equal(ep.waitingQueue, 6);
  assert.deepEqual([...ep.activeAdapters], ['adapter-one', 'adapter-two']);
});
