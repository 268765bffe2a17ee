/**
 * Plugin stability gate (upstream plugin.ValidatePluginStability, run by the runner after the config loads):
 * a config whose plugins include an Alpha type fails to start unless --allow-experimental-plugins is set.
 */
import type { Plugin } from '../framework/plugin.ts';
import type { PluginRegistry } from './plugin-registry.ts';

/**
 * The error upstream returns for the first Alpha plugin by instance name (its message, word for word), or
 * undefined when every plugin may load. Plugins the loader added (default producers) count as upstream's do.
 */
export function pluginStabilityError(plugins: ReadonlyMap<string, Plugin>, registry: PluginRegistry, allowExperimentalPlugins: boolean): string | undefined {
  if (allowExperimentalPlugins) return undefined;
  const names = [...plugins.keys()].sort();
  for (const name of names) {
    const type = plugins.get(name)!.type;
    if (registry.stability(type) === 'Alpha') {
      return `plugin '${name}' (type: '${type}') has Alpha stability level, but command line flag --allow-experimental-plugins is not set`;
    }
  }
  return undefined;
}
