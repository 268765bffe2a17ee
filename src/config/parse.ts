/**
 * Shape check of the upstream `EndpointPickerConfig` (YAML or JSON: YAML 1.2 parses both), with the shared
 * strict field reader (src/input/fields.ts): unknown fields are errors, every problem is collected with its
 * field path. Plugin types and references are checked later, in loader.ts, against the registry.
 */
import { parseDocument } from 'yaml';
import { optDuration } from '../input/duration.ts';
import { asList, child, describe, FieldProblems, isAbsent, isMap, optBool, optInt, optNumber, optString, reqString, unknownFields, type RawMap } from '../input/fields.ts';
import { parseQuantity } from './quantity.ts';

export const CONFIG_API_VERSION = 'llm-d.ai/v1alpha1';
/** GIE's group: still accepted by llm-d Router, with a deprecation notice. */
export const DEPRECATED_CONFIG_API_VERSION = 'inference.networking.x-k8s.io/v1alpha1';
export const CONFIG_KIND = 'EndpointPickerConfig';

export interface PluginEntry {
  readonly name: string;
  readonly type: string;
  readonly parameters: unknown;
}

export interface ProfileRef {
  readonly pluginRef: string;
  /** undefined = not given (1 for scorers). */
  readonly weight: number | undefined;
}

export interface ProfileEntry {
  readonly name: string;
  readonly plugins: readonly ProfileRef[];
}

/** A reference to a plugin by name, with the field path it was read at. */
export interface Ref {
  readonly pluginRef: string;
  readonly path: string;
}

/** `saturationDetector`: a reference, or the pre-plugin inline thresholds of GIE up to v1.4. */
export type SaturationEntry =
  | { readonly kind: 'ref'; readonly pluginRef: string; readonly path: string }
  | { readonly kind: 'inline'; readonly parameters: Readonly<Record<string, unknown>> };

/** One `featureGates` entry: "name" or "name=bool" (upstream FeatureGates, `gate=false` since #1728). */
export interface FeatureGateEntry {
  readonly name: string;
  readonly enabled: boolean;
  readonly path: string;
}

export interface DataSourceEntry extends Ref {
  readonly extractors: readonly Ref[];
}

/** `dataLayer` (GIE v1.3/v1.4: `data`). */
export interface DataLayerEntry {
  readonly sources: readonly DataSourceEntry[];
  /** false: no default metrics source is added (upstream injectDefaults). */
  readonly injectDefaults: boolean;
  readonly discovery: Ref | undefined;
  readonly peerDiscovery: Ref | undefined;
  readonly crossReplicaSyncer: Ref | undefined;
  readonly crossReplicaSyncIntervalMs: number | undefined;
}

export interface PriorityBandEntry {
  readonly priority: number;
  readonly maxBytes: number | undefined;
  readonly maxRequests: number | undefined;
  readonly fairnessPolicy: Ref | undefined;
  readonly orderingPolicy: Ref | undefined;
}

/** `flowControl`: parsed and validated; the behaviour comes with flow control. */
export interface FlowControlEntry {
  readonly maxBytes: number | undefined;
  readonly maxRequests: number | undefined;
  readonly defaultRequestTTLMs: number | undefined;
  readonly noEndpointRequestTTLMs: number | undefined;
  readonly defaultPriorityBand: PriorityBandEntry | undefined;
  readonly defaultNegativePriorityBand: PriorityBandEntry | undefined;
  readonly priorityBands: readonly PriorityBandEntry[];
  readonly usageLimitPolicy: Ref | undefined;
  readonly enableEviction: boolean;
  /** Whether any setting besides saturationDetector is given (upstream warns when the gate is off). */
  readonly configured: boolean;
}

/** The section as absent: the flowControl gate alone turns flow control on with upstream's defaults. */
export const EMPTY_FLOW_CONTROL: FlowControlEntry = {
  maxBytes: undefined,
  maxRequests: undefined,
  defaultRequestTTLMs: undefined,
  noEndpointRequestTTLMs: undefined,
  defaultPriorityBand: undefined,
  defaultNegativePriorityBand: undefined,
  priorityBands: [],
  usageLimitPolicy: undefined,
  enableEviction: false,
  configured: false,
};

