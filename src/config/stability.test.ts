/**
 * Plugin stability levels and the --allow-experimental-plugins gate. The Alpha list and the error text are
 * upstream llm-d-router `cmd/epp/runner/runner.go` (registerInTreePlugins) and
 * `pkg/epp/framework/interface/plugin/registry.go` (ValidatePluginStability), mirror commit ebab68792.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';
import { loadSchedulerConfig } from './loader.ts';
import { pluginStabilityError } from './stability.ts';

/** The types upstream registers as StabilityAlpha that this picker implements. */
const UPSTREAM_ALPHA = [
  'agent-identity',
  'dcgm-data-source',
  'dcgm-extractor',
  'disaggregatedset-rollout-screener',
  'endpoint-attribute-filter',
  'endpoint-attribute-scorer',
  'header-label-affinity-scorer',
  'multicluster-file-discovery',
  'multicluster-kv-cache-utilization-scorer',
  'multicluster-metrics-data-source',
  'multicluster-metrics-extractor',
  'multicluster-queue-scorer',
  'multicluster-session-affinity-filter',
  'session-affinity-filter',
  'session-affinity-scorer',
  'topology-affinity-filter',
  'topology-affinity-scorer',
  'topology-extractor',
];

test('stability: the registry marks exactly upstream\'s Alpha types; others are Beta; unknown types Stable', () => {
  const r = inTreePluginRegistry();
  assert.deepEqual(r.types().filter((t) => r.stability(t) === 'Alpha'), UPSTREAM_ALPHA);
  assert.equal(r.stability('queue-scorer'), 'Beta');
  assert.equal(r.stability('no-such-type'), 'Stable');
});

const config = (alphaType: string) => `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- name: zzz-sticky
  type: ${alphaType}
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
  - pluginRef: zzz-sticky
`;

test('stability: an Alpha plugin fails without --allow-experimental-plugins, with upstream\'s message', () => {
  const registry = inTreePluginRegistry();
  const loaded = loadSchedulerConfig(config('session-affinity-scorer'), testHandle(), { registry });
  assert.equal(
    pluginStabilityError(loaded.plugins, registry, false),
    "plugin 'zzz-sticky' (type: 'session-affinity-scorer') has Alpha stability level, but command line flag --allow-experimental-plugins is not set",
  );
  assert.equal(pluginStabilityError(loaded.plugins, registry, true), undefined);
  const beta = loadSchedulerConfig(config('kv-cache-utilization-scorer'), testHandle(), { registry });
  assert.equal(pluginStabilityError(beta.plugins, registry, false), undefined);
  assert.equal(pluginStabilityError(loadSchedulerConfig(undefined, testHandle(), { registry }).plugins, registry, false), undefined, 'the default config');
});

test('deprecation: upstream\'s deprecated types load with a DEPRECATION warning naming the replacement', () => {
  const registry = inTreePluginRegistry();
  const loaded = loadSchedulerConfig(
    `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- name: old
  type: by-label-selector
  parameters: {matchLabels: {a: b}}
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: old
  - pluginRef: queue-scorer
`,
    testHandle(),
    { registry },
  );
  assert.ok(
    loaded.warnings.includes('plugins[0]: DEPRECATION warning: plugin "old" of type "by-label-selector" is deprecated (since v0.9.0, removal planned in v0.11.0); use "label-selector-filter"'),
    loaded.warnings.join('\n'),
  );
  assert.deepEqual(
    registry.types().filter((t) => registry.deprecation(t) !== undefined),
    ['by-label', 'by-label-selector', 'disagg-headers-handler', 'pd-profile-handler', 'prefill-header-handler'],
  );
});
