/**
 * Shape check of the upstream `EndpointPickerConfig` (YAML or JSON: YAML 1.2 parses both), with the shared
 * strict field reader (src/input/fields.ts): unknown fields are errors, every problem is collected with its
 * field path. Plugin types and references are checked
 * later, in config.ts, against the registry.
 */
import { parseDocument } from 'yaml';
import { asList, child, describe, FieldProblems, isAbsent, isMap, optNumber, reqString, unknownFields, type RawMap } from '../input/fields.ts';

export const CONFIG_API_VERSION = 'inference.networking.x-k8s.io/v1alpha1';
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

/** `saturationDetector`: a reference, or the pre-plugin inline thresholds of older upstream versions. */
export type SaturationEntry =
  | { readonly kind: 'ref'; readonly pluginRef: string }
  | { readonly kind: 'inline'; readonly parameters: Readonly<Record<string, unknown>> };

export interface ParsedConfig {
  readonly plugins: readonly PluginEntry[];
  /** undefined when the section is absent or empty (a default profile is then built). */
  readonly profiles: readonly ProfileEntry[] | undefined;
  readonly saturationDetector: SaturationEntry | undefined;
  readonly warnings: readonly string[];
}

const TOP_LEVEL = ['apiVersion', 'kind', 'plugins', 'schedulingProfiles', 'saturationDetector'];
const IGNORED_SECTIONS: Readonly<Record<string, string>> = {
  featureGates: 'feature gates are not implemented',
  dataLayer: 'metrics collection is configured by command-line flags',
  flowControl: 'flow control is not implemented; admission sheds sheddable requests on saturation',
  parser: 'the OpenAI request parser is built in',
};
const LEGACY_SATURATION_FIELDS = ['queueDepthThreshold', 'kvCacheUtilThreshold', 'metricsStalenessThreshold'];

/**
 * `fatal` = the text is not a usable document (YAML error, not a mapping); otherwise `config` holds every
 * well-formed part, so later checks can still run and report their problems alongside these.
 */
export function parseEndpointPickerConfig(text: string): { config: ParsedConfig; problems: string[]; fatal: boolean } {
  const problems = new FieldProblems();
  const warnings: string[] = [];
  const empty: ParsedConfig = { plugins: [], profiles: undefined, saturationDetector: undefined, warnings };

  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  for (const e of doc.errors) problems.add('', `YAML: ${e.message}`);
  if (problems.list.length > 0) return { config: empty, problems: problems.list, fatal: true };
  for (const w of doc.warnings) warnings.push(`YAML: ${w.message}`);
  const root: unknown = doc.toJS();
  if (!isMap(root)) {
    problems.add('', 'the config must be a mapping');
    return { config: empty, problems: problems.list, fatal: true };
  }

  for (const key of Object.keys(root)) {
    const reason = IGNORED_SECTIONS[key];
    if (reason !== undefined) warnings.push(`${key}: accepted and ignored (${reason})`);
  }
  checkFields(root, [...TOP_LEVEL, ...Object.keys(IGNORED_SECTIONS)], '', problems);
  if (root['apiVersion'] !== CONFIG_API_VERSION) {
    problems.add('apiVersion', `must be "${CONFIG_API_VERSION}", got ${JSON.stringify(root['apiVersion'])}`);
  }
  if (root['kind'] !== CONFIG_KIND) problems.add('kind', `must be "${CONFIG_KIND}", got ${JSON.stringify(root['kind'])}`);

  const plugins = parsePlugins(root['plugins'], problems);
  const profiles = parseProfiles(root['schedulingProfiles'], problems);
  const saturationDetector = parseSaturation(root['saturationDetector'], problems);
  return { config: { plugins, profiles, saturationDetector, warnings }, problems: problems.list, fatal: false };
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

function parseSaturation(v: unknown, problems: FieldProblems): SaturationEntry | undefined {
  if (isAbsent(v)) return undefined;
  const path = 'saturationDetector';
  if (!isMap(v)) {
    problems.add(path, `must be a mapping with pluginRef, got ${describe(v)}`);
    return undefined;
  }
  checkFields(v, ['pluginRef', ...LEGACY_SATURATION_FIELDS], path, problems);
  const legacy = Object.keys(v).filter((k) => LEGACY_SATURATION_FIELDS.includes(k));
  if (v['pluginRef'] !== undefined) {
    if (legacy.length > 0) problems.add(path, `pluginRef cannot be combined with ${legacy.join(', ')}`);
    const pluginRef = problems.read(() => reqString(v, 'pluginRef', path));
    return pluginRef === undefined ? undefined : { kind: 'ref', pluginRef };
  }
  const parameters: Record<string, unknown> = {};
  for (const k of legacy) parameters[k] = v[k];
  return { kind: 'inline', parameters };
}
