/**
 * Turns informer events into datastore writes, through the same `parseObject` the standalone resources file
 * uses. Writes are coalesced per microtask into one `datastore.batch`, so a list of N pods recomputes the
 * endpoint set once instead of N times.
 *
 * Invalid objects are logged (object name and field) and skipped. An object that was valid and becomes
 * invalid is treated as deleted: the datastore then holds exactly the valid subset of what the API server
 * holds now, so a restart or relist gives the same state as the live path (no hidden "last good" copy).
 */
import type { Logger } from 'pino';
import type { Datastore } from '../datastore/datastore.ts';
import { type ParsedObject, parseObject, ResourceError } from '../resources/validate.ts';
import type { KubeObject } from './client.ts';

export type Kind = ParsedObject['kind'];

type Pending = { op: 'upsert'; parsed: ParsedObject } | { op: 'delete'; kind: Kind; namespace: string; name: string };

export class DatastoreReconciler {
  #ds: Datastore;
  #log: Logger;
  #defaultNamespace: string;
  /** Objects written to the datastore, keyed "Kind/ns/name", with their parsed spec as JSON (skip no-op updates). */
  #applied = new Map<string, string>();
  #pending = new Map<string, Pending>();
  #scheduled = false;
  #onFlush: () => void;

  constructor(datastore: Datastore, logger: Logger, defaultNamespace: string, onFlush: () => void = () => {}) {
    this.#ds = datastore;
    this.#log = logger;
    this.#defaultNamespace = defaultNamespace;
    this.#onFlush = onFlush;
    this.flush = this.flush.bind(this);
  }

  upsert(kind: Kind, raw: KubeObject): void {
    const namespace = raw.metadata?.namespace || this.#defaultNamespace;
    const name = raw.metadata?.name ?? '';
    const key = `${kind}/${namespace}/${name}`;
    let parsed: ParsedObject;
    try {
      parsed = parseObject(raw, `${kind} ${namespace}/${name}`, this.#defaultNamespace);
      if (parsed.kind !== kind) throw new ResourceError(`${kind} ${namespace}/${name}`, 'kind', `expected ${kind}, got ${parsed.kind}`);
    } catch (err) {
      const field = err instanceof ResourceError ? err.field : '';
      this.#log.warn({ kind, object: `${namespace}/${name}`, field, err: (err as Error).message }, `invalid ${kind} skipped`);
      if (this.#applied.has(key)) this.#queue(key, { op: 'delete', kind, namespace, name });
      else this.#pending.delete(key);
      return;
    }
    this.#queue(key, { op: 'upsert', parsed });
  }

  remove(kind: Kind, raw: KubeObject): void {
    const namespace = raw.metadata?.namespace || this.#defaultNamespace;
    const name = raw.metadata?.name ?? '';
    const key = `${kind}/${namespace}/${name}`;
    if (this.#applied.has(key)) this.#queue(key, { op: 'delete', kind, namespace, name });
    else this.#pending.delete(key);
  }

  /** "ns/name" of every object of `kind` currently written (or about to be). */
  known(kind: Kind): Set<string> {
    const out = new Set<string>();
    const prefix = `${kind}/`;
    for (const key of this.#applied.keys()) if (key.startsWith(prefix)) out.add(key.slice(prefix.length));
    for (const [key, p] of this.#pending) {
      if (!key.startsWith(prefix)) continue;
      if (p.op === 'upsert') out.add(key.slice(prefix.length));
      else out.delete(key.slice(prefix.length));
    }
    return out;
  }

  #queue(key: string, p: Pending): void {
    this.#pending.set(key, p);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Applies everything queued in one datastore batch (runs on its own after the current tick's events). */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    const pending = this.#pending;
    this.#pending = new Map();
    try {
      this.#apply(pending);
    } catch (err) {
      // Runs from a microtask: a throw here would be an uncaught exception.
      this.#log.error({ err: (err as Error).message }, 'datastore update failed');
    }
    this.#onFlush();
  }

  #apply(pending: Map<string, Pending>): void {
    this.#ds.batch(() => {
      for (const [key, p] of pending) {
        if (p.op === 'delete') {
          this.#applied.delete(key);
          this.#delete(p.kind, p.namespace, p.name);
          continue;
        }
        const json = JSON.stringify(p.parsed.spec);
        // Pods change status often without changing anything the picker reads.
        if (this.#applied.get(key) === json) continue;
        this.#applied.set(key, json);
        this.#write(p.parsed);
      }
    });
  }

  #write(p: ParsedObject): void {
    switch (p.kind) {
      case 'InferencePool':
        return this.#ds.upsertPool(p.spec);
      case 'InferenceModel':
        return this.#ds.upsertModel(p.spec);
      case 'InferenceObjective':
        return this.#ds.upsertObjective(p.spec);
      case 'InferenceModelRewrite':
        return this.#ds.upsertRewrite(p.spec);
      case 'Pod':
        return this.#ds.upsertPod(p.spec);
    }
  }

  #delete(kind: Kind, namespace: string, name: string): void {
    switch (kind) {
      case 'InferencePool':
        return this.#ds.deletePool(namespace, name);
      case 'InferenceModel':
        return this.#ds.deleteModel(namespace, name);
      case 'InferenceObjective':
        return this.#ds.deleteObjective(namespace, name);
      case 'InferenceModelRewrite':
        return this.#ds.deleteRewrite(namespace, name);
      case 'Pod':
        return this.#ds.deletePod(namespace, name);
    }
  }
}
