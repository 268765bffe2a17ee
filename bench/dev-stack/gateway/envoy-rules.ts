/**
 * How Envoy encodes headers for ext_proc and applies the mutations it gets back (shared reference
 * extproc.md §4), as pure functions the gateway and its tests use:
 * - Envoy -> server: keys lower-cased, pseudo-headers included, values in raw_value, `value` empty.
 * - server -> Envoy: only raw_value is read (a value-only header arrives empty); both set is an error (500);
 *   `append` unset or false overwrites, true adds; `append_action` is ignored; host, :authority, :scheme,
 *   :method and x-envoy-* may not be changed; `:path` may.
 */
import { loadExtProcPackage, type HeaderMutation, type HeaderValue, type PbStruct } from '../../../src/extproc/codec/proto.ts';

/** Lower-cased header name -> values, in arrival order; pseudo-headers (":path") included. */
export type HeaderList = [string, string][];

export class MutationError extends Error {}

// `expect`: Envoy answers `Expect: 100-continue` itself and does not forward it (proxy_100_continue off), so neither the
// picker nor the model server sees it; undici refuses a request that carries it.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'trailer', 'expect']);

/** Headers of an incoming node:http request, as Envoy presents them (raw pairs, lower-cased keys). */
export function requestHeaderList(method: string, path: string, rawHeaders: readonly string[]): HeaderList {
  let authority = '';
  const rest: HeaderList = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (key === 'host') authority = value;
    else if (!HOP_BY_HOP.has(key)) rest.push([key, value]);
  }
  return [[':method', method], [':path', path], [':authority', authority], [':scheme', 'http'], ...rest];
}

export function toHeaderMap(list: HeaderList): { headers: HeaderValue[] } {
  return { headers: list.map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
}

export function get(list: HeaderList, key: string): string | undefined {
  for (const [k, v] of list) if (k === key) return v;
  return undefined;
}

const IMMUTABLE = new Set(['host', ':authority', ':scheme', ':method']);

/** Applies a HeaderMutation in place, with Envoy's ext_proc semantics. Throws MutationError on what Envoy rejects. */
export function applyMutation(list: HeaderList, mutation: HeaderMutation | undefined): void {
  if (!mutation) return;
  for (const name of mutation.remove_headers ?? []) {
    const key = name.toLowerCase();
    if (key.startsWith(':') || key === 'host' || key.startsWith('x-envoy-')) continue; // ignored by Envoy
    for (let i = list.length - 1; i >= 0; i--) if ((list[i] as [string, string])[0] === key) list.splice(i, 1);
  }
  for (const opt of mutation.set_headers ?? []) {
    const h = opt.header;
    if (!h) continue;
    const key = h.key.toLowerCase();
    const raw = h.raw_value && h.raw_value.length > 0 ? Buffer.from(h.raw_value).toString('latin1') : '';
    if (raw !== '' && h.value) throw new MutationError(`header ${key}: only one of value or raw_value may be set`);
    if (!/^:?[a-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) throw new MutationError(`header ${key}: invalid name`);
    if (/[\r\n\0]/.test(raw)) throw new MutationError(`header ${key}: invalid value`);
    if (IMMUTABLE.has(key) || key.startsWith('x-envoy-')) continue; // disallowed by default mutation rules
    const append = (opt as { append?: { value?: boolean } }).append?.value === true;
    if (!append) {
      for (let i = list.length - 1; i >= 0; i--) if ((list[i] as [string, string])[0] === key) list.splice(i, 1);
    }
    list.push([key, raw]);
  }
}

/** Converts a header list (minus pseudo-headers and hop-by-hop) into node/undici header pairs. */
export function outgoingHeaders(list: HeaderList, drop: ReadonlySet<string> = EMPTY_SET): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of list) {
    if (k.startsWith(':') || HOP_BY_HOP.has(k) || drop.has(k)) continue;
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** A string field of a Struct namespace in dynamic metadata, e.g. envoy.lb / x-gateway-destination-endpoint. */
export function metadataString(md: PbStruct | undefined, namespace: string, key: string): string | undefined {
  return md?.fields?.[namespace]?.structValue?.fields?.[key]?.stringValue;
}

export function servedMetadata(endpoint: string): { filter_metadata: Record<string, PbStruct> } {
  return { filter_metadata: { 'envoy.lb': { fields: { 'x-gateway-destination-endpoint-served': { stringValue: endpoint } } } } };
}

let statusCodes: Map<string, number> | undefined;

/**
 * HTTP status of an ImmediateResponse. The loader decodes enums as names ("TooManyRequests"), so names are
 * mapped through envoy.type.v3.StatusCode; numbers pass through. Envoy uses 200 for unset or < 200.
 */
export function httpStatus(code: number | string | undefined): number {
  let n = typeof code === 'number' ? code : Number(code);
  if (typeof code === 'string' && Number.isNaN(n)) {
    if (!statusCodes) {
      const pkg = loadExtProcPackage() as unknown as { envoy: { type: { v3: { StatusCode: { type: { value: { name: string; number: number }[] } } } } } };
      statusCodes = new Map(pkg.envoy.type.v3.StatusCode.type.value.map((v) => [v.name, v.number]));
    }
    n = statusCodes.get(code) ?? 0;
  }
  return n >= 200 ? n : 200;
}
