/**
 * Raw JSON access to the Kubernetes API with the kubeconfig's credentials and TLS settings.
 *
 * Lists and Lease calls go through here instead of the generated typed clients because those deserialise
 * timestamps into Date objects while watch events arrive as plain JSON: one shape for both keeps
 * `parseObject` seeing exactly what the API server sent. Watches use the library's `Watch`.
 */
import { type KubeConfig, RequestContext, Watch } from './client-node.ts';
import { type Dispatcher, fetch } from 'undici';

/** The parts of a Kubernetes object this package reads before validation. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface KubeList {
  metadata?: { resourceVersion?: string };
  items?: KubeObject[];
}

/** A non-2xx answer; `status` is the HTTP code, `reason` the Status reason (NotFound, Conflict, Expired...). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(`${status} ${reason}: ${message}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

export type Query = Record<string, string | undefined>;

export type WatchEventHandler = (type: string, object: KubeObject) => void;

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  #watch: Watch;
  // One dispatcher reused for every request: the kubeconfig's TLS settings do not change, and a fresh
  // agent per call (what applySecurityAuthentication hands out) would pay a TLS handshake per Lease renewal.
  #dispatcher: Dispatcher | undefined;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/+$/, '');
    this.#watch = new Watch(kubeConfig);
    this.#dispatcher = undefined;
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, query?: Query, body?: unknown, signal?: AbortSignal): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), method);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    this.#dispatcher ??= ctx.getDispatcher() as Dispatcher | undefined;
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: Parameters<typeof fetch>[1] = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (this.#dispatcher) init.dispatcher = this.#dispatcher;
    if (signal) init.signal = signal;
    const res = await fetch(url, init);
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const st = (parsed ?? {}) as { reason?: string; message?: string };
      throw new KubeApiError(res.status, st.reason ?? res.statusText, st.message ?? text.slice(0, 200));
    }
    return parsed as T;
  }

  list(path: string, query: Query, signal?: AbortSignal): Promise<KubeList> {
    return this.request<KubeList>('GET', path, query, undefined, signal);
  }

  /**
   * Opens a watch stream. `done` is called exactly once: with null when the server ends the stream, or an
   * error (HTTP status errors carry `statusCode`, the client-side inactivity timeout is a TimeoutError).
   */
  watch(path: string, query: Query, onEvent: WatchEventHandler, done: (err: unknown) => void): Promise<AbortController> {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params[k] = v;
    return this.#watch.watch(path, params, onEvent, done);
  }

  /** Closes pooled connections (tests and shutdown). */
  async close(): Promise<void> {
    const d = this.#dispatcher;
    this.#dispatcher = undefined;
    if (d) await d.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** HTTP status of an error from `request` or from a watch (`statusCode`), or 0 for transport errors. */
export function statusOf(err: unknown): number {
  if (err instanceof KubeApiError) return err.status;
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  if (e && typeof e.statusCode === 'number') return e.statusCode;
  return 0;
}
