/**
 * Parameters of disaggregatedset-rollout-screener (upstream screener/disaggregatedsetrollout/config.go): read
 * strictly once at config load, label-key defaults filled in, header names lower-cased as request headers are.
 */
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { asList, asMap, child, FieldError, isAbsent, onlyFields, optEnum, optMap, reqString } from '../../../../input/fields.ts';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../../../../input/label-selector.ts';
import { read } from '../../../../input/plugin-params.ts';

/** DisaggregatedSet operator label conventions: the defaults of revisionLabelKey and roleLabelKey. */
export const DEFAULT_REVISION_LABEL = 'disaggregatedset.x-k8s.io/revision';
export const DEFAULT_ROLE_LABEL = 'disaggregatedset.x-k8s.io/role';

/** strict: screens candidates to the header's label value (no match fails closed); prefer: only stamps the response. */
export type SelectorMode = 'strict' | 'prefer';
/** sum / max-role: coverage check and one weighted revision per request; disabled: selectors and stamping only. */
export type GatingMode = 'sum' | 'max-role' | 'disabled';

export interface HeaderSelector {
  /** Stable identifier, the `selector` label of the no-match counter. */
  readonly name: string;
  /** Lower-cased. */
  readonly headerName: string;
  readonly labelKey: string;
  readonly mode: SelectorMode;
}

export interface RolloutConfig {
  readonly scope: LabelSelector;
  readonly headerSelectors: readonly HeaderSelector[];
  readonly mode: GatingMode;
  readonly revisionLabelKey: string;
  readonly roleLabelKey: string;
  /** Roles every revision needs a Ready pod of; [] when gating is disabled. Order breaks max-role ties. */
  readonly requireRoles: readonly string[];
}

const TOP = ['scope', 'headerSelectors', 'revisionGating'];
const SELECTOR_FIELDS = ['name', 'headerName', 'labelKey', 'mode'];
const GATING_FIELDS = ['revisionLabelKey', 'roleLabelKey', 'mode', 'requireRoles'];

/** Throws PluginConfigError naming the plugin and the field (upstream Config.Validate, same checks and order). */
export function parseRolloutConfig(pluginName: string, params: unknown): RolloutConfig {
  if (isAbsent(params)) throw new PluginConfigError(pluginName, '', 'parameters are required (scope, revisionGating)');
  return read(pluginName, () => {
    const p = asMap(params, '');
    onlyFields(p, '', TOP, 'parameter');
    const scopeMap = asMap(p['scope'], 'scope');
    onlyFields(scopeMap, 'scope', ['labelSelector']);
    const scopeText = reqString(scopeMap, 'labelSelector', 'scope');
    const scope = parseLabelSelector(scopeText, 'scope.labelSelector');
    const headerSelectors = readSelectors(p['headerSelectors']);
    const g = optMap(p['revisionGating'], 'revisionGating');
    if (g === undefined) throw new FieldError('revisionGating', 'required');
    onlyFields(g, 'revisionGating', GATING_FIELDS);
    const mode = optEnum<GatingMode>(g, 'mode', 'revisionGating', ['sum', 'max-role', 'disabled']);
    if (mode === undefined) throw new FieldError('revisionGating.mode', 'required (sum, max-role or disabled)');
    const revisionLabelKey = labelKey(g, 'revisionLabelKey', DEFAULT_REVISION_LABEL);
    const roleLabelKey = labelKey(g, 'roleLabelKey', DEFAULT_ROLE_LABEL);
    const requireRoles = mode === 'disabled' ? [] : readRoles(g['requireRoles'], mode);
    return { scope, headerSelectors, mode, revisionLabelKey, roleLabelKey, requireRoles };
  });
}

function readSelectors(raw: unknown): HeaderSelector[] {
  const out: HeaderSelector[] = [];
  const names = new Set<string>();
  const headers = new Set<string>();
  asList(raw, 'headerSelectors').forEach((item, i) => {
    const path = child('headerSelectors', i);
    const s = asMap(item, path);
    onlyFields(s, path, SELECTOR_FIELDS);
    const name = reqString(s, 'name', path);
    const headerName = reqString(s, 'headerName', path).toLowerCase();
    const labelKeyValue = reqString(s, 'labelKey', path);
    const mode = optEnum<SelectorMode>(s, 'mode', path, ['strict', 'prefer']);
    if (mode === undefined) throw new FieldError(child(path, 'mode'), 'required (strict or prefer)');
    if (names.has(name)) throw new FieldError('headerSelectors', `duplicate name "${name}"`);
    if (headers.has(headerName)) throw new FieldError('headerSelectors', `duplicate headerName "${headerName}"`);
    names.add(name);
    headers.add(headerName);
    out.push({ name, headerName, labelKey: labelKeyValue, mode });
  });
  return out;
}

function labelKey(g: Record<string, unknown>, key: string, def: string): string {
  const v = g[key];
  if (isAbsent(v) || v === '') return def;
  return reqString(g, key, 'revisionGating');
}

function readRoles(raw: unknown, mode: GatingMode): string[] {
  const r = optMap(raw, 'revisionGating.requireRoles');
  if (r === undefined) throw new FieldError('revisionGating.requireRoles', `required when revisionGating.mode=${mode}`);
  onlyFields(r, 'revisionGating.requireRoles', ['values']);
  const values = asList(r['values'], 'revisionGating.requireRoles.values');
  if (values.length === 0) throw new FieldError('revisionGating.requireRoles.values', 'must contain at least one role');
  const roles: string[] = [];
  values.forEach((v, i) => {
    const path = child('revisionGating.requireRoles.values', i);
    if (typeof v !== 'string' || v === '') throw new FieldError(path, 'must be a non-empty string');
    if (roles.includes(v)) throw new FieldError('revisionGating.requireRoles.values', `duplicate role "${v}"`);
    roles.push(v);
  });
  return roles;
}

/** Whether a pod with these labels counts toward revision coverage: in scope, with a revision and a role. */
export function countsTowardCoverage(config: RolloutConfig, labels: Readonly<Record<string, string>>): boolean {
  if (config.mode === 'disabled') return false;
  return (labels[config.revisionLabelKey] ?? '') !== '' && (labels[config.roleLabelKey] ?? '') !== '' && matchesLabels(config.scope, labels);
}
