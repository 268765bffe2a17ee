import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PluginHandle } from '../framework/plugin.ts';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { ConfigError, loadSchedulerConfig, type LoadedSchedulerConfig } from './loader.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';

const HEAD = 'apiVersion: llm-d.ai/v1alpha1\nkind: EndpointPickerConfig\n';

function registry() {
  // A plugin type that implements no scheduling extension point, to test the "not a filter..." error.
  return inTreePluginRegistry()
    .register('test-noop', (name) => ({ type: 'test-noop', name }))
    .register('test-needs-x', (name) => ({ type: 'test-needs-x', name, consumes: { required: ['x'] } }))
    .register('test-x-needs-y', (name) => ({ type: 'test-x-needs-y', name, produces: ['x'], consumes: { optional: ['y'] } }))
    .register('test-y-needs-x', (name) => ({ type: 'test-y-needs-x', name, produces: ['y'], consumes: { optional: ['x'] } }))
    .register('test-pre', (name, params) => ({
      type: 'test-pre',
      name,
      ...(params as object),
      preRequest: () => {},
    }));
}

function load(text: string | undefined, handle: PluginHandle = testHandle()): LoadedSchedulerConfig {
  return loadSchedulerConfig(text, handle, { registry: registry() });
}

function problemsOf(text: string): readonly string[] {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

function describeProfile(loaded: LoadedSchedulerConfig, i = 0) {
  const p = loaded.scheduler.profiles[i]!;
  return {
    name: p.name,
    filters: p.filters.map((f) => f.name),
    scorers: p.scorers.map((s, j) => `${s.name}*${p.weights[j]}`),
    picker: `${p.picker.type}/${p.picker.maxEndpoints}`,
  };
}

test('config: no text -> upstream default profile (queue 2, kv 2, prefix 3, max-score-picker)', () => {
  for (const text of [undefined, '', '  \n']) {
    const loaded = load(text);
    assert.equal(loaded.usedDefault, true);
    assert.deepEqual(describeProfile(loaded), {
      name: 'default',
      filters: [],
      scorers: ['queue-scorer*2', 'kv-cache-utilization-scorer*2', 'prefix-cache-scorer*3'],
      picker: 'max-score-picker/1',
    });
    assert.equal(loaded.plugins.get('utilization-detector'), loaded.saturationDetector);
    assert.deepEqual(loaded.warnings, []);
  }
});

test('config: upstream-style YAML with feature gates, data layer, parser and the deprecated fields', () => {
  const loaded = load(`${HEAD}featureGates: [flowControl]
dataLayer:
  sources: []
parser:
  pluginRef: openai-parser
plugins:
- type: openai-parser
- type: single-profile-handler
- name: lora
  type: lora-affinity-scorer
- type: queue-scorer
- type: max-score-picker
  parameters:
    maxNumOfEndpoints: 2
- type: utilization-detector
  parameters:
    queueDepthThreshold: 8
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: utilization-detector
  - pluginRef: lora
    weight: 2.5
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
saturationDetector:
  pluginRef: utilization-detector
`);
  assert.deepEqual(describeProfile(loaded), {
    name: 'default',
    filters: ['utilization-detector'],
    scorers: ['lora*2.5', 'queue-scorer*1'],
    picker: 'max-score-picker/2',
  });
  assert.equal(loaded.saturationDetector, loaded.plugins.get('utilization-detector'));
  assert.equal(loaded.scheduler.handler, loaded.plugins.get('single-profile-handler'), 'the configured handler is the one that runs');
  assert.deepEqual(
    loaded.warnings.map((w) => w.split(':')[0]),
    ['saturationDetector', 'parser'],
  );
  assert.equal(loaded.featureGates.get('flowControl'), true);
  assert.deepEqual(loaded.parsers.map((p) => p.name), ['openai-parser']);
  assert.equal(loaded.dataLayer.scrape?.scheme, 'http', 'a default metrics source is injected');
});

test('config: JSON works too', () => {
  const loaded = load(
    JSON.stringify({
      apiVersion: 'inference.networking.x-k8s.io/v1alpha1',
      kind: 'EndpointPickerConfig',
      plugins: [{ type: 'kv-cache-utilization-scorer' }, { type: 'random-picker' }],
      schedulingProfiles: [{ name: 'p', plugins: [{ pluginRef: 'kv-cache-utilization-scorer', weight: 4 }, { pluginRef: 'random-picker' }] }],
    }),
  );
  assert.deepEqual(describeProfile(loaded), { name: 'p', filters: [], scorers: ['kv-cache-utilization-scorer*4'], picker: 'random-picker/1' });
});

test('config: a profile without a picker gets max-score-picker', () => {
  const loaded = load(`${HEAD}plugins:
- type: queue-scorer
schedulingProfiles:
- name: a
  plugins:
  - pluginRef: queue-scorer
`);
  assert.equal(describeProfile(loaded).picker, 'max-score-picker/1');
  assert.equal(loaded.plugins.get('max-score-picker')?.type, 'max-score-picker');
});

test('config: no profiles -> a "default" profile with every scheduling plugin, weight 1', () => {
  const loaded = load(`${HEAD}plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: weighted-random-picker
`);
  assert.deepEqual(describeProfile(loaded), {
    name: 'default',
    filters: [],
    scorers: ['queue-scorer*1', 'kv-cache-utilization-scorer*1'],
    picker: 'weighted-random-picker/1',
  });
});

test('config: legacy inline saturationDetector thresholds', () => {
  const loaded = load(`${HEAD}saturationDetector:
  queueDepthThreshold: 10
  metricsStalenessThreshold: 500ms
`);
  const d = loaded.saturationDetector as unknown as { config: { queueDepthThreshold: number; metricsStalenessMs: number } };
  assert.equal(d.config.queueDepthThreshold, 10);
  assert.equal(d.config.metricsStalenessMs, 500);
});

test('config: one profile and no handler gets a single-profile-handler, as upstream', () => {
  const loaded = load(`${HEAD}plugins:\n- type: queue-scorer\n`);
  assert.equal(loaded.scheduler.handler.type, 'single-profile-handler');
  assert.equal(loaded.plugins.get('single-profile-handler'), loaded.scheduler.handler);
  const named = load(`${HEAD}plugins:\n- type: single-profile-handler\n  name: mine\n- type: queue-scorer\n`);
  assert.equal(named.scheduler.handler.name, 'mine');
});

/** PreRequest order of a config whose test-pre plugins produce and consume the given keys. */
function preRequestOrder(plugins: { name: string; produces?: string[]; consumes?: object }[]): string[] {
  const text = `${HEAD}plugins:\n${plugins.map((p) => `- type: test-pre\n  name: ${p.name}\n  parameters: ${JSON.stringify({ produces: p.produces, consumes: p.consumes })}\n`).join('')}`;
  return load(text).requestControl.preRequest.map((p) => p.name);
}

const orderCases: { name: string; plugins: { name: string; produces?: string[]; consumes?: object }[]; want: string[] }[] = [
  { name: 'no declarations: config order', plugins: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], want: ['a', 'b', 'c'] },
  { name: 'a consumer listed first runs after its producer', plugins: [{ name: 'reader', consumes: { optional: ['k'] } }, { name: 'writer', produces: ['k'] }], want: ['writer', 'reader'] },
  {
    name: 'a chain runs producer to consumer, others keep config order',
    plugins: [{ name: 'c', consumes: { required: ['y'] } }, { name: 'free' }, { name: 'b', produces: ['y'], consumes: { optional: ['x'] } }, { name: 'a', produces: ['x'] }],
    want: ['free', 'a', 'b', 'c'],
  },
  { name: 'two producers of one key both run before its consumer', plugins: [{ name: 'r', consumes: { optional: ['k'] } }, { name: 'w1', produces: ['k'] }, { name: 'w2', produces: ['k'] }], want: ['w1', 'w2', 'r'] },
  { name: 'an optional key with no producer changes nothing', plugins: [{ name: 'r', consumes: { optional: ['none'] } }, { name: 'w' }], want: ['r', 'w'] },
];
for (const c of orderCases) {
  test(`config: hook order: ${c.name}`, () => assert.deepEqual(preRequestOrder(c.plugins), c.want));
}

