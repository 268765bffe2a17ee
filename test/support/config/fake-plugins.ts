/**
 * Stand-ins for plugin types a config test needs but this picker does not implement: the `test-*` types
 * upstream's loader tests register (pkg/epp/config/loader/configloader_test.go registerTestPlugins), and
 * role-shaped fakes for upstream types another issue brings, so a test can tell whether a config fails only
 * for want of them. Each fake has the role its type name says (filter, scorer, picker, profile handler,
 * data source, extractor) and does nothing.
 */
import { dataKey, INFLIGHT_LOAD_KEY, PREFIX_CACHE_MATCH_INFO_KEY, UNCACHED_REQUEST_TOKENS_KEY } from '../../../src/framework/data-keys.ts';
import type { DataExtractor, DataSource } from '../../../src/framework/datalayer.ts';
import type { FlowControlPolicy, FlowControlRole } from '../../../src/framework/flowcontrol.ts';
import type { Parser } from '../../../src/framework/parser.ts';
import type { SaturationDetector } from '../../../src/framework/requestcontrol.ts';
import type { Plugin, PluginFactory } from '../../../src/framework/plugin.ts';
import type { Filter, Picker, ProfileHandler, ProfileHandlerOutcome, Scorer } from '../../../src/framework/scheduling.ts';
import type { PluginRegistry } from '../../../src/config/plugin-registry.ts';
import { intParam, readParams } from '../../../src/input/plugin-params.ts';

export type Role = 'filter' | 'scorer' | 'picker' | 'profile-handler' | 'data-source' | 'extractor' | 'parser' | 'saturation-detector' | FlowControlRole | 'plain';

/** Keys a fake producer publishes under its own name. */
const PRODUCED_KEYS = [PREFIX_CACHE_MATCH_INFO_KEY, INFLIGHT_LOAD_KEY, UNCACHED_REQUEST_TOKENS_KEY];

export function fakePlugin(role: Role, type: string, name: string): Plugin {
  switch (role) {
    case 'filter':
      return { type, name, filter: (_r, _c, n) => n } satisfies Filter as Plugin;
    case 'scorer':
      return { type, name, category: 'Distribution', score: () => {} } satisfies Scorer as Plugin;
    case 'picker':
      return { type, name, maxEndpoints: 1, pick: () => 0 } satisfies Picker as Plugin;
    case 'profile-handler':
      return {
        type,
        name,
        pick: (_r, profiles) => profiles,
        processResults: (): ProfileHandlerOutcome => ({ ok: false, reason: 'fake' }),
      } satisfies ProfileHandler as Plugin;
    case 'data-source':
      return { type, name, dataSource: true, scrape: undefined } satisfies DataSource as Plugin;
    case 'extractor':
      return { type, name, dataExtractor: true, engines: undefined } satisfies DataExtractor as Plugin;
    case 'parser':
      return { type, name, paths: [type], parseRequest: () => null } satisfies Parser as Plugin;
    case 'saturation-detector':
      return { type, name, saturation: () => 0 } satisfies SaturationDetector as Plugin;
    case 'fairness-policy':
    case 'ordering-policy':
    case 'usage-limit-policy':
      return { type, name, flowControlRole: role } satisfies FlowControlPolicy as Plugin;
    case 'plain':
      // A producer another issue brings (precise-prefix-cache-producer, ...) publishes the data its consumers
      // name it for (e.g. prefix-cache-scorer's prefixMatchInfoProducerName).
      if (type.endsWith('-producer')) return { type, name, produces: PRODUCED_KEYS.map((k) => dataKey(k, name)) };
      return { type, name };
  }
}

/** The role a type name implies (upstream naming: `*-filter`, `*-scorer`, `*-picker`, `*-handler`, ...). */
export function roleOf(type: string): Role {
  if (type.endsWith('-filter')) return 'filter';
  if (type.endsWith('-scorer')) return 'scorer';
  if (type.endsWith('-picker')) return 'picker';
  if (type.endsWith('-profile-handler')) return 'profile-handler';
  if (type.endsWith('-parser')) return 'parser';
  if (type.endsWith('-detector')) return 'saturation-detector';
  if (type.includes('fairness')) return 'fairness-policy';
  if (type.includes('ordering') || type.includes('order-policy')) return 'ordering-policy';
  if (/usage-limit|ceiling|holdback/.test(type)) return 'usage-limit-policy';
  if (type === 'by-label' || type === 'by-label-selector') return 'filter';
  if (type.endsWith('-source') || type.endsWith('-discovery')) return 'data-source';
  if (type.endsWith('-extractor')) return 'extractor';
  return 'plain';
}

const anyParams = (role: Role, type: string): PluginFactory => (name) => fakePlugin(role, type, name);

/** A fake that decodes its parameters strictly, as upstream's test-scorer decodes `blockSize`. */
const strictParams =
  (role: Role, type: string, known: readonly string[]): PluginFactory =>
  (name, params) => {
    const p = readParams(name, params, known);
    for (const k of known) intParam(name, p, k, 0, Number.MIN_SAFE_INTEGER);
    return fakePlugin(role, type, name);
  };

/** Reads plugin names out of parameters (upstream `pluginRef`-tagged fields). */
function refsOf(params: unknown, keys: readonly string[], nested: readonly string[]): string[] {
  const out: string[] = [];
  if (params === undefined || params === null) return out;
  if (typeof params !== 'object' || Array.isArray(params)) throw new Error('parameters must be a mapping');
  const p = params as Record<string, unknown>;
  for (const k of keys) {
    const v = p[k];
    if (typeof v === 'string' && v !== '') out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x !== '') out.push(x);
  }
  for (const n of nested) {
    const v = p[n];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...refsOf(v, ['dependency'], []));
  }
  return out;
}

/** Registers upstream's loader-test types and feature gate. */
export function registerUpstreamTestPlugins(registry: PluginRegistry): PluginRegistry {
  registry.register('test-one', anyParams('filter', 'test-one'));
  registry.register('test-plugin', anyParams('filter', 'test-plugin'));
  registry.register('test-two', anyParams('scorer', 'test-two'));
  registry.register('test-scorer', strictParams('scorer', 'test-scorer', ['blockSize']));
  registry.register('test-picker', anyParams('picker', 'test-picker'));
  registry.register('test-profile-handler', anyParams('profile-handler', 'test-profile-handler'));
  registry.register('test-source', anyParams('data-source', 'test-source'));
  registry.register('mock-metrics-source', anyParams('data-source', 'mock-metrics-source'));
  registry.register('test-extractor', anyParams('extractor', 'test-extractor'));
  registry.registerWithDependencies('test-with-dependencies', anyParams('profile-handler', 'test-with-dependencies'), (p) => refsOf(p, ['dependency', 'pointedTo'], []));
  registry.registerWithDependencies('test-with-nested-dependencies', anyParams('profile-handler', 'test-with-nested-dependencies'), (p) =>
    refsOf(p, ['pointedTo', 'extras'], ['nested', 'nestedPtr']),
  );
  registry.featureGate('test-feature-gate', true);
  return registry;
}

/** Registers a role-shaped fake for each type (for types another issue brings). */
export function registerFakes(registry: PluginRegistry, types: Iterable<string>): PluginRegistry {
  for (const t of types) if (registry.factory(t) === undefined && registry.ignoredReason(t) === undefined) registry.register(t, anyParams(roleOf(t), t));
  return registry;
}
