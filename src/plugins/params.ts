/**
 * Strict readers for plugin `parameters`. Factories call these once at config load; every error is a
 * PluginConfigError naming the plugin and the field. Unknown keys are rejected.
 */
import { PluginConfigError } from '../framework/plugin.ts';

export type Params = Readonly<Record<string, unknown>>;

const NO_PARAMS: Params = Object.freeze({});

/** Checks that `raw` is absent or a plain object whose keys are all in `known`. */
export function readParams(pluginName: string, raw: unknown, known: readonly string[]): Params {
  if (raw === undefined || raw === null) return NO_PARAMS;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PluginConfigError(pluginName, '', 'parameters must be a mapping');
  }
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      const hint = known.length > 0 ? ` (known: ${known.join(', ')})` : ' (this plugin takes none)';
      throw new PluginConfigError(pluginName, key, `unknown parameter${hint}`);
    }
  }
  return raw as Params;
}

export function numberParam(pluginName: string, p: Params, key: string, def: number, min: number, max = Infinity): number {
  const v = p[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new PluginConfigError(pluginName, key, `must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function intParam(pluginName: string, p: Params, key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = p[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new PluginConfigError(pluginName, key, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function boolParam(pluginName: string, p: Params, key: string, def: boolean): boolean {
  const v = p[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw new PluginConfigError(pluginName, key, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/** A duration in ms: a Go duration string ("200ms", "1.5s", "1m30s") or a number of milliseconds. */
export function durationMsParam(pluginName: string, p: Params, key: string, def: number): number {
  const v = p[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const ms = parseGoDurationMs(v);
    if (ms !== undefined) return ms;
  }
  throw new PluginConfigError(pluginName, key, `must be a duration such as "200ms" or "2s", got ${JSON.stringify(v)}`);
}

export function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  let total = 0;
  let pos = 0;
  DURATION_PART.lastIndex = 0;
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
    pos = DURATION_PART.lastIndex;
  }
  return pos === 0 ? undefined : total;
}
