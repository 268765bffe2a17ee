/**
 * The scrape loop against real HTTP servers on 127.0.0.1. Every wait is on an event (an onScrape call, a
 * request or a socket close); no test sleeps. Staleness is checked by moving a ManualClock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import type { EngineType } from '../framework/endpoint.ts';
import { Datastore } from '../datastore/datastore.ts';
import { ACTIVE_PORTS_ANNOTATION, ENGINE_LABEL, type PodSpec } from '../datastore/resources.ts';
import { ManualClock } from '../framework/clock.ts';
import { MetricsCollector, type MetricsCollectorOptions } from './collector.ts';
import { FakeModelServer, ScrapeRecorder, type ScrapeResult } from '../../test/support/datalayer/fake-model-server.ts';
import { fixture, VLLM_FIXTURE } from '../../test/support/datalayer/fixtures.ts';
import { selectorFromLabels } from '../input/label-selector.ts';

const T = { timeout: 10_000 };
const VLLM_PAGE = fixture(VLLM_FIXTURE);
const BUSY_PAGE = 'vllm:num_requests_waiting{engine="0"} 4.0\nvllm:num_requests_running{engine="0"} 2.0\nvllm:kv_cache_usage_perc{engine="0"} 0.5\n';

function pod(ip: string, engine: EngineType | undefined, annotations: Record<string, string> = {}): PodSpec {
  const labels: Record<string, string> = { app: 'ms' };
  if (engine) labels[ENGINE_LABEL] = engine;
  return { name: 'ms-0', namespace: 'ns', labels, annotations, ip, ready: true, terminating: false };
}

function datastore(ports: number[]): Datastore {
  return new Datastore({ poolName: 'pool', poolNamespace: 'ns', endpointSelector: selectorFromLabels({ app: 'ms' }), endpointTargetPorts: ports });
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

function setup(ds: Datastore, extra: Partial<MetricsCollectorOptions> = {}) {
  const clock = new ManualClock(1000);
  const scrapes = new ScrapeRecorder();
  const { logger, lines } = captureLogger();
  const collector = new MetricsCollector({ datastore: ds, clock, logger, intervalMs: 2, timeoutMs: 1000, onScrape: scrapes.hook, ...extra });
  return { clock, scrapes, collector, lines };
}

const okFor = (key: string) => (r: ScrapeResult) => r.ok && r.endpoint.key === key;

test('metrics of a real vLLM page reach the endpoint over one keep-alive connection', T, async (t) => {
  const server = await FakeModelServer.start(VLLM_PAGE);
  t.after(() => server.close());
  const ds = datastore([server.port]);
  ds.upsertPod(pod('127.0.0.1', undefined));
  const { clock, scrapes, collector } = setup(ds);
  t.after(() => collector.stop());
  const ep = ds.endpoints()[0]!;
  ep.waitingQueue = 99;

  collector.start();
  await scrapes.next(okFor(ep.key));
  assert.equal(ep.waitingQueue, 0);
  assert.equal(ep.runningRequests, 0);
  assert.equal(ep.kvCacheUsage, 0);
  assert.equal(ep.cacheBlockSize, 16);
  assert.equal(ep.cacheNumBlocks, 5623);
  assert.equal(ep.maxLora, 8);
  assert.deepEqual([...ep.activeAdapters].sort(), ['a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']);
  assert.equal(ep.metricsUpdatedAt, clock.now());

  server.page = BUSY_PAGE;
  await scrapes.count(3, okFor(ep.key));
  assert.equal(ep.waitingQueue, 4);
  assert.equal(ep.kvCacheUsage, 0.5);
  assert.equal(ep.maxLora, 0);
  assert.equal(ep.activeAdapters.size, 0);
  assert.equal(server.connections, 1, 'one keep-alive connection for every scrape');
  assert.ok(server.paths.every((p) => p === '/metrics'));
  assert.ok(collector.totalScrapes >= 4);
  assert.equal(collector.totalFailures, 0);
  assert.equal(collector.size, 1);
});

test('trtllm-serve is scraped on /prometheus/metrics; metricsPort overrides the endpoint port', T, async (t) => {
  const server = await FakeModelServer.start(
    'trtllm_num_requests_waiting 1\ntrtllm_num_requests_running 2\ntrtllm_kv_cache_utilization 0.25\n',
  );
  t.after(() => server.close());
  const ds = datastore([8000]); // nothing listens on 127.0.0.1:8000 in this test; the override must win
  ds.upsertPod(pod('127.0.0.1', 'trtllm-serve'));
  const { scrapes, collector } = setup(ds, { metricsPort: server.port });
  t.after(() => collector.stop());
  collector.start();
  const r = await scrapes.next();
  assert.equal(r.ok, true, r.error);
  assert.equal(r.endpoint.key, '127.0.0.1:8000');
  assert.equal(r.endpoint.kvCacheUsage, 0.25);
  assert.equal(server.paths[0], '/prometheus/metrics');
});

test('errors and timeouts count failures and leave the metrics to age; a success recovers', T, async (t) => {
  const server = await FakeModelServer.start(BUSY_PAGE);
  t.after(() => server.close());
  const ds = datastore([server.port]);
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  const { clock, scrapes, collector, lines } = setup(ds, { timeoutMs: 150 });
  t.after(() => collector.stop());
  const ep = ds.endpoints()[0]!;

  collector.start();
  await scrapes.next(okFor(ep.key));
  const goodAt = ep.metricsUpdatedAt;
  assert.equal(goodAt, 1000);

  server.mode = 'error';
  const http500 = await scrapes.next((r) => r.error === 'HTTP 500');
  assert.equal(http500.ok, false);
  clock.advance(300);
  assert.equal(ep.metricsUpdatedAt, goodAt, 'a failure does not refresh the metrics');
  assert.equal(ep.metricsAge(clock.now()), 300);
  assert.equal(ep.waitingQueue, 4, 'the last good values stay');
  assert.ok(ep.scrapeFailures >= 1 && ep.consecutiveScrapeFailures === ep.scrapeFailures);

  server.mode = 'hang';
  const timeout = await scrapes.next((r) => r.error === 'timeout after 150 ms');
  assert.equal(timeout.ok, false);
  assert.equal(ep.metricsUpdatedAt, goodAt);
  const failures = ep.scrapeFailures;
  assert.ok(failures >= 2);

  server.mode = 'ok';
  server.page = BUSY_PAGE.replace('4.0', '6.0');
  await scrapes.next(okFor(ep.key));
  assert.equal(ep.consecutiveScrapeFailures, 0);
  assert.equal(ep.scrapeFailures, failures, 'the failure total is kept');
  assert.equal(ep.metricsUpdatedAt, 1300);
  assert.equal(ep.waitingQueue, 6);
  assert.equal(collector.totalFailures, failures);

  const warns = lines.filter((l) => l.msg === 'metrics scrape failed');
  assert.equal(warns.length, 1, 'one line per endpoint per 10 s');
  assert.equal(warns[0]!.reason, 'HTTP 500');
  assert.equal(warns[0]!.endpoint, ep.key);
  assert.equal(lines.filter((l) => l.msg === 'metrics scrape recovered').length, 1);
});

test('failure logs are rate limited per endpoint and report how many were suppressed', T, async (t) => {
  const server = await FakeModelServer.start();
  server.mode = 'error';
  t.after(() => server.close());
  const ds = datastore([server.port]);
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  const { clock, scrapes, collector, lines } = setup(ds, { failureLogIntervalMs: 10_000 });
  t.after(() => collector.stop());
  collector.start();
  await scrapes.count(5, (r) => !r.ok);
  const warns = () => lines.filter((l) => l.msg === 'metrics scrape failed');
  assert.equal(warns().length, 1);
  assert.equal(warns()[0]!.suppressed, 0);

  const failuresBefore = collector.totalFailures;
  clock.advance(10_000);
  await scrapes.next((r) => !r.ok);
  assert.equal(warns().length, 2);
  assert.equal(warns()[1]!.suppressed, failuresBefore - 1);
  assert.equal(warns()[1]!.consecutiveFailures, failuresBefore + 1);
});

test('pages without the core metrics and refused connections are failures with a reason', T, async (t) => {
  const server = await FakeModelServer.start('# HELP nothing here\nother_metric 1\n');
  t.after(() => server.close());
  const closed = await FakeModelServer.start();
  const closedPort = closed.port;
  await closed.close();
  const ds = datastore([server.port, closedPort]);
  ds.upsertPod(pod('127.0.0.1', 'sglang'));
  const { scrapes, collector } = setup(ds);
  t.after(() => collector.stop());
  collector.start();
  const missing = scrapes.next((r) => r.endpoint.port === server.port);
  const refused = scrapes.next((r) => r.endpoint.port === closedPort);
  assert.equal((await missing).error, 'missing metrics: sglang:num_queue_reqs, sglang:num_running_reqs, sglang:token_usage');
  assert.match((await refused).error ?? '', /ECONNREFUSED/);
  for (const ep of ds.endpoints()) assert.equal(ep.metricsUpdatedAt, -1);
});

test('a removed endpoint stops being scraped at once and its connection closes', T, async (t) => {
  const a = await FakeModelServer.start(BUSY_PAGE);
  const b = await FakeModelServer.start(BUSY_PAGE);
  t.after(() => Promise.all([a.close(), b.close()]));
  const ds = datastore([a.port, b.port]);
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  const { scrapes, collector } = setup(ds);
  t.after(() => collector.stop());
  const [epA, epB] = [ds.endpoint(`127.0.0.1:${a.port}`)!, ds.endpoint(`127.0.0.1:${b.port}`)!];
  collector.start();
  await Promise.all([scrapes.next(okFor(epA.key)), scrapes.next(okFor(epB.key))]);

  ds.upsertPod(pod('127.0.0.1', 'vllm', { [ACTIVE_PORTS_ANNOTATION]: String(b.port) }));
  assert.equal(epA.removed, true);
  assert.equal(collector.size, 1);
  await a.allConnectionsClosed();
  const seenByA = a.requests;
  const resultsForA = scrapes.results.filter((r) => r.endpoint === epA).length;

  // B keeps being scraped while A hears nothing more.
  await scrapes.count(5, okFor(epB.key));
  assert.equal(a.requests, seenByA);
  assert.equal(a.openConnections, 0);
  assert.equal(scrapes.results.filter((r) => r.endpoint === epA).length, resultsForA);
});

test('scrapes of one endpoint never overlap, even when the server is slower than the interval', T, async (t) => {
  const server = await FakeModelServer.start(BUSY_PAGE);
  server.mode = 'slow';
  server.delayMs = 25;
  t.after(() => server.close());
  const ds = datastore([server.port]);
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  const { scrapes, collector } = setup(ds, { intervalMs: 1 });
  t.after(() => collector.stop());
  collector.start();
  await scrapes.count(4, (r) => r.ok);
  assert.equal(server.maxInflight, 1);
  assert.ok(server.requests <= scrapes.results.length + 1);
});

test('endpoints added after start are scraped; stop() closes a hanging scrape without waiting for its timeout', T, async (t) => {
  const server = await FakeModelServer.start(BUSY_PAGE);
  server.mode = 'hang';
  t.after(() => server.close());
  const ds = datastore([server.port]);
  const { scrapes, collector } = setup(ds, { timeoutMs: 60_000 });
  collector.start();
  assert.equal(collector.size, 0);
  const arrived = server.nextRequest();
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  assert.equal(collector.size, 1);
  await arrived;

  await collector.stop();
  assert.equal(collector.size, 0);
  await server.allConnectionsClosed();
  assert.equal(scrapes.results.length, 0, 'an aborted scrape is not reported');
  assert.equal(ds.endpoints()[0]!.scrapeFailures, 0);
  // Stopped for good: new endpoints are ignored.
  ds.upsertPod({ ...pod('127.0.0.2', 'vllm'), name: 'ms-1' });
  assert.equal(collector.size, 0);
});

test('options are validated', () => {
  const ds = datastore([8000]);
  const { logger } = captureLogger();
  const clock = new ManualClock();
  assert.throws(() => new MetricsCollector({ datastore: ds, clock, logger, intervalMs: 0 }), RangeError);
  assert.throws(() => new MetricsCollector({ datastore: ds, clock, logger, timeoutMs: -1 }), RangeError);
  assert.throws(() => new MetricsCollector({ datastore: ds, clock, logger, metricsPort: 70000 }), RangeError);
});

test('a scrape in flight past max(interval, 4x its usual duration, 50 ms) marks the endpoint as not answering until it ends', T, async (t) => {
  const server = await FakeModelServer.start(BUSY_PAGE);
  server.mode = 'hang';
  t.after(() => server.close());
  const ds = datastore([server.port]);
  const { clock, collector } = setup(ds, { timeoutMs: 60_000 });
  const arrived = server.nextRequest();
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  collector.start();
  await arrived;
  const ep = ds.endpoints()[0]!;
  assert.equal(ep.scrapeStallAt, clock.now() + 50);
  assert.equal(ep.isAnswering(clock.now() + 50), true);
  assert.equal(ep.isAnswering(clock.now() + 51), false, 'hung: out of the candidates long before the 60 s timeout');
  await collector.stop();
  assert.equal(ep.scrapeStallAt, Infinity);
});

test('a server closing the idle scrape connection (killed) is scraped at once, not at the next interval', T, async (t) => {
  const server = await FakeModelServer.start(BUSY_PAGE);
  t.after(() => server.close());
  const ds = datastore([server.port]);
  const { scrapes, collector } = setup(ds, { intervalMs: 60_000 });
  t.after(() => collector.stop());
  ds.upsertPod(pod('127.0.0.1', 'vllm'));
  collector.start();
  await scrapes.next((r) => r.ok);
  const failed = scrapes.next((r) => !r.ok);
  await server.close(); // connections reset, port closed: the immediate rescrape is refused
  const r = await failed;
  assert.match(r.error ?? '', /ECONNREFUSED|connect/);
  assert.equal(ds.endpoints()[0]!.isAnswering(0), false);
});