export interface ParsedConfig {
  readonly plugins: readonly PluginEntry[];
  /** undefined when the section is absent or empty (a default profile is then built). */
  readonly profiles: readonly ProfileEntry[] | undefined;
  /** `flowControl.saturationDetector`, else the deprecated top-level one. */
  readonly saturationDetector: SaturationEntry | undefined;
  readonly featureGates: readonly FeatureGateEntry[];
  /** `requestHandler.parsers`, else the deprecated top-level `parser`; undefined = the default parsers. */
  readonly parsers: readonly Ref[] | undefined;
  readonly dataLayer: DataLayerEntry | undefined;
  readonly flowControl: FlowControlEntry | undefined;
  readonly warnings: readonly string[];
}

const TOP_LEVEL = [
  'apiVersion',
  'kind',
  'featureGates',
  'plugins',
  'schedulingProfiles',
  'dataLayer',
  'data',
  'flowControl',
  'requestHandler',
  'saturationDetector',
  'parser',
];
const LEGACY_SATURATION_FIELDS = ['queueDepthThreshold', 'kvCacheUtilThreshold', 'metricsStalenessThreshold'];

/**
 * `fatal` = the text is not a usable document (YAML error, not a mapping); otherwise `config` holds every
 * well-formed part, so later checks can still run and report their problems alongside these.
 */
export function parseEndpointPickerConfig(text: string): { config: ParsedConfig; problems: string[]; fatal: boolean } {
  const problems = new FieldProblems();
  const warnings: string[] = [];
  const empty: ParsedConfig = {
    plugins: [],
    profiles: undefined,
    saturationDetector: undefined,
    featureGates: [],
    parsers: undefined,
    dataLayer: undefined,
    flowControl: undefined,
    warnings,
  };

  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  for (const e of doc.errors) problems.add('', `YAML: ${e.message}`);
  if (problems.list.length > 0) return { config: empty, problems: problems.list, fatal: true };
  for (const w of doc.warnings) warnings.push(`YAML: ${w.message}`);
  const root: unknown = doc.toJS();
  if (!isMap(root)) {
    problems.add('', 'the config must be a mapping');
    return { config: empty, problems: problems.list, fatal: true };
  }

  checkFields(root, TOP_LEVEL, '', problems);
  const apiVersion = root['apiVersion'];
  if (apiVersion === DEPRECATED_CONFIG_API_VERSION) {
    warnings.push(`apiVersion: "${DEPRECATED_CONFIG_API_VERSION}" is deprecated, use "${CONFIG_API_VERSION}"`);
  } else if (apiVersion !== CONFIG_API_VERSION) {
    problems.add('apiVersion', `must be "${CONFIG_API_VERSION}" (or the deprecated "${DEPRECATED_CONFIG_API_VERSION}"), got ${JSON.stringify(apiVersion)}`);
  }
  if (root['kind'] !== CONFIG_KIND) problems.add('kind', `must be "${CONFIG_KIND}", got ${JSON.stringify(root['kind'])}`);

  const plugins = parsePlugins(root['plugins'], problems);
  const profiles = parseProfiles(root['schedulingProfiles'], problems);
  const featureGates = parseFeatureGates(root['featureGates'], problems);

  const topSaturation = parseSaturation(root['saturationDetector'], 'saturationDetector', true, problems);
  if (topSaturation !== undefined) warnings.push('saturationDetector: the top-level field is deprecated, use flowControl.saturationDetector');
  const fc = parseFlowControl(root['flowControl'], problems);
  const saturationDetector = fc.saturationDetector ?? topSaturation;

  let parsers = parseRequestHandler(root['requestHandler'], problems);
  if (!isAbsent(root['parser'])) {
    warnings.push('parser: the top-level field is deprecated, use requestHandler.parsers');
    const legacy = readRef(root['parser'], 'parser', problems);
    if ((parsers === undefined || parsers.length === 0) && legacy !== undefined) parsers = [legacy];
  }

  let dataLayer = parseDataLayer(root['dataLayer'], 'dataLayer', problems);
  if (!isAbsent(root['data'])) {
    warnings.push('data: renamed dataLayer (GIE v1.5); the old name is accepted');
    if (dataLayer === undefined) dataLayer = parseDataLayer(root['data'], 'data', problems);
    else problems.add('data', 'cannot be given together with dataLayer');
  }

  const config: ParsedConfig = { plugins, profiles, saturationDetector, featureGates, parsers, dataLayer, flowControl: fc.entry, warnings };
  return { config, problems: problems.list, fatal: false };
}

