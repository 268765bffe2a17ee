/**
 * List + watch of one collection, kept alive for the life of the process.
 *
 * The library's ListWatch is not used because (checked in @kubernetes/client-node 2.0.1 cache.js): any
 * error other than 410 (connection reset, list failure, 5xx) ends it for good; stop() during its reconnect
 * delay or list still opens a new watch afterwards; and its typed list functions turn timestamps into Date
 * objects while watch events stay raw JSON. This loop keeps its semantics (410 -> relist, relist diffed
 * against the cache so nothing is duplicated or lost) and adds reconnect-with-backoff and a clean stop.
 */
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions, sleep } from './backoff.ts';
import { type KubeClient, type KubeList, type KubeObject, type Query, statusOf } from './client.ts';

export interface InformerSpec {
  /** Collection path, e.g. /api/v1/namespaces/default/pods. */
  path: string;
  /** Filled into list items, which the API server sends without apiVersion/kind for built-in types. */
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** The kind may be missing from the cluster (404: CRD not installed) or forbidden (403): counts as synced. */
  optional?: boolean;
  /**
   * The same kind under older API groups, tried in order while the ones before answer 404 (CRD absent) or 403.
   * The first group that lists is kept: objects of the other groups are ignored (llm-d Router's
   * controller_config.go prefers llm-d.ai and ignores the legacy group when both CRDs are installed).
   */
  fallbacks?: readonly { path: string; apiVersion: string }[];
}

export interface InformerHandlers {
  upsert(obj: KubeObject): void;
  remove(obj: KubeObject): void;
  /** After a complete list has been applied, or an optional kind turned out to be absent. */
  listed(): void;
}

export interface InformerOptions {
  client: KubeClient;
  logger: Logger;
  backoff?: BackoffOptions;
}

export class Informer {
  readonly spec: InformerSpec;
  #client: KubeClient;
  #log: Logger;
  #handlers: InformerHandlers;
  #backoff: Backoff;
  #cache = new Map<string, KubeObject>();
  #rv = '';
  #synced = false;
  #absentLogged = false;
  #stopped = false;
  #abort = new AbortController();
  #watch: AbortController | undefined;
  #loop: Promise<void> | undefined;
  /** The collection in use: spec.path, or one of spec.fallbacks while the ones before it are absent. */
  #path: string;
  #apiVersion: string;
  #source = 0;

  constructor(spec: InformerSpec, handlers: InformerHandlers, options: InformerOptions) {
    this.spec = spec;
    this.#handlers = handlers;
    this.#client = options.client;
    this.#log = options.logger.child({ informer: spec.kind, path: spec.path, labelSelector: spec.labelSelector });
    this.#backoff = new Backoff(options.backoff);
    this.#path = spec.path;
    this.#apiVersion = spec.apiVersion;
  }

