/**
 * What the endpoint-attribute filter and scorer share (upstream datalayer/attribute/metrics ResolveConfiguredKey):
 * the key of a numeric endpoint attribute from its `attribute` name and optional `producer`, and its reading.
 */
import { dataKey, endpointData } from '../../framework/data-keys.ts';
import type { Endpoint } from '../../framework/endpoint.ts';
import { PluginConfigError } from '../../framework/plugin.ts';
import { child, describe, FieldError, isAbsent, optEnum, type RawMap } from '../../input/fields.ts';
import type { Params } from '../../input/plugin-params.ts';

/** The producer of custom scalar metrics when `producer` is omitted. */
export const CORE_METRICS_PRODUCER = 'core-metrics-extractor';

/**
 * The attribute's key. An omitted producer selects the core metrics extractor; a set one is taken verbatim ('' =
 * a producer-agnostic attribute, stored under the bare name).
 */
export function resolveAttributeKey(pluginName: string, p: Params, attributeField: string): string {
  const attribute = p[attributeField];
  if (typeof attribute !== 'string' || attribute === '') {
    throw new PluginConfigError(pluginName, attributeField, `a non-empty string is required, got ${describe(attribute)}`);
  }
  const producer = p['producer'];
  if (isAbsent(producer)) {
    // llm-d Router v0.10 spelled attribute and producer as one "Attribute/Producer" string; main refuses it
    // (it matched nothing there after a key change). Here that string is exactly the key the producer writes,
    // so v0.10 configs keep working.
    if (attribute.includes('/')) return attribute;
    return dataKey(attribute, CORE_METRICS_PRODUCER);
  }
  if (typeof producer !== 'string') throw new PluginConfigError(pluginName, 'producer', `must be a string, got ${describe(producer)}`);
  return producer === '' ? attribute : dataKey(attribute, producer);
}

/** The endpoint's numeric attribute under `key`, or NaN when it has none. */
export function scalarAttribute(endpoint: Endpoint, key: string): number {
  const v = endpointData<unknown>(endpoint, key);
  return typeof v === 'number' ? v : NaN;
}

/** A required one-of string field (upstream validates these after decoding, so "" and absent are refused alike). */
export function reqEnum<T extends string>(obj: RawMap, key: string, path: string, values: readonly T[]): T {
  const v = optEnum(obj, key, path, values);
  if (v === undefined) throw new FieldError(child(path, key), `required, one of ${values.join(', ')}`);
  return v;
}
