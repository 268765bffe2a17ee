/**
 * The one place that holds state: the pool, the inference objects and the endpoints derived from pods.
 * Both sources (the standalone resources file and the Kubernetes informers) write here through the same
 * methods; readers get immutable snapshots (`endpoints()` returns an array that is replaced, never mutated).
 */
import { EventEmitter } from 'node:events';
import { Endpoint, endpointKey, ENGINE_TYPES, type EngineType } from '../framework/endpoint.ts';
import { matchesLabels, type LabelSelector } from '../input/label-selector.ts';
import {
  ACTIVE_PORTS_ANNOTATION,
  ENGINE_LABEL,
  LEGACY_ACTIVE_PORTS_ANNOTATION,
  LEGACY_ENGINE_LABEL,
  ROLE_LABEL,
  type ModelSpec,
  type ObjectiveSpec,
  type PodSpec,
  poolSelector,
  type PoolSpec,
  type ResourceSet,
  type RewriteRule,
  type RewriteSpec,
} from './resources.ts';

export interface DatastoreOptions {
  /** Pool to serve; '' = the only pool present (standalone convenience). */
  poolName: string;
  poolNamespace: string;
  /** Pool-less mode: a fixed selector and ports instead of an InferencePool object. */
  endpointSelector?: LabelSelector | undefined;
  endpointTargetPorts?: readonly number[] | undefined;
  /** Label that names a pod's engine type. */
  engineLabel?: string;
  defaultEngine?: EngineType;
  /** Engine names a pod label may name (built-in and engineConfigs); absent = the built-in ones. */
  engines?: readonly EngineType[];
}

export interface DatastoreEvents {
  endpointAdded: [Endpoint];
  /** An endpoint kept with new pod labels (endpoint observers re-read them). */
  endpointRelabelled: [Endpoint];
  endpointRemoved: [Endpoint];
  /** Anything changed (pool, objects or endpoints). */
  changed: [];
}

/** What the request path needs from the datastore (engines depend on this, not the class). */
export interface DatastoreReader {
  pool(): PoolSpec | undefined;
  endpoints(): readonly Endpoint[];
  endpoint(key: string): Endpoint | undefined;
  model(modelName: string): ModelSpec | undefined;
  objective(name: string): ObjectiveSpec | undefined;
  rewriteRule(modelName: string): RewriteRule | undefined;
  synced(): boolean;
}

export class Datastore extends EventEmitter<DatastoreEvents> implements DatastoreReader {
  readonly options: Required<Omit<DatastoreOptions, 'endpointSelector' | 'endpointTargetPorts'>> &
    Pick<DatastoreOptions, 'endpointSelector' | 'endpointTargetPorts'>;

  #pools = new Map<string, PoolSpec>();
  #pool: PoolSpec | undefined;
  #models = new Map<string, ModelSpec>();
  #modelsByName = new Map<string, ModelSpec>();
  #objectives = new Map<string, ObjectiveSpec>();
  #objectivesByName = new Map<string, ObjectiveSpec>();
  #rewrites = new Map<string, RewriteSpec>();
  #rewriteIndex = new Map<string, RewriteRule>();
  #catchAllRewrite: RewriteRule | undefined;
  /** The InferenceModelRewrite each indexed rule belongs to (the model_rewrite_name metric label). */
  #ruleOwner = new WeakMap<RewriteRule, string>();
  #pods = new Map<string, PodSpec>();
  #endpoints = new Map<string, Endpoint>();
  #snapshot: readonly Endpoint[] = [];
  #synced = false;
  #batchDepth = 0;
  #dirty = false;

