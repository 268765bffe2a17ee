/**
 * An in-process Kubernetes API server on 127.0.0.1 with what the picker's client uses: namespaced list
 * (labelSelector, fieldSelector, resourceVersion in the list metadata), ?watch=true streams of
 * ADDED/MODIFIED/DELETED/BOOKMARK events from a resourceVersion, 410 Expired for a compacted one (as an
 * ERROR event in the stream, like the real server), get/create/update/delete (Leases), bearer-token auth,
 * TokenReview and non-resource SubjectAccessReview (answered from `reviewTokens` and `allowedAccess`),
 * 404 for collections it does not serve (a CRD not installed), and controls for tests: drop every
 * connection, end watches cleanly, send bookmarks, compact history, fail the next matching requests.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ApiError,
  checkFieldSelector,
  type Collection,
  collId,
  FakeStore,
  fieldsMatch,
  fieldValues,
  labelFilter,
  type Obj,
  parseFieldSelector,
  type StoreEvent,
} from './fake-store.ts';

export type { Obj } from './fake-store.ts';

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
}

const DEFAULT_COLLECTIONS: Collection[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  { group: 'inference.networking.k8s.io', version: 'v1', plural: 'inferencepools', kind: 'InferencePool' },
  { group: 'inference.networking.x-k8s.io', version: 'v1alpha2', plural: 'inferencepools', kind: 'InferencePool' },
  { group: 'inference.networking.x-k8s.io', version: 'v1alpha2', plural: 'inferencemodels', kind: 'InferenceModel' },
  { group: 'inference.networking.x-k8s.io', version: 'v1alpha2', plural: 'inferenceobjectives', kind: 'InferenceObjective' },
  { group: 'inference.networking.x-k8s.io', version: 'v1alpha2', plural: 'inferencemodelrewrites', kind: 'InferenceModelRewrite' },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
];

const TOKEN = 'fake-token';

interface Watcher {
  res: ServerResponse;
  coll: Collection;
  namespace: string;
  bookmarks: boolean;
}

interface Failure {
  match: (r: RequestRecord) => boolean;
  status: number;
  left: number;
}

export class FakeApiServer extends EventEmitter<{ request: [RequestRecord]; watchClosed: [] }> {
  readonly store = new FakeStore();
  readonly requests: RequestRecord[] = [];
  url = '';
  #server: Server;
  #sockets = new Set<Socket>();
  #watchers = new Set<Watcher>();
  #failures: Failure[] = [];
  /** TokenReview: token -> user (others are not authenticated). */
  readonly reviewTokens = new Map<string, { username: string; uid?: string; groups?: string[] }>();
  /** SubjectAccessReview: the non-resource requests allowed, as `${user} ${verb} ${path}`. */
  readonly allowedAccess = new Set<string>();

  constructor() {
    super();
    for (const c of DEFAULT_COLLECTIONS) this.store.serve(c);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  static async start(): Promise<FakeApiServer> {
    const s = new FakeApiServer();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  /** A kubeconfig pointing at this server with its bearer token. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'fake', server: this.url, skipTLSVerify: true }, { name: 'tester', token: TOKEN });
    return kc;
  }

  // ------------------------------------------------------------- test controls (no HTTP)

  /** Creates or replaces `obj` (by apiVersion + kind); returns the stored copy. */
  apply(obj: Obj): Obj {
    const c = this.store.collectionFor(obj.apiVersion ?? '', obj.kind ?? '');
    const ns = obj.metadata.namespace ?? 'default';
    const copy = structuredClone(obj);
    delete copy.metadata.resourceVersion;
    try {
      this.store.get(collId(c), ns, obj.metadata.name);
      return this.store.update(collId(c), ns, copy);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return this.store.create(collId(c), ns, copy);
      throw err;
    }
  }

  delete(obj: { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string } }): void {
    const c = this.store.collectionFor(obj.apiVersion ?? '', obj.kind ?? '');
    this.store.remove(collId(c), obj.metadata.namespace ?? 'default', obj.metadata.name);
  }

  /** Serves one more collection (a CRD installed), e.g. llm-d.ai/v1alpha2 inferenceobjectives. */
  serveCollection(apiVersion: string, kind: string, plural: string): void {
    const slash = apiVersion.lastIndexOf('/');
    this.store.serve({ group: slash < 0 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), plural, kind });
  }

  /** Serves llm-d Router's llm-d.ai/v1alpha2 InferenceObjective and InferenceModelRewrite (both CRDs installed). */
  serveLlmdGroup(): void {
    this.serveCollection('llm-d.ai/v1alpha2', 'InferenceObjective', 'inferenceobjectives');
    this.serveCollection('llm-d.ai/v1alpha2', 'InferenceModelRewrite', 'inferencemodelrewrites');
  }

  /** Stops serving a collection (404 like a CRD that is not installed). */
  unserve(apiVersion: string, kind: string): void {
    this.store.unserve(this.store.collectionFor(apiVersion, kind));
  }

  /** Destroys every open connection without an HTTP ending (a network cut). */
  dropConnections(): void {
    for (const w of this.#watchers) this.#watchers.delete(w);
    for (const s of this.#sockets) s.destroy();
  }

  /** Ends every watch cleanly, as the API server does when a watch's timeout expires. */
  endWatches(): void {
    for (const w of this.#watchers) {
      this.#watchers.delete(w);
      w.res.end();
    }
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.#watchers) {
      if (!w.bookmarks) continue;
      const av = w.coll.group ? `${w.coll.group}/${w.coll.version}` : w.coll.version;
      send(w.res, 'BOOKMARK', { apiVersion: av, kind: w.coll.kind, metadata: { resourceVersion: String(this.store.resourceVersion()) } });
    }
  }

  /** The next `count` requests matching `match` are answered with `status`. */
  failNext(match: (r: RequestRecord) => boolean, status: number, count = 1): void {
    this.#failures.push({ match, status, left: count });
  }

  /** Open watch streams (as this side sees them; a client's abort arrives a moment later). */
  watchCount(): number {
    return this.#watchers.size;
  }

  /** Resolves when no watch stream is open. */
  async allWatchesClosed(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.#watchers.size > 0) {
      if (Date.now() > deadline) throw new Error(`${this.#watchers.size} watches still open`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.once('watchClosed', () => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Resolves at the next request matching `match` (after it was recorded). */
  nextRequest(match: (r: RequestRecord) => boolean): Promise<RequestRecord> {
    return new Promise((resolve) => {
      const on = (r: RequestRecord): void => {
        if (!match(r)) return;
        this.off('request', on);
        resolve(r);
      };
      this.on('request', on);
    });
  }

  async close(): Promise<void> {
    this.endWatches();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ------------------------------------------------------------- HTTP

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const isWatch = query.watch === 'true' || query.watch === '1';
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query, watch: isWatch };
    this.requests.push(record);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      try {
        const failure = this.#failures.find((f) => f.left > 0 && f.match(record));
        if (failure) {
          failure.left--;
          throw new ApiError(failure.status, failure.status === 500 ? 'InternalError' : 'Injected', 'injected failure');
        }
        if (req.headers.authorization !== `Bearer ${TOKEN}`) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        this.#route(record, body, res);
      } catch (err) {
        if (err instanceof ApiError) status(res, err.code, err.reason, err.message);
        else status(res, 500, 'InternalError', String(err));
      }
      // Emitted after routing, so a test awaiting a watch request sees it registered.
      this.emit('request', record);
    });
  }

  #route(r: RequestRecord, body: string, res: ServerResponse): void {
    if (r.method === 'POST' && r.path === '/apis/authentication.k8s.io/v1/tokenreviews') return this.#tokenReview(body, res);
    if (r.method === 'POST' && r.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews') return this.#accessReview(body, res);
    const m =
      /^\/api\/(v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(r.path) ??
      /^\/apis\/([^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(r.path);
    if (!m) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const [gv, ns, plural, name] = [m[1]!, decodeURIComponent(m[2]!), m[3]!, m[4] && decodeURIComponent(m[4])];
    const [group, version] = gv.includes('/') ? gv.split('/') as [string, string] : ['', gv];
    const id = collId({ group, version, plural });
    const coll = this.store.collection(id);
    if (!coll) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');

    if (name === undefined && r.method === 'GET' && r.watch) return this.#watch(coll, ns, r.query, res);
    if (name === undefined && r.method === 'GET') return this.#list(coll, ns, r.query, res);
    if (name === undefined && r.method === 'POST') return json(res, 201, this.store.create(id, ns, parseBody(body)));
    if (name !== undefined && r.method === 'GET') return json(res, 200, this.store.get(id, ns, name));
    if (name !== undefined && r.method === 'PUT') {
      const obj = parseBody(body);
      if (obj.metadata.name !== name) throw new ApiError(400, 'BadRequest', 'name in body does not match the URL');
      return json(res, 200, this.store.update(id, ns, obj));
    }
    if (name !== undefined && r.method === 'DELETE') return json(res, 200, this.store.remove(id, ns, name));
    throw new ApiError(405, 'MethodNotAllowed', `${r.method} not supported`);
  }

  #tokenReview(body: string, res: ServerResponse): void {
    const review = JSON.parse(body) as { kind?: string; spec?: { token?: string } };
    if (review.kind !== 'TokenReview' || typeof review.spec?.token !== 'string') throw new ApiError(400, 'BadRequest', 'not a TokenReview');
    const user = this.reviewTokens.get(review.spec.token);
    json(res, 201, { ...review, status: user ? { authenticated: true, user } : { authenticated: false } });
  }

  #accessReview(body: string, res: ServerResponse): void {
    const review = JSON.parse(body) as { kind?: string; spec?: { user?: string; nonResourceAttributes?: { path?: string; verb?: string } } };
    const nr = review.spec?.nonResourceAttributes;
    if (review.kind !== 'SubjectAccessReview' || !nr) throw new ApiError(400, 'BadRequest', 'not a non-resource SubjectAccessReview');
    const allowed = this.allowedAccess.has(`${review.spec?.user} ${nr.verb} ${nr.path}`);
    json(res, 201, { ...review, status: { allowed } });
  }

  #list(coll: Collection, ns: string, query: Record<string, string>, res: ServerResponse): void {
    const filter = selectorFilter(query);
    const items = this.store.list(collId(coll), ns).filter(filter);
    // Built-in types are listed without apiVersion/kind on items; custom resources keep them.
    if (!coll.group) for (const o of items) delete o.apiVersion, delete o.kind;
    const av = coll.group ? `${coll.group}/${coll.version}` : coll.version;
    json(res, 200, { apiVersion: av, kind: `${coll.kind}List`, metadata: { resourceVersion: String(this.store.resourceVersion()) }, items });
  }

  #watch(coll: Collection, ns: string, query: Record<string, string>, res: ServerResponse): void {
    const filter = selectorFilter(query);
    const id = collId(coll);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = query.resourceVersion;
    let backlog: StoreEvent[];
    if (from && from !== '0') {
      try {
        backlog = this.store.since(Number(from));
      } catch (err) {
        const e = err as ApiError;
        send(res, 'ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: e.message, reason: e.reason, code: e.code });
        res.end();
        return;
      }
    } else {
      // No resourceVersion: the current state as synthetic ADDED events, then live changes.
      backlog = this.store.list(id, ns).map((obj) => ({ rv: 0, type: 'ADDED', coll: id, namespace: ns, obj, prev: undefined }));
    }
    const w: Watcher = { res, coll, namespace: ns, bookmarks: query.allowWatchBookmarks === 'true' };
    this.#watchers.add(w);
    const deliver = (ev: StoreEvent): void => {
      if (ev.coll !== id || ev.namespace !== ns) return;
      const out = translate(ev, filter);
      if (out) send(res, out.type, out.obj);
    };
    for (const ev of backlog) deliver(ev);
    this.store.on('event', deliver);
    res.on('close', () => {
      this.#watchers.delete(w);
      this.store.off('event', deliver);
      this.emit('watchClosed');
    });
  }
}

