import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint } from '../framework/endpoint.ts';
import { adapterSet, MetricsWriter, ScrapedMetrics } from './scraped-metrics.ts';

function scraped(running: string, waiting = ''): ScrapedMetrics {
  const m = new ScrapedMetrics();
  m.waitingQueue = 3;
  m.runningRequests = 2;
  m.kvCacheUsage = 0.5;
  m.maxLora = 8;
  m.runningAdapters = running;
  m.waitingAdapters = waiting;
  m.cacheBlockSize = 16;
  m.cacheNumBlocks = 100;
  return m;
}

test('write copies every metric and stamps metricsUpdatedAt', () => {
  const ep = new Endpoint('10.0.0.1', 8000, 'p', 'ns', 0, 'vllm');
  new MetricsWriter().write(ep, scraped('a1,a2', 'a3'), 1234);
  assert.deepEqual(
    [ep.waitingQueue, ep.runningRequests, ep.kvCacheUsage, ep.maxLora, ep.cacheBlockSize, ep.cacheNumBlocks, ep.metricsUpdatedAt],
    [3, 2, 0.5, 8, 16, 100, 1234],
  );
  assert.deepEqual([...ep.activeAdapters].sort(), ['a1', 'a2']);
  assert.deepEqual([...ep.waitingAdapters], ['a3']);
});

test('the adapter Set is replaced only when membership changes', () => {
  const ep = new Endpoint('10.0.0.1', 8000, 'p', 'ns', 0, 'vllm');
  const w = new MetricsWriter();
  w.write(ep, scraped('a1,a2'), 1);
  const first = ep.activeAdapters;
  w.write(ep, scraped('a1,a2'), 2);
  assert.equal(ep.activeAdapters, first, 'same list');
  w.write(ep, scraped('a2,a1'), 3);
  assert.equal(ep.activeAdapters, first, 'same set, other order');
  w.write(ep, scraped('a2,a3'), 4);
  assert.notEqual(ep.activeAdapters, first);
  assert.deepEqual([...ep.activeAdapters].sort(), ['a2', 'a3']);
  w.write(ep, scraped(''), 5);
  assert.equal(ep.activeAdapters.size, 0);
});

test('a new writer still clears adapters an endpoint already holds', () => {
  const ep = new Endpoint('10.0.0.1', 8000, 'p', 'ns', 0, 'vllm');
  ep.activeAdapters = new Set(['old']);
  new MetricsWriter().write(ep, scraped(''), 1);
  assert.equal(ep.activeAdapters.size, 0);
});

test('adapterSet trims, drops empty names and de-duplicates', () => {
  const none: ReadonlySet<string> = new Set();
  assert.deepEqual([...adapterSet(none, ' a , b,,a ')].sort(), ['a', 'b']);
  assert.equal(adapterSet(none, ''), none);
  assert.equal(adapterSet(new Set(['x']), '').size, 0);
  const ab = new Set(['a', 'b']);
  assert.equal(adapterSet(ab, 'b,a,a'), ab);
});
