/**
 * core-metrics-extractor `engineConfigs`: custom engines, overridden built-ins, custom metrics as endpoint
 * attributes, scraped through the real metric collector from a loopback server. Cases from upstream llm-d-router
 * `datalayer/extractor/metrics/metrics_extraction_from_config_test.go`, `spec_test.go`, `mapping_registry_test.go`
 * and the extractor README's custom engine example (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Datastore } from '../../../../datastore/datastore.ts';
import { ENGINE_LABEL } from '../../../../datastore/resources.ts';
import { MetricsCollector } from '../../../../datalayer/collector.ts';
import { EngineTable } from '../../../../datalayer/engines.ts';
import { parseMetricSpec } from '../../../../datalayer/engine-spec.ts';
import { ManualClock } from '../../../../framework/clock.ts';
import { selectorFromLabels } from '../../../../input/label-selector.ts';
import { FakeModelServer, ScrapeRecorder } from '../../../../../test/support/datalayer/fake-model-server.ts';
import { makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createEndpointAttributeFilter } from '../../../scheduling/filter/endpoint-attribute/endpoint-attribute.ts';
import { createCoreMetricsExtractor, createModelServerProtocolMetrics } from './core-metrics.ts';

const T = { timeout: 10_000 };

// The extractor README's custom engine example.
const CUSTOM = {
  engineConfigs: [
    {
      name: 'my-custom-engine',
      queuedRequestsSpec: 'custom_queue_size{status=waiting}',
      runningRequestsSpec: 'custom_running_size',
      kvUsageSpec: 'custom_cache_utilization',
      customMetrics: [{ attributeKey: 'custom.queue_depth', metricSpec: 'custom_queue_depth{tier=gold}' }],
    },
  ],
};
const CUSTOM_PAGE = `# TYPE custom_queue_size gauge
custom_queue_size{status="waiting"} 7
custom_queue_size{status="done"} 100
custom_running_size 3
custom_cache_utilization 0.25
custom_queue_depth{tier="silver"} 1
custom_queue_depth{tier="gold"} 42
`;

async function scrapeOnce(t: { after(f: () => unknown): void }, page: string, params: unknown, engineLabel: string | undefined) {
  const server = await FakeModelServer.start(page);
  t.after(() => server.close());
  const ex = createCoreMetricsExtractor('core-metrics-extractor', params, testHandle());
  const table = new EngineTable(ex.engines.engineConfigs);
  const ds = new Datastore({
    poolName: 'pool',
    poolNamespace: 'ns',
    endpointSelector: selectorFromLabels({ app: 'ms' }),
    endpointTargetPorts: [server.port],
    engines: table.names(),
    ...(ex.engines.defaultEngine ? { defaultEngine: ex.engines.defaultEngine } : {}),
  });
  ds.upsertPod({ name: 'ms-0', namespace: 'ns', labels: { app: 'ms', ...(engineLabel ? { [ENGINE_LABEL]: engineLabel } : {}) }, annotations: {}, ip: '127.0.0.1', ready: true, terminating: false });
  const scrapes = new ScrapeRecorder();
  const collector = new MetricsCollector({ datastore: ds, clock: new ManualClock(1000), logger: pino({ level: 'silent' }), intervalMs: 5, timeoutMs: 1000, onScrape: scrapes.hook, engines: table });
  t.after(() => collector.stop());
  collector.start();
  const r = await scrapes.next(() => true);
  return { ep: ds.endpoints()[0]!, ok: r.ok, error: r.error ?? '', paths: server.paths };
}

test('engineConfigs: a custom engine\'s queue, running, KV and custom metric reach the endpoint; the filter reads the custom one', T, async (t) => {
  const { ep, ok } = await scrapeOnce(t, CUSTOM_PAGE, CUSTOM, 'my-custom-engine');
  assert.ok(ok);
  assert.equal(ep.engine, 'my-custom-engine');
  assert.equal(ep.waitingQueue, 7);
  assert.equal(ep.runningRequests, 3);
  assert.equal(ep.kvCacheUsage, 0.25);
  assert.equal(ep.attributes.get('custom.queue_depth/core-metrics-extractor'), 42);
  const f = createEndpointAttributeFilter('f', { attribute: 'custom.queue_depth', onMissing: 'Fail', algorithm: { type: 'threshold', threshold: { operator: 'LessThan', value: 10 } } }, testHandle());
  assert.equal(f.filter(makeRequest(), [ep], 1), 0, '42 is not < 10');
});

test('engineConfigs: a spec with two label matchers selects the series matching both (upstream labelsMatch)', T, async (t) => {
  const params = { engineConfigs: [{ name: 'e', queuedRequestsSpec: 'q{kind=waiting,pool=a}', runningRequestsSpec: 'r' }] };
  const page = 'q{kind="waiting",pool="b"} 50\nq{kind="waiting",pool="a"} 6\nq{kind="done",pool="a"} 70\nr 1\n';
  const { ep, ok, error } = await scrapeOnce(t, page, params, 'e');
  assert.ok(ok, error);
  assert.equal(ep.waitingQueue, 6);
});

test('engineConfigs: defaultEngine may name a configured engine (unlabelled pods use it)', T, async (t) => {
  const { ep, ok } = await scrapeOnce(t, CUSTOM_PAGE, { ...CUSTOM, defaultEngine: 'my-custom-engine' }, undefined);
  assert.ok(ok);
  assert.equal(ep.engine, 'my-custom-engine');
  assert.equal(ep.waitingQueue, 7);
});

test('engineConfigs: an entry replaces the built-in engine of its name; an empty spec is not required', T, async (t) => {
  // vllm renamed: only the configured names count, and no KV spec means no KV requirement.
  const params = { engineConfigs: [{ name: 'vllm', queuedRequestsSpec: 'my_waiting', runningRequestsSpec: 'my_running' }] };
  const { ep, ok, error } = await scrapeOnce(t, 'my_waiting 5\nmy_running 2\nvllm:num_requests_waiting 99\n', params, 'vllm');
  assert.ok(ok, error);
  assert.equal(ep.waitingQueue, 5);
  assert.equal(ep.kvCacheUsage, 0);
});

test('engineConfigs: a page missing a configured figure fails the scrape, naming it', T, async (t) => {
  const { ok, error } = await scrapeOnce(t, 'custom_running_size 3\ncustom_cache_utilization 0.25\n', CUSTOM, 'my-custom-engine');
  assert.equal(ok, false);
  assert.match(error, /custom_queue_size\{status="waiting"\}/);
});

test('model-server-protocol-metrics (GIE v1.4 name) reads the same parameters', () => {
  const p = createModelServerProtocolMetrics('model-server-protocol-metrics', { defaultEngine: 'sglang', engineConfigs: [{ name: 'triton', queuedRequestsSpec: 'nv_trt_llm_request_metrics{request_type=waiting}', kvUsageSpec: 'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}' }] }, testHandle());
  assert.equal(p.type, 'model-server-protocol-metrics');
  assert.equal(p.engines.defaultEngine, 'sglang');
  assert.equal(p.engines.engineConfigs[0]!.name, 'triton');
});

test('metric spec syntax (upstream spec_test.go)', () => {
  assert.deepEqual(parseMetricSpec('vllm:num_requests_waiting'), { name: 'vllm:num_requests_waiting', label: '', value: '' });
  assert.deepEqual(parseMetricSpec('m{a=b}'), { name: 'm', label: 'a', value: 'b' });
  assert.deepEqual(parseMetricSpec(' m { a = "b c" } '), { name: 'm', label: 'a', value: 'b c' });
  assert.equal(parseMetricSpec(''), undefined);
  assert.throws(() => parseMetricSpec('1bad'), /not a valid metric specification/);
  assert.throws(() => parseMetricSpec('m{a}'), /invalid label pair/);
  assert.deepEqual(parseMetricSpec('m{a=b, c="d"}'), { name: 'm', label: 'a', value: 'b', more: [['c', 'd']] });
});

test('engineConfigs: parameter errors name the field', () => {
  const bad: [unknown, RegExp][] = [
    [{ engineConfigs: [{ queuedRequestsSpec: 'q' }] }, /parameters\.engineConfigs\[0\]\.name: engine config name cannot be empty/],
    [{ engineConfigs: [{ name: 'default' }] }, /parameters\.engineConfigs\[0\]\.name: engine config name cannot be "default" \(reserved\)/],
    [{ engineConfigs: [{ name: 'e', kvUsageSpec: '9x' }] }, /parameters\.engineConfigs\[0\]\.kvUsageSpec: not a valid metric specification/],
    [{ engineConfigs: [{ name: 'e', customMetrics: [{ attributeKey: '', metricSpec: 'm' }] }] }, /customMetrics\[0\]\.attributeKey: custom metric attributeKey cannot be empty/],
    [{ engineConfigs: [{ name: 'e', customMetrics: [{ attributeKey: 'a', metricSpec: 'm' }, { attributeKey: 'a', metricSpec: 'n' }] }] }, /customMetrics\[1\]\.attributeKey: custom metric attributeKey "a" is duplicated/],
    [{ engineConfigs: [{ name: 'e', customMetrics: [{ attributeKey: 'a' }] }] }, /customMetrics\[0\]\.metricSpec: custom metric "a" spec cannot be empty/],
    [{ engineConfigs: [{ name: 'e' }, { name: 'e' }] }, /parameters\.engineConfigs\[1\]\.name: engine "e" is configured twice/],
    [{ engineConfigs: [{ name: 'e', queueSpec: 'q' }] }, /parameters\.engineConfigs\[0\]\.queueSpec: unknown parameter/],
    [{ defaultEngine: 'nope' }, /parameters\.defaultEngine: defaultEngine "nope" not found in engineConfigs/],
  ];
  for (const [params, re] of bad) assert.throws(() => createCoreMetricsExtractor('c', params, testHandle()), re);
  assert.equal(createCoreMetricsExtractor('c', { defaultEngine: 'triton' }, testHandle()).engines.defaultEngine, 'triton', 'built-in triton');
});