function checkFields(o: RawMap, allowed: readonly string[], path: string, problems: FieldProblems): void {
  for (const e of unknownFields(o, path, allowed)) problems.add(e.path, e.message);
}

/** A list; absent is empty. */
function sequence(v: unknown, path: string, problems: FieldProblems): unknown[] {
  return problems.read(() => asList(v, path)) ?? [];
}

function parsePlugins(v: unknown, problems: FieldProblems): PluginEntry[] {
  const out: PluginEntry[] = [];
  sequence(v, 'plugins', problems).forEach((item, i) => {
    const path = child('plugins', i);
    if (!isMap(item)) return problems.add(path, `must be a mapping with type, name and parameters, got ${describe(item)}`);
    checkFields(item, ['name', 'type', 'parameters'], path, problems);
    const type = problems.read(() => reqString(item, 'type', path));
    const name = isAbsent(item['name']) ? type : problems.read(() => reqString(item, 'name', path));
    let parameters = item['parameters'] ?? undefined;
    if (parameters !== undefined && !isMap(parameters)) {
      problems.add(child(path, 'parameters'), `must be a mapping, got ${describe(parameters)}`);
      parameters = undefined; // reported once here, not again by the factory
    }
    if (type !== undefined && name !== undefined) out.push({ name, type, parameters });
  });
  return out;
}

function parseProfiles(v: unknown, problems: FieldProblems): ProfileEntry[] | undefined {
  const items = sequence(v, 'schedulingProfiles', problems);
  if (items.length === 0) return undefined;
  const out: ProfileEntry[] = [];
  items.forEach((item, i) => {
    const path = child('schedulingProfiles', i);
    if (!isMap(item)) return problems.add(path, `must be a mapping with name and plugins, got ${describe(item)}`);
    checkFields(item, ['name', 'plugins'], path, problems);
    const name = problems.read(() => reqString(item, 'name', path)) ?? `#${i}`;
    const refs: ProfileRef[] = [];
    const listPath = child(path, 'plugins');
    sequence(item['plugins'], listPath, problems).forEach((ref, j) => {
      const rpath = child(listPath, j);
      if (!isMap(ref)) return problems.add(rpath, `must be a mapping with pluginRef and weight, got ${describe(ref)}`);
      checkFields(ref, ['pluginRef', 'weight'], rpath, problems);
      const pluginRef = problems.read(() => reqString(ref, 'pluginRef', rpath));
      const weight = problems.read(() => optNumber(ref, 'weight', rpath, 0));
      if (pluginRef !== undefined) refs.push({ pluginRef, weight });
    });
    out.push({ name, plugins: refs });
  });
  return out;
}

function parseSaturation(v: unknown, path: string, legacyForm: boolean, problems: FieldProblems): SaturationEntry | undefined {
  if (isAbsent(v)) return undefined;
  if (!isMap(v)) {
    problems.add(path, `must be a mapping with pluginRef, got ${describe(v)}`);
    return undefined;
  }
  checkFields(v, legacyForm ? ['pluginRef', ...LEGACY_SATURATION_FIELDS] : ['pluginRef'], path, problems);
  const legacy = legacyForm ? Object.keys(v).filter((k) => LEGACY_SATURATION_FIELDS.includes(k)) : [];
  if (legacy.length === 0) {
    // An empty reference selects the default detector, as upstream.
    const pluginRef = problems.read(() => optString(v, 'pluginRef', path, Infinity, 0));
    return pluginRef ? { kind: 'ref', pluginRef, path: child(path, 'pluginRef') } : undefined;
  }
  if (v['pluginRef'] !== undefined) problems.add(path, `pluginRef cannot be combined with ${legacy.join(', ')}`);
  const parameters: Record<string, unknown> = {};
  for (const k of legacy) parameters[k] = v[k];
  return { kind: 'inline', parameters };
}

