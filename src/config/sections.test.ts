/** The EndpointPickerConfig sections beyond plugins and profiles: apiVersion, featureGates, requestHandler, dataLayer, flowControl. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadSchedulerConfig, type LoadedSchedulerConfig } from './loader.ts';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';

const HEAD = 'apiVersion: llm-d.ai/v1alpha1\nkind: EndpointPickerConfig\n';
const load = (text: string): LoadedSchedulerConfig => loadSchedulerConfig(text, testHandle(), { registry: inTreePluginRegistry() });
function problems(text: string): readonly string[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail('the config loaded');
}

test('apiVersion: llm-d.ai/v1alpha1, and the GIE group with a deprecation warning', () => {
  assert.deepEqual(load(`${HEAD}plugins: []\n`).warnings, []);
  const old = load('apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n');
  assert.match(old.warnings[0]!, /^apiVersion: "inference.networking.x-k8s.io\/v1alpha1" is deprecated/);
});

test('featureGates: registered gates, name=bool; unknown gates and bad values are errors', () => {
  const loaded = load(`${HEAD}featureGates: [flowControl, haPopulateNonLeaderDatastore=false]\n`);
  assert.equal(loaded.featureGates.get('flowControl'), true);
  assert.equal(loaded.featureGates.get('haPopulateNonLeaderDatastore'), false);
  assert.equal(load(HEAD).featureGates.get('flowControl'), false, 'defaults');
  assert.match(problems(`${HEAD}featureGates: [qwerty]\n`)[0]!, /^featureGates\[0\]: feature gate 'qwerty' is unknown or unregistered/);
  assert.match(problems(`${HEAD}featureGates: [flowControl=qwerty]\n`)[0]!, /^featureGates\[0\]: "qwerty" is not a valid value/);
  assert.match(problems(`${HEAD}featureGates: [3]\n`)[0]!, /^featureGates\[0\]: must be a string/);
});

test('requestHandler.parsers: config order; the default is openai, anthropic, vllmhttp, passthrough', () => {
  assert.deepEqual(load(HEAD).parsers.map((p) => p.type), ['openai-parser', 'anthropic-parser', 'vllmhttp-parser', 'passthrough-parser']);
  const loaded = load(`${HEAD}plugins:\n- name: sg\n  type: sglanghttp-parser\nrequestHandler:\n  parsers:\n  - pluginRef: sg\n  - pluginRef: openai-parser\n`);
  assert.deepEqual(loaded.parsers.map((p) => p.name), ['sg', 'openai-parser'], 'a reference naming a parser type instantiates it, as upstream');
  assert.deepEqual(problems(`${HEAD}requestHandler:\n  parsers:\n  - pluginRef: nope\n`), ["requestHandler.parsers[0].pluginRef: parser references undefined plugin 'nope'"]);
  assert.deepEqual(problems(`${HEAD}plugins:\n- type: queue-scorer\nrequestHandler:\n  parsers:\n  - pluginRef: queue-scorer\n`), [
    'requestHandler.parsers[0].pluginRef: the plugin "queue-scorer" (type "queue-scorer") is not a parser plugin',
  ]);
  assert.match(problems(`${HEAD}requestHandler:\n  parser: []\n`)[0]!, /^requestHandler\.parser: unknown field/);
});

test('parser (deprecated): used when requestHandler.parsers is absent', () => {
  const loaded = load(`${HEAD}plugins:\n- type: passthrough-parser\nparser:\n  pluginRef: passthrough-parser\n`);
  assert.deepEqual(loaded.parsers.map((p) => p.type), ['passthrough-parser']);
  assert.ok(loaded.warnings.some((w) => w.startsWith('parser: the top-level field is deprecated')));
});

test('dataLayer: the metrics source parameters configure scraping; strict parameters', () => {
  const loaded = load(`${HEAD}plugins:
- type: metrics-data-source
  parameters: { scheme: http, path: /stats, port: 9400, interval: 250ms, insecureSkipVerify: false }
- type: core-metrics-extractor
  parameters: { defaultEngine: sglang, engineLabelKey: example.com/engine }
dataLayer:
  sources:
  - pluginRef: metrics-data-source
    extractors:
    - pluginRef: core-metrics-extractor
`);
  assert.deepEqual(
    { path: loaded.dataLayer.scrape?.path, port: loaded.dataLayer.scrape?.port, interval: loaded.dataLayer.scrape?.intervalMs },
    { path: '/stats', port: 9400, interval: 250 },
  );
  assert.deepEqual(loaded.dataLayer.engines, { engineLabelKey: 'example.com/engine', defaultEngine: 'sglang', engineConfigs: [] });
  const defaults = load(HEAD).dataLayer;
  assert.deepEqual([defaults.scrape?.path, defaults.scrape?.port, defaults.scrape?.intervalMs], ['', 0, 0], 'flags and engine defaults apply');
  assert.equal(load(`${HEAD}dataLayer:\n  injectDefaults: false\n`).dataLayer.scrape, undefined, 'no source: collection off');
  const bad: [string, RegExp][] = [
    ['{ scheme: ftp }', /parameters\.scheme: unsupported scheme: ftp/],
    ['{ port: 0 }', /parameters\.port: must be an integer 1-65535/],
    ['{ interval: soon }', /parameters\.interval: must be a duration/],
    ['{ clientCertPath: /c.pem }', /parameters\.clientKeyPath: clientCertPath and clientKeyPath must be set together/],
    ['{ paht: /x }', /parameters\.paht: unknown parameter/],
  ];
  for (const [params, re] of bad) assert.match(problems(`${HEAD}plugins:\n- type: metrics-data-source\n  parameters: ${params}\n`)[0]!, re, params);
  assert.match(problems(`${HEAD}plugins:\n- type: core-metrics-extractor\n  parameters: { defaultEngine: tgi }\n`)[0]!, /defaultEngine: defaultEngine "tgi" not found in engineConfigs/);
  const https = load(`${HEAD}plugins:\n- type: metrics-data-source\n  parameters: { scheme: https, insecureSkipVerify: false, caCertPath: /ca.pem }\n`).dataLayer.scrape;
  assert.deepEqual([https?.scheme, https?.insecureSkipVerify, https?.caCertPath], ['https', false, '/ca.pem']);
});

test('dataLayer: sources must be data sources, extractors configured plugins; data is the old name', () => {
  assert.deepEqual(problems(`${HEAD}plugins:\n- type: queue-scorer\ndataLayer:\n  sources:\n  - pluginRef: queue-scorer\n  - pluginRef: nope\n`), [
    'dataLayer.sources[0].pluginRef: the plugin queue-scorer (type "queue-scorer") is not a data source',
    'dataLayer.sources[1].pluginRef: the plugin nope is not registered',
  ]);
  assert.deepEqual(problems(`${HEAD}plugins:\n- type: metrics-data-source\ndataLayer:\n  sources:\n  - pluginRef: metrics-data-source\n    extractors:\n    - pluginRef: x\n`), [
    'dataLayer.sources[0].extractors[0].pluginRef: the plugin x is not registered',
  ]);
  const old = load(`${HEAD}plugins:\n- type: metrics-data-source\n  parameters: { path: /m }\ndata:\n  sources:\n  - pluginRef: metrics-data-source\n`);
  assert.equal(old.dataLayer.scrape?.path, '/m');
  assert.match(problems(`${HEAD}dataLayer:\n  sources:\n  - pluginRef: a\n    extractor: []\n`)[0]!, /^dataLayer\.sources\[0\]\.extractor: unknown field/);
});

test('flowControl: parsed and validated (quantities, durations, bands); saturationDetector there wins', () => {
  const loaded = load(`${HEAD}featureGates: [flowControl]
flowControl:
  maxBytes: 1Gi
  maxRequests: 500
  defaultRequestTTL: 30s
  priorityBands:
  - priority: 10
    maxRequests: 1k
  saturationDetector:
    pluginRef: utilization-detector
saturationDetector:
  pluginRef: nope
`);
  assert.equal(loaded.flowControl?.maxBytes, 2 ** 30);
  assert.equal(loaded.flowControl?.maxRequests, 500);
  assert.equal(loaded.flowControl?.defaultRequestTTLMs, 30_000);
  assert.equal(loaded.flowControl?.priorityBands[0]?.maxRequests, 1000);
  assert.equal(loaded.saturationDetector.type, 'utilization-detector');
  const bad: [string, RegExp][] = [
    ['  maxBytes: lots\n', /^flowControl\.maxBytes: must be a quantity/],
    ['  defaultRequestTTL: 30\n', /^flowControl\.defaultRequestTTL: must be a duration/],
    ['  priorityBands:\n  - priority: 1\n  - priority: 1\n', /^flowControl\.priorityBands\[1\]: duplicate priority 1/],
    ['  priorityBands:\n  - priority: 1\n    orderingPolicyRef: nope\n', /^flowControl\.priorityBands\[0\]\.orderingPolicyRef: no plugin named "nope"/],
    ['  usageLimitPolicyPluginRef: queue-scorer\n', /^flowControl\.usageLimitPolicyPluginRef: plugin "queue-scorer" \(type "queue-scorer"\) is not a usage limit policy/],
    ['  queueSize: 3\n', /^flowControl\.queueSize: unknown field/],
    ['  enableEviction: 3\n', /^flowControl\.enableEviction: must be true or false/],
  ];
  for (const [body, re] of bad) assert.match(problems(`${HEAD}featureGates: [flowControl]\nplugins:\n- type: queue-scorer\nflowControl:\n${body}`)[0]!, re, body);
  const off = load(`${HEAD}flowControl:\n  maxRequests: 5\n  usageLimitPolicyPluginRef: nope\n`);
  assert.ok(off.warnings.some((w) => /flowControl feature gate is disabled/.test(w)), 'gate off: ignored with a warning, as upstream');
  const evict = load(`${HEAD}featureGates: [flowControl]\nplugins:\n- type: queue-scorer\nflowControl:\n  enableEviction: true\n`);
  assert.equal(evict.flowControl?.enableEviction, true);
  assert.ok(!evict.warnings.some((w) => /enableEviction/.test(w)), 'enableEviction: implemented, no warning');
});

test('requestHandler.parsers: a second parser of one type and parsers after the fallback are dropped with a warning', () => {
  const loaded = load(`${HEAD}plugins:
- type: openai-parser
- name: again
  type: openai-parser
- type: passthrough-parser
- type: anthropic-parser
requestHandler:
  parsers: [{ pluginRef: openai-parser }, { pluginRef: again }, { pluginRef: passthrough-parser }, { pluginRef: anthropic-parser }]
`);
  assert.deepEqual(loaded.parsers.map((p) => p.name), ['openai-parser', 'passthrough-parser']);
  assert.deepEqual(loaded.warnings, [
    'requestHandler.parsers: parser "again" skipped: a parser of type "openai-parser" is already in use',
    'requestHandler.parsers: parser "anthropic-parser" skipped: it comes after the fallback parser "passthrough-parser"',
  ]);
});
