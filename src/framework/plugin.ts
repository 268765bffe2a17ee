/** Plugin contracts shared by every extension point. Implementations live under src/plugins/. */
import type { Clock } from './clock.ts';
import type { DatastoreReader } from '../datastore/datastore.ts';
import type { Logger } from 'pino';

export interface Plugin {
  /** Registered type, kebab-case (e.g. "queue-scorer"). */
  readonly type: string;
  /** Instance name from the config (defaults to the type). */
  readonly name: string;
}

/** What a plugin factory may use: read-only state and services, never the engines themselves. */
export interface PluginHandle {
  readonly datastore: DatastoreReader;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Metric staleness threshold in ms (from --metrics-staleness-threshold). */
  readonly metricsStalenessMs: number;
}

/**
 * Builds a plugin from its config entry. `params` is the raw `parameters` value (may be undefined);
 * the factory validates it strictly and throws PluginConfigError naming the offending field.
 */
export type PluginFactory = (name: string, params: unknown, handle: PluginHandle) => Plugin;

export class PluginConfigError extends Error {
  readonly pluginName: string;
  readonly field: string;
  constructor(pluginName: string, field: string, message: string) {
    super(`plugin "${pluginName}": ${field ? `parameters.${field}: ` : ''}${message}`);
    this.name = 'PluginConfigError';
    this.pluginName = pluginName;
    this.field = field;
  }
}