/** `{ pluginRef: name }`; a missing or empty name is a problem. */
function readRef(v: unknown, path: string, problems: FieldProblems): Ref | undefined {
  if (!isMap(v)) {
    problems.add(path, `must be a mapping with pluginRef, got ${describe(v)}`);
    return undefined;
  }
  checkFields(v, ['pluginRef'], path, problems);
  const pluginRef = problems.read(() => reqString(v, 'pluginRef', path));
  return pluginRef === undefined ? undefined : { pluginRef, path: child(path, 'pluginRef') };
}

/** An optional plugin name field (`usageLimitPolicyPluginRef`, `orderingPolicyRef`, ...); '' = not given. */
function optRef(obj: RawMap, key: string, path: string, problems: FieldProblems): Ref | undefined {
  const name = problems.read(() => optString(obj, key, path, Infinity, 0));
  return name ? { pluginRef: name, path: child(path, key) } : undefined;
}

function parseFeatureGates(v: unknown, problems: FieldProblems): FeatureGateEntry[] {
  const out: FeatureGateEntry[] = [];
  sequence(v, 'featureGates', problems).forEach((item, i) => {
    const path = child('featureGates', i);
    if (typeof item !== 'string') return problems.add(path, `must be a string ("name" or "name=true|false"), got ${describe(item)}`);
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim();
    let enabled = true;
    if (eq >= 0) {
      const value = parseGoBool(item.slice(eq + 1).trim().toLowerCase());
      if (value === undefined) return problems.add(path, `${JSON.stringify(item.slice(eq + 1))} is not a valid value for the feature gate ${name}`);
      enabled = value;
    }
    out.push({ name, enabled, path });
  });
  return out;
}

/** Go strconv.ParseBool on a lower-cased value. */
function parseGoBool(s: string): boolean | undefined {
  if (s === '1' || s === 't' || s === 'true') return true;
  if (s === '0' || s === 'f' || s === 'false') return false;
  return undefined;
}

function parseRequestHandler(v: unknown, problems: FieldProblems): Ref[] | undefined {
  if (isAbsent(v)) return undefined;
  const path = 'requestHandler';
  if (!isMap(v)) {
    problems.add(path, `must be a mapping with parsers, got ${describe(v)}`);
    return undefined;
  }
  checkFields(v, ['parsers'], path, problems);
  const out: Ref[] = [];
  const listPath = child(path, 'parsers');
  sequence(v['parsers'], listPath, problems).forEach((item, i) => {
    const ref = readRef(item, child(listPath, i), problems);
    if (ref !== undefined) out.push(ref);
  });
  return out.length === 0 ? undefined : out;
}

function parseDataLayer(v: unknown, path: string, problems: FieldProblems): DataLayerEntry | undefined {
  if (isAbsent(v)) return undefined;
  if (!isMap(v)) {
    problems.add(path, `must be a mapping with sources, got ${describe(v)}`);
    return undefined;
  }
  checkFields(v, ['sources', 'injectDefaults', 'discovery', 'peerDiscovery', 'crossReplicaSyncerPluginRef', 'crossReplicaSyncInterval'], path, problems);
  const sources: DataSourceEntry[] = [];
  const sourcesPath = child(path, 'sources');
  sequence(v['sources'], sourcesPath, problems).forEach((item, i) => {
    const spath = child(sourcesPath, i);
    if (!isMap(item)) return problems.add(spath, `must be a mapping with pluginRef and extractors, got ${describe(item)}`);
    checkFields(item, ['pluginRef', 'extractors'], spath, problems);
    const pluginRef = problems.read(() => reqString(item, 'pluginRef', spath));
    const extractors: Ref[] = [];
    const epath = child(spath, 'extractors');
    sequence(item['extractors'], epath, problems).forEach((e, j) => {
      const ref = readRef(e, child(epath, j), problems);
      if (ref !== undefined) extractors.push(ref);
    });
    if (pluginRef !== undefined) sources.push({ pluginRef, path: child(spath, 'pluginRef'), extractors });
  });
  const injectDefaults = problems.read(() => optBool(v, 'injectDefaults', path)) ?? true;
  const discovery = isAbsent(v['discovery']) ? undefined : readRef(v['discovery'], child(path, 'discovery'), problems);
  const peerDiscovery = isAbsent(v['peerDiscovery']) ? undefined : readRef(v['peerDiscovery'], child(path, 'peerDiscovery'), problems);
  const crossReplicaSyncer = optRef(v, 'crossReplicaSyncerPluginRef', path, problems);
  const crossReplicaSyncIntervalMs = problems.read(() => optDuration(v, 'crossReplicaSyncInterval', path));
  return { sources, injectDefaults, discovery, peerDiscovery, crossReplicaSyncer, crossReplicaSyncIntervalMs };
}

