/**
 * Plugin type -> factory. The engines look types up here; only src/plugins/registry.ts fills it, so no engine
 * imports a concrete plugin.
 */
import type { DataKey, PluginFactory } from '../framework/plugin.ts';

/** The plugin names a plugin's raw `parameters` refer to; throws on parameters it cannot read. */
export type PluginDependencies = (params: unknown) => readonly string[];

/**
 * Upstream's stability level of a plugin type (framework/interface/plugin/stability.go): Alpha types load only
 * with --allow-experimental-plugins.
 */
export type StabilityLevel = 'Alpha' | 'Beta' | 'Stable';

/** Upstream's deprecation metadata of a type (RegisterDeprecated): the loader warns when a config names it. */
export interface Deprecation {
  readonly deprecatedIn: string;
  readonly scheduledRemovalIn: string;
  readonly replacementType: string;
}

export class PluginRegistry {
  readonly #factories = new Map<string, PluginFactory>();
  readonly #ignored = new Map<string, string>();
  readonly #defaultProducers = new Map<DataKey, string>();
  readonly #gates = new Map<string, boolean>();
  readonly #dependencies = new Map<string, PluginDependencies>();
  readonly #stability = new Map<string, StabilityLevel>();
  readonly #deprecations = new Map<string, Deprecation>();

  /**
   * Registers a plugin type (kebab-case) with upstream's stability level (Beta unless named). Registering a
   * type twice is a programming error.
   */
  register(type: string, factory: PluginFactory, stability: StabilityLevel = 'Beta'): this {
    if (this.#factories.has(type) || this.#ignored.has(type)) throw new Error(`plugin type "${type}" registered twice`);
    this.#factories.set(type, factory);
    this.#stability.set(type, stability);
    return this;
  }

  /** Marks a registered type deprecated (upstream RegisterDeprecated). */
  deprecate(type: string, deprecation: Deprecation): this {
    if (!this.#factories.has(type)) throw new Error(`plugin type "${type}" is not registered`);
    this.#deprecations.set(type, deprecation);
    return this;
  }

  deprecation(type: string): Deprecation | undefined {
    return this.#deprecations.get(type);
  }

  /** The stability level of a type; Stable for a type not registered here, as upstream's GetPluginStability. */
  stability(type: string): StabilityLevel {
    return this.#stability.get(type) ?? 'Stable';
  }

  /**
   * Registers a type whose parameters name other plugins (upstream RegisterWithPluginDependencies): the
   * loader checks that every name is a configured plugin and that the references have no cycle.
   */
  registerWithDependencies(type: string, factory: PluginFactory, dependencies: PluginDependencies): this {
    this.register(type, factory);
    this.#dependencies.set(type, dependencies);
    return this;
  }

  /** The dependency reader of a type, when it has one. */
  dependencies(type: string): PluginDependencies | undefined {
    return this.#dependencies.get(type);
  }

  /**
   * Accepts an upstream type this picker does not implement: a config may list it in `plugins` (with a
   * warning) so upstream configs load, but no profile or detector may reference it.
   */
  ignore(type: string, reason: string): this {
    if (this.#factories.has(type) || this.#ignored.has(type)) throw new Error(`plugin type "${type}" registered twice`);
    this.#ignored.set(type, reason);
    return this;
  }

  /**
   * Names the plugin type the loader adds, with default parameters and its type as its name, when a
   * configured plugin requires `key` and none produces it (upstream auto-creates such producers).
   */
  defaultProducer(key: DataKey, type: string): this {
    this.#defaultProducers.set(key, type);
    return this;
  }

  defaultProducerOf(key: DataKey): string | undefined {
    return this.#defaultProducers.get(key);
  }

  /** Registers a feature gate `featureGates` may name, with its value when not named. */
  featureGate(name: string, enabledByDefault: boolean): this {
    this.#gates.set(name, enabledByDefault);
    return this;
  }

  /** Every registered feature gate with its default. */
  featureGates(): ReadonlyMap<string, boolean> {
    return this.#gates;
  }

  factory(type: string): PluginFactory | undefined {
    return this.#factories.get(type);
  }

  /** Why an ignored type is ignored, or undefined when the type is not on the ignore list. */
  ignoredReason(type: string): string | undefined {
    return this.#ignored.get(type);
  }

  types(): string[] {
    return [...this.#factories.keys()].sort();
  }
}
