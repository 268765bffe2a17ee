/**
 * Plugin `parameters`, read with the shared strict field reader (src/input/). Factories call these once at
 * config load; every error is a PluginConfigError naming the plugin and the field. Unknown keys are rejected.
 */
import { PluginConfigError } from '../framework/plugin.ts';
import { optDuration } from './duration.ts';
import { describe, FieldError, isAbsent, isMap, onlyFields, optBool, optInt, optNumber } from './fields.ts';

export type Params = Readonly<Record<string, unknown>>;

const NO_PARAMS: Params = Object.freeze({});

/** Checks that `raw` is absent or a mapping whose keys are all in `known`. */
export function readParams(pluginName: string, raw: unknown, known: readonly string[]): Params {
  if (isAbsent(raw)) return NO_PARAMS;
  if (!isMap(raw)) throw new PluginConfigError(pluginName, '', `parameters must be a mapping, got ${describe(raw)}`);
  return read(pluginName, () => {
    onlyFields(raw, '', known, 'parameter');
    return raw;
  });
}

export function numberParam(pluginName: string, p: Params, key: string, def: number, min: number, max = Infinity): number {
  return read(pluginName, () => optNumber(p, key, '', min, max)) ?? def;
}

export function intParam(pluginName: string, p: Params, key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return read(pluginName, () => optInt(p, key, '', min, max)) ?? def;
}

export function boolParam(pluginName: string, p: Params, key: string, def: boolean): boolean {
  return read(pluginName, () => optBool(p, key, '')) ?? def;
}

export function stringParam(pluginName: string, p: Params, key: string, def: string): string {
  const v = p[key];
  if (isAbsent(v)) return def;
  if (typeof v !== 'string') throw new PluginConfigError(pluginName, key, `must be a string, got ${describe(v)}`);
  return v;
}

/** A duration in ms: a Go duration string ("200ms", "1.5s", "1m30s") or a non-negative number of milliseconds. */
export function durationMsParam(pluginName: string, p: Params, key: string, def: number): number {
  return read(pluginName, () => optDuration(p, key, '', { numbersAreMs: true })) ?? def;
}

/**
 * Runs any field reader (src/input/fields.ts, label-selector.ts) over the parameters; its FieldError (path
 * relative to `parameters`) becomes a PluginConfigError naming the plugin. For parameters beyond the scalars above.
 */
export function read<T>(pluginName: string, reader: () => T): T {
  try {
    return reader();
  } catch (err) {
    if (err instanceof FieldError) throw new PluginConfigError(pluginName, err.path, err.message);
    throw err;
  }
}