const BAND_FIELDS = ['priority', 'maxBytes', 'maxRequests', 'fairnessPolicyRef', 'orderingPolicyRef'];

function parseFlowControl(v: unknown, problems: FieldProblems): { entry: FlowControlEntry | undefined; saturationDetector: SaturationEntry | undefined } {
  const path = 'flowControl';
  if (isAbsent(v)) return { entry: undefined, saturationDetector: undefined };
  if (!isMap(v)) {
    problems.add(path, `must be a mapping, got ${describe(v)}`);
    return { entry: undefined, saturationDetector: undefined };
  }
  checkFields(
    v,
    ['maxBytes', 'maxRequests', 'defaultRequestTTL', 'noEndpointRequestTTL', 'defaultPriorityBand', 'defaultNegativePriorityBand', 'priorityBands', 'usageLimitPolicyPluginRef', 'saturationDetector', 'enableEviction'],
    path,
    problems,
  );
  const quantity = (o: RawMap, key: string, p: string): number | undefined =>
    isAbsent(o[key]) ? undefined : problems.read(() => parseQuantity(o[key], child(p, key)));
  const band = (b: unknown, bpath: string): PriorityBandEntry | undefined => {
    if (isAbsent(b)) return undefined;
    if (!isMap(b)) {
      problems.add(bpath, `must be a mapping, got ${describe(b)}`);
      return undefined;
    }
    checkFields(b, BAND_FIELDS, bpath, problems);
    return {
      priority: problems.read(() => optInt(b, 'priority', bpath, -(2 ** 31), 2 ** 31 - 1)) ?? 0,
      maxBytes: quantity(b, 'maxBytes', bpath),
      maxRequests: quantity(b, 'maxRequests', bpath),
      fairnessPolicy: optRef(b, 'fairnessPolicyRef', bpath, problems),
      orderingPolicy: optRef(b, 'orderingPolicyRef', bpath, problems),
    };
  };
  const priorityBands: PriorityBandEntry[] = [];
  const seen = new Map<number, number>();
  sequence(v['priorityBands'], child(path, 'priorityBands'), problems).forEach((b, i) => {
    const bpath = child(child(path, 'priorityBands'), i);
    const entry = band(b, bpath);
    if (entry === undefined) return;
    const at = seen.get(entry.priority);
    if (at !== undefined) problems.add(bpath, `duplicate priority ${entry.priority} (also priorityBands[${at}])`);
    seen.set(entry.priority, i);
    priorityBands.push(entry);
  });
  const entry: FlowControlEntry = {
    maxBytes: quantity(v, 'maxBytes', path),
    maxRequests: quantity(v, 'maxRequests', path),
    defaultRequestTTLMs: problems.read(() => optDuration(v, 'defaultRequestTTL', path)),
    noEndpointRequestTTLMs: problems.read(() => optDuration(v, 'noEndpointRequestTTL', path)),
    defaultPriorityBand: band(v['defaultPriorityBand'], child(path, 'defaultPriorityBand')),
    defaultNegativePriorityBand: band(v['defaultNegativePriorityBand'], child(path, 'defaultNegativePriorityBand')),
    priorityBands,
    usageLimitPolicy: optRef(v, 'usageLimitPolicyPluginRef', path, problems),
    enableEviction: problems.read(() => optBool(v, 'enableEviction', path)) ?? false,
    configured: Object.keys(v).some((k) => k !== 'saturationDetector'),
  };
  return { entry, saturationDetector: parseSaturation(v['saturationDetector'], child(path, 'saturationDetector'), false, problems) };
}
