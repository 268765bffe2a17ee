/**
 * The config sections beside plugins and profiles, resolved against the instantiated plugins: feature gates,
 * request parsers, the data layer, flow-control references, and plugin-to-plugin dependencies. Each adds its
 * problems to the loader's list (upstream config/loader validation.go, defaults.go, configloader.go).
 */
import type { Plugin } from '../framework/plugin.ts';
import { isDataExtractor, isDataSource, isEndpointDiscovery, isPageExtractor, isPolledSource, type EndpointDiscovery, type EngineSettings, type MetricsScrapeSettings, type PageExtractor, type PolledSource } from '../framework/datalayer.ts';
import { flowControlRole, type FlowControlRole } from '../framework/flowcontrol.ts';
import { isParser, type Parser } from '../framework/parser.ts';
import type { ParsedConfig, Ref } from './parse.ts';
import type { PluginRegistry } from './plugin-registry.ts';

/** Upstream's parsers when `requestHandler.parsers` is not given (config/loader/defaults.go ensureParsers). */
export const DEFAULT_PARSER_TYPES = ['openai-parser', 'anthropic-parser', 'vllmhttp-parser', 'passthrough-parser'];
export const DEFAULT_METRICS_SOURCE_TYPE = 'metrics-data-source';
export const DEFAULT_METRICS_EXTRACTOR_TYPE = 'core-metrics-extractor';
export const FLOW_CONTROL_GATE = 'flowControl';

/** One `plugins` entry as the loader instantiated it. */
export interface Instance {
  readonly index: number;
  readonly type: string;
  /** undefined when the type is ignored or the factory failed (already reported). */
  readonly plugin: Plugin | undefined;
  readonly ignored: boolean;
}

/** Instantiates a plugin of `type`; a failure is added to the problems and gives undefined. */
export type Create = (type: string, name: string, params: unknown, path: string) => Plugin | undefined;