/** What a watcher with `filter` sees for a stored event (selector transitions included), or nothing. */
function translate(ev: StoreEvent, filter: (o: Obj) => boolean): { type: string; obj: Obj } | undefined {
  const now = filter(ev.obj);
  if (ev.type === 'ADDED') return now ? { type: 'ADDED', obj: ev.obj } : undefined;
  if (ev.type === 'DELETED') return now ? { type: 'DELETED', obj: ev.obj } : undefined;
  const before = ev.prev !== undefined && filter(ev.prev);
  if (now && before) return { type: 'MODIFIED', obj: ev.obj };
  if (now) return { type: 'ADDED', obj: ev.obj };
  if (before) {
    const obj = structuredClone(ev.prev!);
    obj.metadata.resourceVersion = String(ev.rv);
    return { type: 'DELETED', obj };
  }
  return undefined;
}

function selectorFilter(query: Record<string, string>): (o: Obj) => boolean {
  const labels = labelFilter(query.labelSelector ?? '');
  const fields = parseFieldSelector(query.fieldSelector ?? '');
  checkFieldSelector(fields);
  return (o) => labels(o.metadata.labels ?? {}) && fieldsMatch(fields, fieldValues(o));
}

function parseBody(body: string): Obj {
  let obj: Obj;
  try {
    obj = JSON.parse(body) as Obj;
  } catch {
    throw new ApiError(400, 'BadRequest', 'body is not JSON');
  }
  if (typeof obj?.metadata?.name !== 'string' || obj.metadata.name === '') throw new ApiError(422, 'Invalid', 'metadata.name: Required value');
  return obj;
}

function send(res: ServerResponse, type: string, object: unknown): void {
  if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}
