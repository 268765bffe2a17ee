/**
 * Loads an `EndpointPickerConfig`: instantiates the plugins through the registry, resolves profile
 * references, applies upstream defaults (name = type, weight 1, a max-score-picker for a profile without a
 * picker, a default profile when none is given, a single-profile-handler for one profile, the utilization
 * detector when no saturation detector is given), compiles each profile into the scheduler and orders the
 * request-control hooks by the data they produce and consume. All problems are reported at once.
 */
import {
  holdsEndpointState,
  reportsIndexSize,
  usesPluginRefs,
  type Plugin,
  type PluginHandle,
} from '../framework/plugin.ts';
import {
  isAdmitter,
  isDataProducer,
  isPreRequest,
  isResponseComplete,
  isResponseReceived,
  isSaturationDetector,
  isScreener,
  type RequestControlPlugins,
  type SaturationDetector,
} from '../framework/requestcontrol.ts';
import {
  isFilter,
  isPicker,
  isProfileHandler,
  isScorer,
  type Filter,
  type Picker,
  type ProfileHandler,
  type Scorer,
} from '../framework/scheduling.ts';
import type { Parser } from '../framework/parser.ts';
import { CONFIG_API_VERSION, parseEndpointPickerConfig, type FlowControlEntry, type ParsedConfig, type ProfileEntry } from './parse.ts';
import { orderHooks } from './hook-order.ts';
import { checkDependencies, checkFlowControl, FLOW_CONTROL_GATE, resolveDataLayer, resolveFeatureGates, resolveParsers, type Create, type DataLayerSettings, type Instance } from './sections.ts';
import { ParserTable } from '../requestcontrol/parser-table.ts';
import type { PluginRegistry } from './plugin-registry.ts';
import type { ProfileSpec } from '../scheduling/profile.ts';
import { SchedulerEngine, type SchedulerObserver } from '../scheduling/scheduler.ts';

export const DEFAULT_PICKER_TYPE = 'max-score-picker';
export const DEFAULT_SATURATION_DETECTOR_TYPE = 'utilization-detector';
export const DEFAULT_PROFILE_HANDLER_TYPE = 'single-profile-handler';
export { DEFAULT_PARSER_TYPES, DEFAULT_METRICS_SOURCE_TYPE, DEFAULT_METRICS_EXTRACTOR_TYPE, FLOW_CONTROL_GATE } from './sections.ts';

