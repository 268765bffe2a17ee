/**
 * The state behind the fake API server: objects per collection, a global resourceVersion, and the event
 * history watches resume from. Follows the real API server where a client could notice:
 * - resourceVersion is one counter across all objects; every write bumps it;
 * - a watch from a resourceVersion older than the last compaction gets a 410 Expired;
 * - with a label/field selector, a MODIFIED that makes an object stop matching is sent as DELETED (with the
 *   previous content at the new resourceVersion) and one that makes it start matching as ADDED.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../../../src/input/label-selector.ts';

export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

export interface Collection {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: EventType;
  coll: string;
  namespace: string;
  obj: Obj;
  /** The object before a MODIFIED or DELETED. */
  prev: Obj | undefined;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export function collId(c: { group: string; version: string; plural: string }): string {
  return `${c.group}/${c.version}/${c.plural}`;
}

export class FakeStore extends EventEmitter<{ event: [StoreEvent] }> {
  #rv = 1000;
  #compactedRv = 0;
  #served = new Map<string, Collection>();
  #objects = new Map<string, Map<string, Obj>>();
  #history: StoreEvent[] = [];

  serve(c: Collection): void {
    this.#served.set(collId(c), c);
    if (!this.#objects.has(collId(c))) this.#objects.set(collId(c), new Map());
  }
  unserve(c: Collection): void {
    this.#served.delete(collId(c));
  }
  collection(id: string): Collection | undefined {
    return this.#served.get(id);
  }
  /** The served collection for an apiVersion + kind. */
  collectionFor(apiVersion: string, kind: string): Collection {
    for (const c of this.#served.values()) {
      const av = c.group ? `${c.group}/${c.version}` : c.version;
      if (av === apiVersion && c.kind === kind) return c;
    }
    throw new Error(`fake API server does not serve ${apiVersion} ${kind}`);
  }

  resourceVersion(): number {
    return this.#rv;
  }
  compactedRv(): number {
    return this.#compactedRv;
  }
  /** Forgets history: watches resuming from any earlier resourceVersion get 410. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history = [];
  }

  list(id: string, namespace: string): Obj[] {
    const out: Obj[] = [];
    for (const o of this.#objects.get(id)?.values() ?? []) if (o.metadata.namespace === namespace) out.push(structuredClone(o));
    return out;
  }
  get(id: string, namespace: string, name: string): Obj {
    const o = this.#objects.get(id)?.get(`${namespace}/${name}`);
    if (!o) throw new ApiError(404, 'NotFound', `${name} not found`);
    return structuredClone(o);
  }

  create(id: string, namespace: string, input: Obj): Obj {
    const c = this.#need(id);
    const key = `${namespace}/${input.metadata.name}`;
    const objs = this.#objects.get(id)!;
    if (objs.has(key)) throw new ApiError(409, 'AlreadyExists', `${c.plural} "${input.metadata.name}" already exists`);
    const obj = this.#stamp(c, namespace, structuredClone(input));
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    objs.set(key, obj);
    this.#record('ADDED', id, namespace, obj, undefined);
    return structuredClone(obj);
  }

  /** Replace; a resourceVersion in the input must match the stored one (optimistic concurrency). */
  update(id: string, namespace: string, input: Obj): Obj {
    const c = this.#need(id);
    const key = `${namespace}/${input.metadata.name}`;
    const objs = this.#objects.get(id)!;
    const prev = objs.get(key);
    if (!prev) throw new ApiError(404, 'NotFound', `${c.plural} "${input.metadata.name}" not found`);
    const want = input.metadata.resourceVersion;
    if (want && want !== prev.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${c.plural} "${input.metadata.name}": the object has been modified`);
    }
    const obj = this.#stamp(c, namespace, structuredClone(input));
    obj.metadata.uid = prev.metadata.uid;
    obj.metadata.creationTimestamp = prev.metadata.creationTimestamp;
    objs.set(key, obj);
    this.#record('MODIFIED', id, namespace, obj, prev);
    return structuredClone(obj);
  }

  remove(id: string, namespace: string, name: string): Obj {
    const c = this.#need(id);
    const objs = this.#objects.get(id)!;
    const prev = objs.get(`${namespace}/${name}`);
    if (!prev) throw new ApiError(404, 'NotFound', `${c.plural} "${name}" not found`);
    objs.delete(`${namespace}/${name}`);
    const obj = structuredClone(prev);
    obj.metadata.resourceVersion = String(++this.#rv);
    this.#record('DELETED', id, namespace, obj, prev);
    return structuredClone(obj);
  }

  /** Events after `rv` (exclusive); throws 410 when that point has been compacted away. */
  since(rv: number): StoreEvent[] {
    if (rv < this.#compactedRv) throw new ApiError(410, 'Expired', `too old resource version: ${rv} (${this.#compactedRv})`);
    return this.#history.filter((e) => e.rv > rv);
  }

  #need(id: string): Collection {
    const c = this.#served.get(id);
    if (!c) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return c;
  }

  #stamp(c: Collection, namespace: string, obj: Obj): Obj {
    obj.apiVersion = c.group ? `${c.group}/${c.version}` : c.version;
    obj.kind = c.kind;
    obj.metadata.namespace = namespace;
    obj.metadata.resourceVersion = String(++this.#rv);
    return obj;
  }

  #record(type: EventType, coll: string, namespace: string, obj: Obj, prev: Obj | undefined): void {
    const ev: StoreEvent = { rv: this.#rv, type, coll, namespace, obj: structuredClone(obj), prev: prev && structuredClone(prev) };
    this.#history.push(ev);
    this.emit('event', ev);
  }
}

// ------------------------------------------------------------------ selectors

/** Label selectors as the API server reads them (labels.Parse): the picker's one parser, so both agree. */
export function labelFilter(text: string): (labels: Readonly<Record<string, string>>) => boolean {
  let selector: LabelSelector;
  try {
    selector = parseLabelSelector(text, 'labelSelector');
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${(err as Error).message}`);
  }
  return (labels) => matchesLabels(selector, labels);
}

type FieldRequirement = { key: string; op: 'eq' | 'ne'; value: string };

/** Field selectors (fields.ParseSelector): `k=v`, `k==v`, `k!=v`, comma = and. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (!term) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(term))) out.push({ key: m[1]!, op: 'ne', value: m[2]! });
    else if ((m = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(term))) out.push({ key: m[1]!, op: 'eq', value: m[2]! });
    else throw new ApiError(400, 'BadRequest', `invalid field selector: ${term}`);
  }
  return out;
}

export function fieldsMatch(reqs: readonly FieldRequirement[], values: Readonly<Record<string, string>>): boolean {
  return reqs.every((r) => (r.op === 'eq') === (values[r.key] === r.value));
}

/** Field selectors: only metadata.name and metadata.namespace, as for custom resources. */
export function fieldValues(o: Obj): Record<string, string> {
  return { 'metadata.name': o.metadata.name, 'metadata.namespace': o.metadata.namespace ?? '' };
}

export function checkFieldSelector(reqs: readonly FieldRequirement[]): void {
  for (const r of reqs) {
    if (r.key !== 'metadata.name' && r.key !== 'metadata.namespace') {
      throw new ApiError(400, 'BadRequest', `field label not supported: ${r.key}`);
    }
  }
}