  constructor(options: DatastoreOptions) {
    super();
    // `??` rather than spread defaults: a caller passing `engineLabel: undefined` must still get the default.
    this.options = {
      ...options,
      engineLabel: options.engineLabel ?? ENGINE_LABEL,
      defaultEngine: options.defaultEngine ?? 'vllm',
      engines: options.engines ?? ENGINE_TYPES,
    };
    if (options.endpointSelector) {
      // Pool-less mode: a synthetic pool that is known from the start.
      this.#pool = {
        name: options.poolName || 'endpoint-selector',
        namespace: options.poolNamespace,
        group: '',
        selector: options.endpointSelector.matchLabels,
        matchExpressions: options.endpointSelector.matchExpressions,
        targetPorts: options.endpointTargetPorts ?? [8000],
        appProtocol: 'http',
        failureMode: 'FailOpen',
      };
    }
  }

  // ---------------------------------------------------------------- reads

  pool(): PoolSpec | undefined {
    return this.#pool;
  }
  endpoints(): readonly Endpoint[] {
    return this.#snapshot;
  }
  endpoint(key: string): Endpoint | undefined {
    return this.#endpoints.get(key);
  }
  model(modelName: string): ModelSpec | undefined {
    return this.#modelsByName.get(modelName);
  }
  models(): ModelSpec[] {
    return [...this.#modelsByName.values()];
  }
  objective(name: string): ObjectiveSpec | undefined {
    return this.#objectivesByName.get(name);
  }
  objectives(): ObjectiveSpec[] {
    return [...this.#objectivesByName.values()];
  }
  rewriteRule(modelName: string): RewriteRule | undefined {
    return this.#rewriteIndex.get(modelName) ?? this.#catchAllRewrite;
  }
  /** Name of the InferenceModelRewrite a rule from rewriteRule() belongs to ('' when unknown). */
  rewriteName(rule: RewriteRule): string {
    return this.#ruleOwner.get(rule) ?? '';
  }
  pods(): PodSpec[] {
    return [...this.#pods.values()];
  }
  /** Every model name an InferenceModelRewrite names (exact-match sources and targets): metric labels pinned to these never fold. */
  rewriteModelNames(): Set<string> {
    const out = new Set<string>();
    for (const r of this.#rewrites.values()) {
      for (const rule of r.rules) {
        for (const m of rule.matches) out.add(m);
        for (const t of rule.targets) out.add(t.modelRewrite);
      }
    }
    return out;
  }
  /** The weighted targets of every InferenceModelRewrite rule and InferenceModel (the adapter syncer's input). */
  weightedTargets(): { adapter: string; weight: number }[][] {
    const out: { adapter: string; weight: number }[][] = [];
    for (const r of this.#rewrites.values()) for (const rule of r.rules) out.push(rule.targets.map((t) => ({ adapter: t.modelRewrite, weight: t.weight })));
    for (const m of this.#modelsByName.values()) if (m.targetModels.length > 0) out.push(m.targetModels.map((t) => ({ adapter: t.name, weight: t.weight })));
    return out;
  }
  /** True once the pool this picker serves has been seen (readiness). */
  synced(): boolean {
    return this.#synced && this.#pool !== undefined;
  }

  // ---------------------------------------------------------------- writes

  /** Marks the initial list of a source as complete. */
  markSynced(): void {
    this.#synced = true;
    this.emit('changed');
  }

  /** Runs `fn` and recomputes derived state once at the end, however many writes it made. */
  batch(fn: () => void): void {
    this.#batchDepth++;
    try {
      fn();
    } finally {
      if (--this.#batchDepth === 0 && this.#dirty) this.#recompute();
    }
  }

  /** Replaces everything one source knows (standalone reload, full relist). Unchanged endpoints keep their metrics. */
  replaceAll(set: ResourceSet): void {
    this.batch(() => {
      this.#pools.clear();
      for (const p of set.pools) this.#pools.set(nsName(p), p);
      this.#models.clear();
      for (const m of set.models) this.#models.set(nsName(m), m);
      this.#objectives.clear();
      for (const o of set.objectives) this.#objectives.set(nsName(o), o);
      this.#rewrites.clear();
      for (const r of set.rewrites) this.#rewrites.set(nsName(r), r);
      this.#pods.clear();
      for (const p of set.pods) this.#pods.set(nsName(p), p);
      this.#dirty = true;
    });
  }

  upsertPool(p: PoolSpec): void {
    this.#write(() => this.#pools.set(nsName(p), p));
  }
  deletePool(namespace: string, name: string): void {
    this.#write(() => this.#pools.delete(`${namespace}/${name}`));
  }
  upsertModel(m: ModelSpec): void {
    this.#write(() => this.#models.set(nsName(m), m));
  }
  deleteModel(namespace: string, name: string): void {
    this.#write(() => this.#models.delete(`${namespace}/${name}`));
  }
  upsertObjective(o: ObjectiveSpec): void {
    this.#write(() => this.#objectives.set(nsName(o), o));
  }
  deleteObjective(namespace: string, name: string): void {
    this.#write(() => this.#objectives.delete(`${namespace}/${name}`));
  }
  upsertRewrite(r: RewriteSpec): void {
    this.#write(() => this.#rewrites.set(nsName(r), r));
  }
  deleteRewrite(namespace: string, name: string): void {
    this.#write(() => this.#rewrites.delete(`${namespace}/${name}`));
  }
  upsertPod(p: PodSpec): void {
    this.#write(() => this.#pods.set(nsName(p), p));
  }
  deletePod(namespace: string, name: string): void {
    this.#write(() => this.#pods.delete(`${namespace}/${name}`));
  }

  #write(fn: () => void): void {
    this.batch(() => {
      fn();
      this.#dirty = true;
    });
  }

  // ---------------------------------------------------------------- derived state

  #recompute(): void {
    this.#dirty = false;
    this.#pool = this.#selectPool();
    const pool = this.#pool;
    // poolRef names a pool in the object's own namespace. Pool-less mode has no pool object to name, so every
    // object in the namespace applies.
    const anyRef = this.options.endpointSelector !== undefined;
    const belongs = (o: { namespace: string; poolRef: string }) =>
      pool === undefined ||
      ((!pool.namespace || o.namespace === pool.namespace) && (anyRef || o.poolRef === '' || o.poolRef === pool.name));

    // InferenceModel: unique modelName per pool, oldest object wins.
    this.#modelsByName.clear();
    for (const m of [...this.#models.values()].sort(byAge)) {
      if (belongs(m) && !this.#modelsByName.has(m.modelName)) this.#modelsByName.set(m.modelName, m);
    }
    // InferenceObjective: looked up by object name (the request header carries it).
    this.#objectivesByName.clear();
    for (const o of [...this.#objectives.values()].sort(byAge)) {
      if (belongs(o) && !this.#objectivesByName.has(o.name)) this.#objectivesByName.set(o.name, o);
    }
    // InferenceModelRewrite: exact match beats catch-all; oldest object, then first rule, wins.
    this.#rewriteIndex.clear();
    this.#catchAllRewrite = undefined;
    for (const r of [...this.#rewrites.values()].sort(byAge)) {
      if (!belongs(r)) continue;
      for (const rule of r.rules) {
        this.#ruleOwner.set(rule, r.name);
        if (rule.matches.length === 0) this.#catchAllRewrite ??= rule;
        for (const model of rule.matches) if (!this.#rewriteIndex.has(model)) this.#rewriteIndex.set(model, rule);
      }
    }
    this.#recomputeEndpoints();
    this.emit('changed');
  }

  #selectPool(): PoolSpec | undefined {
    if (this.options.endpointSelector) return this.#pool;
    const { poolName, poolNamespace } = this.options;
    if (poolName) {
      const exact = this.#pools.get(`${poolNamespace}/${poolName}`);
      if (exact) return exact;
      for (const p of this.#pools.values()) if (p.name === poolName) return p;
      return undefined;
    }
    return this.#pools.size === 1 ? this.#pools.values().next().value : undefined;
  }

  #recomputeEndpoints(): void {
    const wanted = new Map<string, { pod: PodSpec; port: number; rank: number }>();
    const pool = this.#pool;
    if (pool) {
      const selector = poolSelector(pool);
      for (const pod of this.#pods.values()) {
        if (!pod.ready || pod.terminating || pod.ip === '') continue;
        if (pool.namespace && pod.namespace !== pool.namespace) continue;
        if (!matchesLabels(selector, pod.labels)) continue;
        const active = activePorts(pod);
        pool.targetPorts.forEach((port, rank) => {
          if (active && !active.has(port)) return;
          wanted.set(endpointKey(pod.ip, port), { pod, port, rank });
        });
      }
    }
    const removed: Endpoint[] = [];
    const added: Endpoint[] = [];
    for (const [key, ep] of this.#endpoints) {
      const w = wanted.get(key);
      // Same key but a different pod, namespace, rank (targetPorts reordered) or engine: a new endpoint.
      if (
        !w ||
        w.pod.name !== ep.podName ||
        w.pod.namespace !== ep.namespace ||
        w.rank !== ep.rank ||
        this.#engineOf(w.pod) !== ep.engine
      ) {
        this.#endpoints.delete(key);
        ep.removed = true;
        removed.push(ep);
      }
    }
    const relabelled: Endpoint[] = [];
    for (const [key, w] of wanted) {
      const kept = this.#endpoints.get(key);
      if (kept) {
        // Same endpoint, relabelled pod (e.g. a new llm-d.ai/role): filters see the new labels, while its metrics
        // and in-flight counts stay.
        kept.nodeAddress = w.pod.hostIp ?? '';
        if (!sameLabels(kept.labels, w.pod.labels)) {
          kept.labels = w.pod.labels;
          kept.role = w.pod.labels[ROLE_LABEL] ?? '';
          relabelled.push(kept);
        }
        continue;
      }
      const ep = new Endpoint(w.pod.ip, w.port, w.pod.name, w.pod.namespace, w.rank, this.#engineOf(w.pod), w.pod.labels);
      ep.role = w.pod.labels[ROLE_LABEL] ?? '';
      ep.nodeAddress = w.pod.hostIp ?? '';
      this.#endpoints.set(key, ep);
      added.push(ep);
    }
    if (removed.length > 0 || added.length > 0) {
      this.#snapshot = Object.freeze([...this.#endpoints.values()]);
    }
    for (const ep of removed) this.emit('endpointRemoved', ep);
    for (const ep of added) this.emit('endpointAdded', ep);
    for (const ep of relabelled) this.emit('endpointRelabelled', ep);
  }

  /** The engine label, else the legacy GIE key (upstream getEngineTypeFromEndpoint), else the default engine. */
  #engineOf(pod: PodSpec): EngineType {
    const label = pod.labels[this.options.engineLabel] || pod.labels[LEGACY_ENGINE_LABEL];
    return label && this.options.engines.includes(label) ? label : this.options.defaultEngine;
  }
}

function nsName(o: { namespace: string; name: string }): string {
  return `${o.namespace}/${o.name}`;
}

function byAge(a: { createdAt: number; name: string }, b: { createdAt: number; name: string }): number {
  return a.createdAt - b.createdAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

function activePorts(pod: PodSpec): Set<number> | undefined {
  const raw = pod.annotations[ACTIVE_PORTS_ANNOTATION] ?? pod.annotations[LEGACY_ACTIVE_PORTS_ANNOTATION];
  if (!raw) return undefined;
  const ports = raw
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  return ports.length > 0 ? new Set(ports) : undefined;
}