/** Used when no config is given: upstream's code default (weights 2/2/3 since PR #1827). */
export const DEFAULT_CONFIG_YAML = `apiVersion: ${CONFIG_API_VERSION}
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: max-score-picker
- type: utilization-detector
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: max-score-picker
flowControl:
  saturationDetector:
    pluginRef: utilization-detector
`;

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid EndpointPickerConfig (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadOptions {
  readonly registry: PluginRegistry;
  readonly observer?: SchedulerObserver;
}

export interface LoadedSchedulerConfig {
  readonly scheduler: SchedulerEngine;
  readonly saturationDetector: SaturationDetector;
  /** Request-control hooks in run order (hook-order.ts). */
  readonly requestControl: RequestControlPlugins;
  /** Purges per-endpoint plugin state; wire to the datastore's 'endpointRemoved' event. */
  removeEndpoint(key: string): void;
  /** Sum of plugin index entries (prefix index size metric). */
  indexEntries(): number;
  /** Request parsers in config order (upstream's four when none are configured). */
  readonly parsers: readonly Parser[];
  /** Every registered feature gate, with the config's value or its default. */
  readonly featureGates: ReadonlyMap<string, boolean>;
  /** What the metric collector runs: the metrics source's scrape settings (undefined = no metrics source, collection off) and the extractor's engine settings. */
  readonly dataLayer: DataLayerSettings;
  /** `flowControl`, parsed and validated (src/flowcontrol/from-config.ts builds it); undefined when absent. */
  readonly flowControl: FlowControlEntry | undefined;
  /** Every plugin instance by name, including defaults the loader added. */
  readonly plugins: ReadonlyMap<string, Plugin>;
  /** Accepted-but-ignored sections and types, ignored weights, unreferenced plugins. */
  readonly warnings: readonly string[];
  readonly usedDefault: boolean;
}

/** Parses and compiles a config; `text` undefined or blank selects DEFAULT_CONFIG_YAML. Throws ConfigError. */
export function loadSchedulerConfig(text: string | undefined, handle: PluginHandle, options: LoadOptions): LoadedSchedulerConfig {
  const usedDefault = text === undefined || text.trim() === '';
  const { config, problems, fatal } = parseEndpointPickerConfig(usedDefault ? DEFAULT_CONFIG_YAML : text);
  if (fatal) throw new ConfigError(problems);
  return compile(config, handle, options, usedDefault, problems);
}


function compile(
  config: ParsedConfig,
  handle: PluginHandle,
  options: LoadOptions,
  usedDefault: boolean,
  problems: string[],
): LoadedSchedulerConfig {
  const { registry } = options;
  const warnings = [...config.warnings];
  const instances = new Map<string, Instance>();

  const create: Create = (type, name, params, path) => {
    const factory = registry.factory(type);
    if (factory === undefined) {
      problems.push(`${path}: plugin type "${type}" is not registered`);
      return undefined;
    }
    try {
      return factory(name, params, handle);
    } catch (err) {
      problems.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };

  config.plugins.forEach((entry, i) => {
    const path = `plugins[${i}]`;
    const previous = instances.get(entry.name);
    if (previous !== undefined) {
      problems.push(`${path}.name: duplicate plugin name "${entry.name}" (also plugins[${previous.index}])`);
      return;
    }
    if (registry.factory(entry.type) === undefined) {
      const reason = registry.ignoredReason(entry.type);
      if (reason === undefined) {
        problems.push(`${path}.type: unknown plugin type "${entry.type}" (known: ${registry.types().join(', ')})`);
      } else {
        warnings.push(`${path}: type "${entry.type}" accepted and ignored (${reason})`);
      }
      instances.set(entry.name, { index: i, type: entry.type, plugin: undefined, ignored: reason !== undefined });
      return;
    }
    const dep = registry.deprecation(entry.type);
    if (dep !== undefined) {
      // upstream logs "DEPRECATION warning: plugin is deprecated" with the name and type; the versions are its metadata.
      warnings.push(`${path}: DEPRECATION warning: plugin "${entry.name}" of type "${entry.type}" is deprecated (since ${dep.deprecatedIn}, removal planned in ${dep.scheduledRemovalIn}); use "${dep.replacementType}"`);
    }
    const plugin = create(entry.type, entry.name, entry.parameters, path);
    instances.set(entry.name, { index: i, type: entry.type, plugin, ignored: false });
  });

  checkDependencies(config, registry, instances, problems);
  const profiles = config.profiles ?? defaultProfile(instances);
  const referenced = new Set<string>();
  let autoPicker: Picker | undefined;
  const specs: ProfileSpec[] = [];
  const profileNames = new Map<string, number>();

  profiles.forEach((profile, i) => {
    const path = `schedulingProfiles[${i}]`;
    const seenAt = profileNames.get(profile.name);
    if (seenAt !== undefined) problems.push(`${path}.name: duplicate profile name "${profile.name}" (also schedulingProfiles[${seenAt}])`);
    profileNames.set(profile.name, i);

    const filters: Filter[] = [];
    const scorers: Scorer[] = [];
    const weights: number[] = [];
    const pickers: Picker[] = [];
    const seenRefs = new Set<string>();
    profile.plugins.forEach((ref, j) => {
      const rpath = `${path}.plugins[${j}]`;
      if (seenRefs.has(ref.pluginRef)) {
        problems.push(`${rpath}.pluginRef: "${ref.pluginRef}" is already in this profile`);
        return;
      }
      seenRefs.add(ref.pluginRef);
      referenced.add(ref.pluginRef);
      const inst = instances.get(ref.pluginRef);
      if (inst === undefined) {
        problems.push(`${rpath}.pluginRef: no plugin named "${ref.pluginRef}"`);
        return;
      }
      if (inst.ignored) {
        warnings.push(`${rpath}.pluginRef: plugin "${ref.pluginRef}" has type "${inst.type}", which is accepted only for compatibility; ignored in the profile`);
        return;
      }
      const p = inst.plugin;
      if (p === undefined) return; // its creation problem is already listed
      let role = false;
      if (isFilter(p)) {
        filters.push(p);
        role = true;
      }
      if (isScorer(p)) {
        scorers.push(p);
        weights.push(ref.weight ?? 1);
        role = true;
      } else if (ref.weight !== undefined) {
        warnings.push(`${rpath}.weight: ignored, "${ref.pluginRef}" is not a scorer`);
      }
      if (isPicker(p)) {
        pickers.push(p);
        role = true;
      }
      // upstream SchedulerProfile.AddPlugins takes any plugin and keeps the filters, scorers and picker.
      if (!role) warnings.push(`${rpath}.pluginRef: plugin "${ref.pluginRef}" (type "${inst.type}") is not a filter, scorer or picker; ignored in the profile`);
    });

    if (pickers.length > 1) {
      problems.push(`${path}.plugins: more than one picker (${pickers.map((p) => `"${p.name}"`).join(', ')}); a profile has exactly one`);
    }
    let picker = pickers[0];
    if (picker === undefined) {
      // Upstream adds a max-score-picker to a profile without a picker.
      if (autoPicker === undefined) {
        const made = create(DEFAULT_PICKER_TYPE, DEFAULT_PICKER_TYPE, undefined, `${path} (default picker)`);
        if (made !== undefined && isPicker(made)) autoPicker = made;
      }
      picker = autoPicker;
    }
    if (picker !== undefined) specs.push({ name: profile.name, filters, scorers, weights, picker });
  });

  if (config.profiles !== undefined) {
    const detectorRef = config.saturationDetector?.kind === 'ref' ? config.saturationDetector.pluginRef : undefined;
    for (const [name, inst] of instances) {
      const p = inst.plugin;
      if (p === undefined || referenced.has(name) || name === detectorRef) continue;
      if (isFilter(p) || isScorer(p) || isPicker(p)) warnings.push(`plugins[${inst.index}]: "${name}" is not referenced by any profile`);
    }
  }
  const handler = resolveProfileHandler(instances, profiles.length, create, problems);
  const detector = resolveSaturationDetector(config, instances, create, problems);
  const featureGates = resolveFeatureGates(config, registry, problems);
  const added: Plugin[] = [];
  const parserTable = new ParserTable(resolveParsers(config, instances, registry, create, problems, added));
  for (const w of parserTable.warnings) warnings.push(`requestHandler.parsers: ${w}`);
  const dataLayer = resolveDataLayer(config, instances, create, problems, added);
  checkFlowControl(config, instances, featureGates.get(FLOW_CONTROL_GATE) === true, problems, warnings);

  const all = new Map<string, Plugin>();
  for (const [name, inst] of instances) if (inst.plugin !== undefined) all.set(name, inst.plugin);
  for (const extra of [autoPicker, handler, detector, ...added]) if (extra !== undefined && !all.has(extra.name)) all.set(extra.name, extra);
  for (const [name, inst] of instances) {
    const p = inst.plugin;
    if (p === undefined || !usesPluginRefs(p)) continue;
    for (const problem of p.bindPluginRefs((ref) => instances.get(ref)?.plugin)) problems.push(`plugins[${inst.index}]: plugin "${name}": ${problem}`);
  }
  addDefaultProducers(all, registry, create);
  const order = orderHooks([...all.values()]);
  problems.push(...order.problems);
  warnings.push(...order.warnings);
  if (problems.length > 0) throw new ConfigError(problems);

  const ordered = order.ordered;
  const stateHolders = ordered.filter(holdsEndpointState);
  const indexReporters = ordered.filter(reportsIndexSize);
  return {
    scheduler: new SchedulerEngine(specs, handler!, options.observer),
    saturationDetector: detector!,
    requestControl: {
      screeners: ordered.filter(isScreener),
      dataProducers: ordered.filter(isDataProducer),
      admitters: ordered.filter(isAdmitter),
      preRequest: ordered.filter(isPreRequest),
      responseReceived: ordered.filter(isResponseReceived),
      responseComplete: ordered.filter(isResponseComplete),
    },
    removeEndpoint: (key) => {
      for (const p of stateHolders) p.removeEndpoint(key);
    },
    indexEntries: () => {
      let total = 0;
      for (const p of indexReporters) total += p.indexEntries();
      return total;
    },
    parsers: parserTable.parsers,
    featureGates,
    dataLayer,
    flowControl: config.flowControl,
    plugins: all,
    warnings,
    usedDefault,
  };
}

/**
 * Upstream: a required data key no configured plugin produces gets its registered default producer (type as
 * name, default parameters), e.g. approx-prefix-cache-producer for a prefix-cache-scorer. Repeats for the
 * keys the added producers require themselves.
 */
function addDefaultProducers(
  all: Map<string, Plugin>,
  registry: PluginRegistry,
  create: (type: string, name: string, params: unknown, path: string) => Plugin | undefined,
): void {
  for (let added = true; added; ) {
    added = false;
    const produced = new Set<string>();
    for (const p of all.values()) for (const key of p.produces ?? []) produced.add(key);
    for (const p of [...all.values()]) {
      for (const key of p.consumes?.required ?? []) {
        const type = produced.has(key) ? undefined : registry.defaultProducerOf(key);
        if (type === undefined || all.has(type)) continue;
        const made = create(type, type, undefined, `plugins (default producer of "${key}" for "${p.name}")`);
        if (made === undefined) continue;
        all.set(type, made);
        for (const k of made.produces ?? []) produced.add(k);
        added = true;
      }
    }
  }
}

/**
 * Upstream: exactly one ProfileHandler; with one profile and none configured, a single-profile-handler is
 * added; with several profiles one must be configured, and it cannot be the single-profile-handler.
 */
function resolveProfileHandler(
  instances: ReadonlyMap<string, Instance>,
  profileCount: number,
  create: (type: string, name: string, params: unknown, path: string) => Plugin | undefined,
  problems: string[],
): ProfileHandler | undefined {
  const handlers: { inst: Instance; plugin: ProfileHandler }[] = [];
  for (const inst of instances.values()) if (inst.plugin !== undefined && isProfileHandler(inst.plugin)) handlers.push({ inst, plugin: inst.plugin });
  if (handlers.length > 1) {
    problems.push(`plugins: multiple profile handlers found (${handlers.map((h) => `plugins[${h.inst.index}] "${h.plugin.name}"`).join(', ')}); only one is allowed`);
    return undefined;
  }
  const found = handlers[0];
  if (found === undefined) {
    if (profileCount > 1) {
      problems.push(`plugins: no profile handler configured; ${profileCount} scheduling profiles need one (a single-profile-handler runs one profile)`);
      return undefined;
    }
    const made = create(DEFAULT_PROFILE_HANDLER_TYPE, DEFAULT_PROFILE_HANDLER_TYPE, undefined, 'plugins (default profile handler)');
    return made !== undefined && isProfileHandler(made) ? made : undefined;
  }
  if (found.plugin.type === DEFAULT_PROFILE_HANDLER_TYPE && profileCount > 1) {
    problems.push(`plugins[${found.inst.index}]: SingleProfileHandler cannot support multiple scheduling profiles (${profileCount} configured)`);
    return undefined;
  }
  return found.plugin;
}

/** Upstream: without profiles, one "default" profile references every filter, scorer and picker, in order. */
function defaultProfile(instances: ReadonlyMap<string, Instance>): ProfileEntry[] {
  const plugins = [];
  for (const [name, inst] of instances) {
    const p = inst.plugin;
    if (p !== undefined && (isFilter(p) || isScorer(p) || isPicker(p))) plugins.push({ pluginRef: name, weight: undefined });
  }
  return [{ name: 'default', plugins }];
}

function resolveSaturationDetector(
  config: ParsedConfig,
  instances: ReadonlyMap<string, Instance>,
  create: (type: string, name: string, params: unknown, path: string) => Plugin | undefined,
  problems: string[],
): SaturationDetector | undefined {
  const entry = config.saturationDetector;
  if (entry === undefined || entry.kind === 'inline') {
    const params = entry?.kind === 'inline' ? entry.parameters : undefined;
    const made = create(DEFAULT_SATURATION_DETECTOR_TYPE, DEFAULT_SATURATION_DETECTOR_TYPE, params, 'saturationDetector');
    if (made === undefined) return undefined;
    if (!isSaturationDetector(made)) {
      problems.push(`saturationDetector: type "${DEFAULT_SATURATION_DETECTOR_TYPE}" is not a saturation detector`);
      return undefined;
    }
    return made;
  }
  const inst = instances.get(entry.pluginRef);
  if (inst === undefined) {
    // upstream ensureSaturationDetector: a reference to the default type by name instantiates it.
    if (entry.pluginRef === DEFAULT_SATURATION_DETECTOR_TYPE) {
      const made = create(DEFAULT_SATURATION_DETECTOR_TYPE, DEFAULT_SATURATION_DETECTOR_TYPE, undefined, entry.path);
      if (made !== undefined && isSaturationDetector(made)) return made;
    }
    problems.push(`${entry.path}: no plugin named "${entry.pluginRef}"`);
    return undefined;
  }
  if (inst.plugin === undefined) {
    if (inst.ignored) problems.push(`${entry.path}: plugin "${entry.pluginRef}" has type "${inst.type}", which is accepted only for compatibility`);
    return undefined;
  }
  if (!isSaturationDetector(inst.plugin)) {
    problems.push(`${entry.path}: plugin "${entry.pluginRef}" (type "${inst.type}") is not a saturation detector`);
    return undefined;
  }
  return inst.plugin;
}