/** upstream buildPluginDAG: plugin references in parameters name configured plugins and form no cycle. */
export function checkDependencies(config: ParsedConfig, registry: PluginRegistry, instances: ReadonlyMap<string, Instance>, problems: string[]): void {
  const graph = new Map<string, readonly string[]>();
  config.plugins.forEach((entry, i) => {
    const deps = registry.dependencies(entry.type);
    if (deps === undefined) return;
    let names: readonly string[];
    try {
      names = deps(entry.parameters);
    } catch (err) {
      problems.push(`plugins[${i}]: failed to parse plugin parameters for ${entry.name} (type: ${entry.type}): ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const d of names) if (!instances.has(d)) problems.push(`plugins[${i}]: plugin "${entry.name}" has a dependency on the unregistered plugin ${d}`);
    graph.set(entry.name, names);
  });
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 2) return;
    if (s === 1) {
      problems.push(`plugins: dependency cycle ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
      return;
    }
    state.set(name, 1);
    for (const d of graph.get(name) ?? []) visit(d, [...path, name]);
    state.set(name, 2);
  };
  for (const name of graph.keys()) visit(name, []);
}

/** upstream validateFeatureGates / loadFeatureConfig: only registered gates; `name=bool` sets the value. */
export function resolveFeatureGates(config: ParsedConfig, registry: PluginRegistry, problems: string[]): Map<string, boolean> {
  const gates = new Map(registry.featureGates());
  for (const g of config.featureGates) {
    if (!gates.has(g.name)) {
      problems.push(`${g.path}: feature gate '${g.name}' is unknown or unregistered (known: ${[...gates.keys()].join(', ')})`);
      continue;
    }
    gates.set(g.name, g.enabled);
  }
  return gates;
}

/**
 * upstream ensureParsers + buildParserRegistry: the configured list, else openai, anthropic, vllmhttp and
 * passthrough. A reference to no plugin of that name creates one when it is a parser type.
 */
export function resolveParsers(
  config: ParsedConfig,
  instances: ReadonlyMap<string, Instance>,
  registry: PluginRegistry,
  create: Create,
  problems: string[],
  added: Plugin[],
): Parser[] {
  const refs: readonly Ref[] = config.parsers ?? DEFAULT_PARSER_TYPES.map((t) => ({ pluginRef: t, path: 'requestHandler.parsers (default)' }));
  const out: Parser[] = [];
  for (const ref of refs) {
    let plugin: Plugin | undefined;
    const inst = instances.get(ref.pluginRef);
    if (inst !== undefined) {
      plugin = inst.plugin;
      if (plugin === undefined) continue; // its problem is already listed
    } else {
      plugin = added.find((p) => p.name === ref.pluginRef);
      if (plugin === undefined) {
        // upstream registerDefaultPlugin: the reference is taken as a type, instantiated without parameters.
        if (registry.factory(ref.pluginRef) === undefined) {
          problems.push(`${ref.path}: parser references undefined plugin '${ref.pluginRef}'`);
          continue;
        }
        plugin = create(ref.pluginRef, ref.pluginRef, undefined, ref.path);
        if (plugin === undefined) continue;
      } else continue; // listed twice: the parser table keeps the first
      added.push(plugin);
    }
    if (!isParser(plugin)) {
      problems.push(`${ref.path}: the plugin "${ref.pluginRef}" (type "${plugin.type}") is not a parser plugin`);
      continue;
    }
    out.push(plugin);
  }
  return out;
}

/**
 * upstream buildDataLayerConfig + ensureDataLayer: every source must be a data source and every extractor a
 * configured plugin; a metrics-data-source with a core-metrics-extractor is added unless one is configured
 * or `injectDefaults: false`.
 */
/** What the metric collector runs: the metrics source's scrape settings (undefined = no metrics source, collection off) and the extractor's engine settings. */
export interface DataLayerSettings {
  readonly scrape: MetricsScrapeSettings | undefined;
  readonly engines: EngineSettings | undefined;
  /** Sources the page poller runs (dcgm-data-source, models-data-source), each with its extractors. */
  readonly polled: readonly { readonly source: PolledSource; readonly extractors: readonly PageExtractor[] }[];
  /** `dataLayer.discovery`: the endpoints come from its file instead of an InferencePool (multicluster). */
  readonly discovery: EndpointDiscovery | undefined;
}

export function resolveDataLayer(
  config: ParsedConfig,
  instances: ReadonlyMap<string, Instance>,
  create: Create,
  problems: string[],
  added: Plugin[],
): DataLayerSettings {
  let scrape: MetricsScrapeSettings | undefined;
  let engines: EngineSettings | undefined;
  const polled: { source: PolledSource; extractors: PageExtractor[] }[] = [];
  const dl = config.dataLayer;
  for (const source of dl?.sources ?? []) {
    const inst = instances.get(source.pluginRef);
    if (inst === undefined) {
      problems.push(`${source.path}: the plugin ${source.pluginRef} is not registered`);
      continue;
    }
    const p = inst.plugin;
    if (p !== undefined && !isDataSource(p)) problems.push(`${source.path}: the plugin ${source.pluginRef} (type "${inst.type}") is not a data source`);
    if (p !== undefined && isDataSource(p) && p.scrape !== undefined) {
      if (scrape !== undefined) problems.push(`${source.path}: a second metrics source; the collector runs one`);
      scrape = p.scrape;
    }
    const binding = p !== undefined && isPolledSource(p) ? { source: p, extractors: [] as PageExtractor[] } : undefined;
    if (binding !== undefined) polled.push(binding);
    for (const ex of source.extractors) {
      const e = instances.get(ex.pluginRef);
      if (e === undefined) {
        problems.push(`${ex.path}: the plugin ${ex.pluginRef} is not registered`);
        continue;
      }
      if (binding !== undefined && e.plugin !== undefined) {
        if (isPageExtractor(e.plugin)) binding.extractors.push(e.plugin);
        else problems.push(`${ex.path}: the plugin ${ex.pluginRef} (type "${e.type}") cannot read the pages of ${source.pluginRef} (type "${inst.type}")`);
      }
      if (e.plugin !== undefined && isDataExtractor(e.plugin) && e.plugin.engines !== undefined) engines = e.plugin.engines;
    }
  }
  for (const ref of [dl?.discovery, dl?.peerDiscovery, dl?.crossReplicaSyncer]) {
    if (ref !== undefined && !instances.has(ref.pluginRef)) problems.push(`${ref.path}: no plugin named "${ref.pluginRef}"`);
  }
  let discovery: EndpointDiscovery | undefined;
  const d = dl?.discovery === undefined ? undefined : instances.get(dl.discovery.pluginRef);
  if (d?.plugin !== undefined) {
    if (isEndpointDiscovery(d.plugin)) discovery = d.plugin;
    else problems.push(`${dl!.discovery!.path}: the plugin ${dl!.discovery!.pluginRef} (type "${d.type}") is not an endpoint discovery`);
  }
  const hasMetricsSource = (dl?.sources ?? []).some((s) => instances.get(s.pluginRef)?.type === DEFAULT_METRICS_SOURCE_TYPE);
  // Peer clusters are not model servers: the default model-server scrape would fail on every one of them and take
  // them out of the candidates (the director skips endpoints whose scrape fails). Upstream injects it anyway and
  // only logs its extraction errors.
  const clusterScoped = discovery?.clusterScoped === true;
  if (dl?.injectDefaults !== false && !hasMetricsSource && !clusterScoped) {
    // upstream ensureDataLayer: a configured plugin of the default name is used as is.
    const source = instances.get(DEFAULT_METRICS_SOURCE_TYPE)?.plugin ?? create(DEFAULT_METRICS_SOURCE_TYPE, DEFAULT_METRICS_SOURCE_TYPE, undefined, 'dataLayer (default source)');
    // A configured engine-settings extractor that no source names (GIE v1.4 `model-server-protocol-metrics` beside
    // the dataLayer gate alone) is the one the default source uses.
    const extractor =
      instances.get(DEFAULT_METRICS_EXTRACTOR_TYPE)?.plugin ??
      [...instances.values()].find((i) => i.plugin !== undefined && isDataExtractor(i.plugin) && i.plugin.engines !== undefined)?.plugin ??
      create(DEFAULT_METRICS_EXTRACTOR_TYPE, DEFAULT_METRICS_EXTRACTOR_TYPE, undefined, 'dataLayer (default extractor)');
    for (const p of [source, extractor]) if (p !== undefined && !instances.has(p.name)) added.push(p);
    if (source !== undefined && isDataSource(source)) scrape ??= source.scrape;
    if (extractor !== undefined && isDataExtractor(extractor)) engines ??= extractor.engines;
  }
  return { scrape, engines, polled, discovery };
}

/**
 * `flowControl`: with the flowControl gate on, every policy reference must name a configured plugin of that
 * role (src/framework/flowcontrol.ts).
 * With the gate off its settings are ignored, as upstream, with a warning.
 */
export function checkFlowControl(config: ParsedConfig, instances: ReadonlyMap<string, Instance>, gateOn: boolean, problems: string[], warnings: string[]): void {
  const fc = config.flowControl;
  if (fc === undefined) return;
  if (!gateOn) {
    if (fc.configured) warnings.push('flowControl: the flowControl feature gate is disabled; its settings (other than saturationDetector) are ignored');
    return;
  }
  const refs: [Ref | undefined, FlowControlRole][] = [[fc.usageLimitPolicy, 'usage-limit-policy']];
  for (const band of [fc.defaultPriorityBand, fc.defaultNegativePriorityBand, ...fc.priorityBands]) {
    if (band === undefined) continue;
    refs.push([band.fairnessPolicy, 'fairness-policy'], [band.orderingPolicy, 'ordering-policy']);
  }
  for (const [ref, role] of refs) {
    if (ref === undefined) continue;
    const inst = instances.get(ref.pluginRef);
    if (inst === undefined) problems.push(`${ref.path}: no plugin named "${ref.pluginRef}"`);
    else if (inst.plugin !== undefined && flowControlRole(inst.plugin) !== role) {
      problems.push(`${ref.path}: plugin "${ref.pluginRef}" (type "${inst.type}") is not a ${role.replaceAll('-', ' ')}`);
    }
  }
}

