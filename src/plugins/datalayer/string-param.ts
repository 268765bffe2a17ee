/** A string plugin parameter (src/input/plugin-params.ts has none yet); absent or null = `def`. */
import { PluginConfigError } from '../../framework/plugin.ts';
import { describe } from '../../input/fields.ts';
import type { Params } from '../../input/plugin-params.ts';

export function stringParam(pluginName: string, p: Params, key: string, def: string): string {
  const v = p[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string') throw new PluginConfigError(pluginName, key, `must be a string, got ${describe(v)}`);
  return v;
}