test('config: the prefix producer\'s PreRequest runs before kv-estimate-scorer\'s, whatever the config order', () => {
  // prefix-cache-scorer needs prefix-cache-match-info/approx-prefix-cache-producer: the loader adds that producer.
  const loaded = load(`${HEAD}plugins:\n- type: kv-estimate-scorer\n- type: prefix-cache-scorer\n`);
  assert.deepEqual(
    loaded.requestControl.preRequest.map((p) => p.type),
    ['approx-prefix-cache-producer', 'kv-estimate-scorer', 'prefix-cache-scorer'],
  );
  const own = load(`${HEAD}plugins:\n- type: kv-estimate-scorer\n- type: prefix-cache-scorer\n  parameters: {autoTune: true}\n`);
  assert.deepEqual(own.requestControl.preRequest.map((p) => p.type), ['prefix-cache-scorer', 'kv-estimate-scorer']);
  // The profile keeps the config's order: only hooks are reordered.
  assert.deepEqual(loaded.scheduler.profiles[0]!.scorers.map((s) => s.type), ['kv-estimate-scorer', 'prefix-cache-scorer']);
});

test('config: an optional key nobody produces is a warning', () => {
  const loaded = load(`${HEAD}plugins:\n- type: kv-estimate-scorer\n`);
  assert.ok(loaded.warnings.includes('plugin "kv-estimate-scorer" (kv-estimate-scorer) consumes "prefix-cache-match", which no configured plugin produces'), loaded.warnings.join('\n'));
});

