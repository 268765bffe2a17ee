/** Plugin contracts shared by every extension point. Implementations live under src/plugins/. */
import type { Clock } from './clock.ts';
import type { Endpoint } from './endpoint.ts';
import type { Logger } from 'pino';

/**
 * A named piece of per-request data one plugin writes and others read (upstream's DataKey). The config
 * loader orders every hook list so that a key's producers run before its consumers.
 */
export type DataKey = string;

export interface DataDependencies {
  /** The loader rejects a config where no plugin produces one of these. */
  readonly required?: readonly DataKey[];
  /** Read when present; the plugin copes without them. */
  readonly optional?: readonly DataKey[];
}

export interface Plugin {
  /** Registered type, kebab-case (e.g. "queue-scorer"). */
  readonly type: string;
  /** Instance name from the config (defaults to the type). */
  readonly name: string;
  /** Data this plugin writes for others (upstream ProducerPlugin.Produces). */
  readonly produces?: readonly DataKey[];
  /** Data this plugin reads from others (upstream ConsumerPlugin.Consumes). */
  readonly consumes?: DataDependencies;
}

/** The endpoints a plugin may look up (the datastore satisfies it). */
export interface EndpointLookup {
  endpoints(): readonly Endpoint[];
  endpoint(key: string): Endpoint | undefined;
}

/** What a plugin factory may use: read-only state and services, never the engines themselves. */
export interface PluginHandle {
  readonly endpoints: EndpointLookup;
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

/** Receives one plugin call's duration; engines call it only when per-plugin timing is on. */
export type PluginDurationHook = (extensionPoint: string, pluginType: string, pluginName: string, seconds: number) => void;

/** A plugin that keeps per-endpoint state; the runner forwards datastore removals to it. */
export interface EndpointStateHolder {
  removeEndpoint(key: string): void;
}

/** A plugin with an index whose size is exported as a metric. */
export interface IndexSizeReporter {
  indexEntries(): number;
}

/**
 * A plugin that names other plugins in its parameters (upstream `pluginRef` fields, e.g. a profile handler's
 * deciders): the loader calls bindPluginRefs once every configured plugin exists. Returns the problems
 * (an unknown name, a plugin of the wrong kind), [] when every reference resolved.
 */
export interface PluginRefUser {
  bindPluginRefs(lookup: (name: string) => Plugin | undefined): string[];
}

export function usesPluginRefs(p: Plugin): p is Plugin & PluginRefUser {
  return typeof (p as Partial<PluginRefUser>).bindPluginRefs === 'function';
}

export function holdsEndpointState(p: Plugin): p is Plugin & EndpointStateHolder {
  return typeof (p as Partial<EndpointStateHolder>).removeEndpoint === 'function';
}

export function reportsIndexSize(p: Plugin): p is Plugin & IndexSizeReporter {
  return typeof (p as Partial<IndexSizeReporter>).indexEntries === 'function';
}

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
