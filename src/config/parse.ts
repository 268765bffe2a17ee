/**
 * Shape check of the upstream `EndpointPickerConfig` (YAML or JSON: YAML 1.2 parses both). Strict: unknown
 * fields are errors, every problem is collected with its field path. Plugin types and references are checked
 * later, in config.ts, against the registry.
 */
import { parseDocument } from 'yaml';

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

type Obj = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(path ? `${path}: ${message}` : message);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFields(o: Obj, allowed: readonly string[], path: string, problems: Problems): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) problems.add(path ? `${path}.${key}` : key, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

function nonEmptyString(v: unknown, path: string, problems: Problems): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v;
  problems.add(path, v === undefined ? 'required' : `must be a non-empty string, got ${JSON.stringify(v)}`);
  return undefined;
}

function sequence(v: unknown, path: string, problems: Problems): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  problems.add(path, 'must be a list');
  return [];
}

/**
 * `fatal` = the text is not a usable document (YAML error, not a mapping); otherwise `config` holds every
 * well-formed part, so later checks can still run and report their problems alongside these.
 */
export function parseEndpointPickerConfig(text: string): { config: ParsedConfig; problems: string[]; fatal: boolean } {
  const problems = new Problems();
  const warnings: string[] = [];
  const empty: ParsedConfig = { plugins: [], profiles: undefined, saturationDetector: undefined, warnings };

  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  for (const e of doc.errors) problems.add('', `YAML: ${e.message}`);
  if (problems.list.length > 0) return { config: empty, problems: problems.list, fatal: true };
  for (const w of doc.warnings) warnings.push(`YAML: ${w.message}`);
  const root: unknown = doc.toJS();
  if (!isObj(root)) {
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

function parsePlugins(v: unknown, problems: Problems): PluginEntry[] {
  const out: PluginEntry[] = [];
  sequence(v, 'plugins', problems).forEach((item, i) => {
    const path = `plugins[${i}]`;
    if (!isObj(item)) return problems.add(path, 'must be a mapping with type, name and parameters');
    checkFields(item, ['name', 'type', 'parameters'], path, problems);
    const type = nonEmptyString(item['type'], `${path}.type`, problems);
    const name = item['name'] === undefined ? type : nonEmptyString(item['name'], `${path}.name`, problems);
    let parameters = item['parameters'] ?? undefined;
    if (parameters !== undefined && !isObj(parameters)) {
      problems.add(`${path}.parameters`, 'must be a mapping');
      parameters = undefined; // reported once here, not again by the factory
    }
    if (type !== undefined && name !== undefined) out.push({ name, type, parameters });
  });
  return out;
}

function parseProfiles(v: unknown, problems: Problems): ProfileEntry[] | undefined {
  const items = sequence(v, 'schedulingProfiles', problems);
  if (items.length === 0) return undefined;
  const out: ProfileEntry[] = [];
  items.forEach((item, i) => {
    const path = `schedulingProfiles[${i}]`;
    if (!isObj(item)) return problems.add(path, 'must be a mapping with name and plugins');
    checkFields(item, ['name', 'plugins'], path, problems);
    const name = nonEmptyString(item['name'], `${path}.name`, problems) ?? `#${i}`;
    const refs: ProfileRef[] = [];
    sequence(item['plugins'], `${path}.plugins`, problems).forEach((ref, j) => {
      const rpath = `${path}.plugins[${j}]`;
      if (!isObj(ref)) return problems.add(rpath, 'must be a mapping with pluginRef and weight');
      checkFields(ref, ['pluginRef', 'weight'], rpath, problems);
      const pluginRef = nonEmptyString(ref['pluginRef'], `${rpath}.pluginRef`, problems);
      const w = ref['weight'];
      let weight: number | undefined;
      if (w !== undefined && w !== null) {
        if (typeof w === 'number' && Number.isFinite(w) && w >= 0) weight = w;
        else problems.add(`${rpath}.weight`, `must be a non-negative number, got ${JSON.stringify(w)}`);
      }
      if (pluginRef !== undefined) refs.push({ pluginRef, weight });
    });
    out.push({ name, plugins: refs });
  });
  return out;
}

function parseSaturation(v: unknown, problems: Problems): SaturationEntry | undefined {
  if (v === undefined || v === null) return undefined;
  const path = 'saturationDetector';
  if (!isObj(v)) {
    problems.add(path, 'must be a mapping with pluginRef');
    return undefined;
  }
  checkFields(v, ['pluginRef', ...LEGACY_SATURATION_FIELDS], path, problems);
  const legacy = Object.keys(v).filter((k) => LEGACY_SATURATION_FIELDS.includes(k));
  if (v['pluginRef'] !== undefined) {
    if (legacy.length > 0) problems.add(path, `pluginRef cannot be combined with ${legacy.join(', ')}`);
    const pluginRef = nonEmptyString(v['pluginRef'], `${path}.pluginRef`, problems);
    return pluginRef === undefined ? undefined : { kind: 'ref', pluginRef };
  }
  const parameters: Record<string, unknown> = {};
  for (const k of legacy) parameters[k] = v[k];
  return { kind: 'inline', parameters };
}