test('config: warnings for an unreferenced plugin and a weight on a non-scorer', () => {
  const loaded = load(`${HEAD}plugins:
- type: queue-scorer
- type: lora-affinity-scorer
- type: max-score-picker
schedulingProfiles:
- name: a
  plugins:
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
    weight: 3
`);
  assert.deepEqual(loaded.warnings, [
    'schedulingProfiles[0].plugins[1].weight: ignored, "max-score-picker" is not a scorer',
    'plugins[1]: "lora-affinity-scorer" is not referenced by any profile',
  ]);
});

const PROFILE = (refs: string) => `schedulingProfiles:\n- name: a\n  plugins:\n${refs}`;
const errorCases: { name: string; text: string; want: string | RegExp }[] = [
  { name: 'YAML syntax', text: `${HEAD}plugins: [`, want: /^YAML: / },
  { name: 'duplicate YAML key', text: `${HEAD}kind: EndpointPickerConfig\n`, want: /^YAML: .*unique/i },
  { name: 'not a mapping', text: '- a\n- b\n', want: 'the config must be a mapping' },
  { name: 'wrong apiVersion', text: 'apiVersion: v1\nkind: EndpointPickerConfig\n', want: /^apiVersion: must be "llm-d.ai\/v1alpha1" \(or the deprecated "inference.networking.x-k8s.io\/v1alpha1"\), got "v1"/ },
  { name: 'missing kind', text: 'apiVersion: inference.networking.x-k8s.io/v1alpha1\n', want: /^kind: must be "EndpointPickerConfig", got undefined/ },
  { name: 'unknown top-level field', text: `${HEAD}schedulingProfile: []\n`, want: /^schedulingProfile: unknown field/ },
  { name: 'unknown plugin field', text: `${HEAD}plugins:\n- type: queue-scorer\n  params: {}\n`, want: /^plugins\[0\]\.params: unknown field/ },
  { name: 'missing type', text: `${HEAD}plugins:\n- name: x\n`, want: 'plugins[0].type: required' },
  { name: 'unknown type', text: `${HEAD}plugins:\n- type: foo-scorer\n`, want: /^plugins\[0\]\.type: unknown plugin type "foo-scorer" \(known: .*queue-scorer/ },
  { name: 'parameters not a mapping', text: `${HEAD}plugins:\n- type: queue-scorer\n  parameters: 3\n`, want: 'plugins[0].parameters: must be a mapping, got 3' },
  {
    name: 'bad plugin parameter',
    text: `${HEAD}plugins:\n- type: prefix-cache-scorer\n  parameters:\n    blockSizeTokens: -4\n`,
    want: /^plugins\[0\]: plugin "prefix-cache-scorer": parameters\.blockSizeTokens: must be an integer/,
  },
  {
    name: 'duplicate plugin name',
    text: `${HEAD}plugins:\n- type: queue-scorer\n- name: queue-scorer\n  type: kv-cache-utilization-scorer\n`,
    want: 'plugins[1].name: duplicate plugin name "queue-scorer" (also plugins[0])',
  },
  {
    name: 'dangling pluginRef',
    text: `${HEAD}plugins:\n- type: queue-scorer\n- type: max-score-picker\n${PROFILE('  - pluginRef: queue-scorer\n  - pluginRef: max-score-picker\n  - pluginRef: foo\n')}`,
    want: 'schedulingProfiles[0].plugins[2].pluginRef: no plugin named "foo"',
  },
  {
    name: 'negative weight',
    text: `${HEAD}plugins:\n- type: queue-scorer\n${PROFILE('  - pluginRef: queue-scorer\n    weight: -1\n')}`,
    want: 'schedulingProfiles[0].plugins[0].weight: must be a non-negative number, got -1',
  },
  {
    name: 'non-number weight',
    text: `${HEAD}plugins:\n- type: queue-scorer\n${PROFILE('  - pluginRef: queue-scorer\n    weight: "2"\n')}`,
    want: 'schedulingProfiles[0].plugins[0].weight: must be a non-negative number, got "2"',
  },
  {
    name: 'two pickers',
    text: `${HEAD}plugins:\n- type: max-score-picker\n- type: random-picker\n${PROFILE('  - pluginRef: max-score-picker\n  - pluginRef: random-picker\n')}`,
    want: 'schedulingProfiles[0].plugins: more than one picker ("max-score-picker", "random-picker"); a profile has exactly one',
  },
  {
    name: 'same plugin twice in a profile',
    text: `${HEAD}plugins:\n- type: queue-scorer\n${PROFILE('  - pluginRef: queue-scorer\n  - pluginRef: queue-scorer\n')}`,
    want: 'schedulingProfiles[0].plugins[1].pluginRef: "queue-scorer" is already in this profile',
  },
  {
    name: 'duplicate profile name',
    text: `${HEAD}schedulingProfiles:\n- name: a\n- name: a\n`,
    want: 'schedulingProfiles[1].name: duplicate profile name "a" (also schedulingProfiles[0])',
  },
  {
    name: 'several profiles and no profile handler (upstream: a handler is required)',
    text: `${HEAD}schedulingProfiles:\n- name: prefill\n- name: decode\n`,
    want: 'plugins: no profile handler configured; 2 scheduling profiles need one (a single-profile-handler runs one profile)',
  },
  {
    name: 'single-profile-handler beside two profiles',
    text: `${HEAD}plugins:\n- type: single-profile-handler\nschedulingProfiles:\n- name: prefill\n- name: decode\n`,
    want: 'plugins[0]: SingleProfileHandler cannot support multiple scheduling profiles (2 configured)',
  },
  {
    name: 'two profile handlers',
    text: `${HEAD}plugins:\n- type: single-profile-handler\n- type: single-profile-handler\n  name: second\n`,
    want: 'plugins: multiple profile handlers found (plugins[0] "single-profile-handler", plugins[1] "second"); only one is allowed',
  },
  {
    name: 'a required data key nobody produces',
    text: `${HEAD}plugins:\n- type: test-needs-x\n`,
    want: 'plugin "test-needs-x" (test-needs-x) consumes "x", which no configured plugin produces',
  },
  {
    name: 'plugins that consume each other\'s data',
    text: `${HEAD}plugins:\n- type: test-x-needs-y\n- type: test-y-needs-x\n`,
    want: `plugins "test-x-needs-y", "test-y-needs-x" produce and consume each other's data (a cycle): no order runs each producer first`,
  },
  {
    name: 'dangling saturationDetector',
    text: `${HEAD}saturationDetector:\n  pluginRef: nope\n`,
    want: 'saturationDetector.pluginRef: no plugin named "nope"',
  },
  {
    name: 'saturationDetector that is not a detector',
    text: `${HEAD}plugins:\n- type: queue-scorer\nsaturationDetector:\n  pluginRef: queue-scorer\n`,
    want: 'saturationDetector.pluginRef: plugin "queue-scorer" (type "queue-scorer") is not a saturation detector',
  },
  {
    name: 'saturationDetector mixing pluginRef and inline thresholds',
    text: `${HEAD}plugins:\n- type: utilization-detector\nsaturationDetector:\n  pluginRef: utilization-detector\n  queueDepthThreshold: 3\n`,
    want: 'saturationDetector: pluginRef cannot be combined with queueDepthThreshold',
  },
  { name: 'profile without a name', text: `${HEAD}schedulingProfiles:\n- plugins: []\n`, want: 'schedulingProfiles[0].name: required' },
];

for (const c of errorCases) {
  test(`config error: ${c.name}`, () => {
    const problems = problemsOf(c.text);
    const hit = problems.some((p) => (typeof c.want === 'string' ? p === c.want : c.want.test(p)));
    assert.ok(hit, `no problem matching ${c.want} in:\n  ${problems.join('\n  ')}`);
  });
}

test('config error: every problem is listed at once, in the message too', () => {
  const text = `${HEAD}plugins:\n- type: foo\n- type: queue-scorer\n  parameters: {x: 1}\n${PROFILE('  - pluginRef: bar\n    weight: -2\n')}`;
  try {
    load(text);
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 4, err.problems.join('\n'));
    assert.match(err.message, /4 problems/);
    for (const p of err.problems) assert.ok(err.message.includes(p));
  }
});