  /** The collection path listed and watched now. */
  get path(): string {
    return this.#path;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** True once the first list was applied (or an optional kind was found absent). */
  synced(): boolean {
    return this.#synced;
  }

  /** Objects currently known, keyed "namespace/name". */
  keys(): IterableIterator<string> {
    return this.#cache.keys();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#watch?.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let emptyCloses = 0;
    while (!this.#stopped) {
      try {
        if (this.#rv === '') await this.#list();
        const events = await this.#watchOnce();
        // A watch the server ends with nothing in it, twice in a row, is a server that refuses to hold
        // watches: slow down. Ordinary server-side timeouts reconnect at once.
        if (events > 0) emptyCloses = 0;
        else if (++emptyCloses > 1) await sleep(this.#backoff.next(), this.#abort.signal);
      } catch (err) {
        if (this.#stopped) break;
        await this.#onError(err);
      }
    }
  }

  async #onError(err: unknown): Promise<void> {
    const status = statusOf(err);
    if (status === 410) {
      this.#log.info('watch resourceVersion expired; relisting');
      this.#rv = '';
      return;
    }
    if ((err as { name?: string }).name === 'TimeoutError') {
      // The client-side inactivity timeout already waited 30 s: reconnect from the same resourceVersion.
      return;
    }
    const fallbacks = this.spec.fallbacks ?? [];
    if ((status === 404 || status === 403) && this.#rv === '' && this.#source < fallbacks.length) {
      // This group's CRD is absent (404), or RBAC does not grant it (403, e.g. a Role written before the group
      // existed, where upstream's discovery would still find the CRD absent): try the next group at once.
      const next = fallbacks[this.#source++]!;
      this.#log.info({ path: next.path }, `${this.spec.kind} not served at ${this.#path}; trying ${next.apiVersion}`);
      this.#path = next.path;
      this.#apiVersion = next.apiVersion;
      return;
    }
    if (this.spec.optional && (status === 404 || status === 403)) {
      if (!this.#absentLogged) {
        this.#absentLogged = true;
        this.#log.warn({ status }, `${this.spec.kind} is not readable (${status === 404 ? 'CRD not installed' : 'forbidden by RBAC'}); continuing without it and retrying`);
      }
      if (!this.#synced) {
        this.#synced = true;
        this.#handlers.listed();
      }
      await sleep(this.#backoff.maxMs, this.#abort.signal);
      if (this.#rv === '' && this.#source > 0) {
        // Every group was absent: start again from the preferred one.
        this.#source = 0;
        this.#path = this.spec.path;
        this.#apiVersion = this.spec.apiVersion;
      }
      return;
    }
    const ms = this.#backoff.next();
    this.#log.warn({ err: errorText(err), status, retryInMs: Math.round(ms) }, 'list/watch failed; retrying');
    await sleep(ms, this.#abort.signal);
  }

  async #list(): Promise<void> {
    const list = await this.#client.list(this.#path, this.#query(), this.#abort.signal);
    if (this.#stopped) return;
    this.#applyList(list);
  }

  #applyList(list: KubeList): void {
    const next = new Map<string, KubeObject>();
    for (const item of list.items ?? []) {
      this.#typed(item);
      const key = keyOf(item);
      next.set(key, item);
      const prev = this.#cache.get(key);
      if (!prev || prev.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.#handlers.upsert(item);
    }
    for (const [key, prev] of this.#cache) if (!next.has(key)) this.#handlers.remove(prev);
    this.#cache = next;
    this.#rv = list.metadata?.resourceVersion ?? '';
    this.#absentLogged = false;
    this.#backoff.reset();
    this.#log.debug({ items: next.size, resourceVersion: this.#rv }, 'listed');
    this.#synced = true;
    this.#handlers.listed();
  }

  /** Runs one watch connection to its end; resolves with the number of events seen. */
  #watchOnce(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let events = 0;
      let failed: unknown;
      const onEvent = (type: string, obj: KubeObject): void => {
        if (this.#stopped || failed !== undefined) return;
        events++;
        if (type === 'ERROR') {
          // A Status object inside the stream; 410 means our resourceVersion is too old.
          failed = obj;
          this.#watch?.abort();
          return;
        }
        try {
          this.#onWatchEvent(type, obj);
        } catch (err) {
          // A handler bug must not escape into the stream's event emitter (an uncaught exception).
          this.#log.error({ err: errorText(err), type }, 'watch event handler failed');
        }
      };
      const query = { ...this.#query(), resourceVersion: this.#rv, allowWatchBookmarks: 'true' };
      const done = (err: unknown): void => {
        if (failed !== undefined) {
          const st = failed as { code?: number; reason?: string; message?: string };
          reject(Object.assign(new Error(`watch error event: ${st.reason ?? ''} ${st.message ?? ''}`), { statusCode: st.code ?? 500 }));
        } else if (err && !this.#stopped) reject(err);
        else resolve(events);
      };
      this.#client.watch(this.#path, query, onEvent, done).then(
        (controller) => {
          this.#watch = controller;
          if (this.#stopped) controller.abort();
        },
        reject,
      );
    });
  }

  #onWatchEvent(type: string, obj: KubeObject): void {
    const rv = obj.metadata?.resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') {
      this.#typed(obj);
      this.#cache.set(keyOf(obj), obj);
      this.#handlers.upsert(obj);
    } else if (type === 'DELETED') {
      this.#typed(obj);
      const key = keyOf(obj);
      // Delete what we hold (the event's copy may be the pre-change object when a selector stops matching).
      const held = this.#cache.get(key);
      this.#cache.delete(key);
      this.#handlers.remove(held ?? obj);
    }
    if (rv) this.#rv = rv;
    this.#backoff.reset();
  }

  #query(): Query {
    return { labelSelector: this.spec.labelSelector, fieldSelector: this.spec.fieldSelector };
  }

  #typed(obj: KubeObject): void {
    obj.apiVersion ??= this.#apiVersion;
    obj.kind ??= this.spec.kind;
  }
}

export function keyOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
  return String(err);
}