test('config: a required key no configured plugin produces gets its registered default producer, once', () => {
  const types = (l: LoadedSchedulerConfig) => [...l.plugins.values()].map((p) => `${p.type}/${p.name}`).sort();
  // Two consumers of the inflight load: one producer added, named after its type.
  const both = load(`${HEAD}plugins:\n- type: token-load-scorer\n- type: active-request-scorer\n- type: prefix-cache-scorer\n`);
  assert.deepEqual(types(both).filter((t) => t.includes('producer')), [
    'approx-prefix-cache-producer/approx-prefix-cache-producer',
    'inflight-load-producer/inflight-load-producer',
  ]);
  // The prefix producer first: the inflight producer discounts by its match.
  assert.deepEqual(
    both.requestControl.dataProducers.map((p) => p.type).filter((t) => t.endsWith('-producer')),
    ['approx-prefix-cache-producer', 'inflight-load-producer'],
  );
  // A configured producer under the default name is used, not doubled.
  const own = load(`${HEAD}plugins:\n- type: inflight-load-producer\n  parameters: {addEstimatedOutputTokens: true}\n- type: token-load-scorer\n`);
  assert.equal(types(own).filter((t) => t.startsWith('inflight-load-producer/')).length, 1);
  // A consumer naming a producer that does not exist is an error: only the default key has a default producer.
  assert.throws(
    () => load(`${HEAD}plugins:\n- type: token-load-scorer\n  parameters: {inFlightLoadProducerName: gone}\n`),
    /consumes "inflight-load\/gone", which no configured plugin produces/,
  );
});

test('config: a profile reference to a plugin that is not a filter, scorer or picker is ignored with a warning, as upstream', () => {
  const loaded = load(`${HEAD}plugins:\n- type: single-profile-handler\n- type: approx-prefix-cache-producer\n- type: queue-scorer\n${PROFILE('  - pluginRef: single-profile-handler\n  - pluginRef: approx-prefix-cache-producer\n  - pluginRef: queue-scorer\n')}`);
  assert.deepEqual(describeProfile(loaded).scorers, ['queue-scorer*1']);
  assert.ok(loaded.warnings.some((w) => w.startsWith('schedulingProfiles[0].plugins[0].pluginRef: plugin "single-profile-handler" (type "single-profile-handler") is not a filter, scorer or picker; ignored')));
  assert.ok(loaded.warnings.some((w) => w.startsWith('schedulingProfiles[0].plugins[1].pluginRef: plugin "approx-prefix-cache-producer"')));
});
