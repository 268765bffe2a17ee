/** Reads headers and gateway metadata out of ext_proc request messages. */
import type { HeaderMap, PbStruct, ProcessingRequest } from './codec/proto.ts';
import { DESTINATION_SERVED_KEY, LB_METADATA_NAMESPACE, SUBSET_HINT_KEY, SUBSET_HINT_NAMESPACE } from './messages.ts';

/** Copies headers into `out` with lower-cased keys; the value is raw_value when non-empty, else value. */
export function readHeaders(map: HeaderMap | undefined, out: Map<string, string>): void {
  const list = map?.headers;
  if (!list) return;
  for (const h of list) {
    const raw = h.raw_value;
    const value = raw && raw.length > 0 ? (Buffer.isBuffer(raw) ? raw : Buffer.from(raw)).toString('utf8') : (h.value ?? '');
    out.set(h.key.toLowerCase(), value);
  }
}

/** The subset hint as a list of "ip:port" strings; null when the gateway sent none. */
export function subsetHint(msg: ProcessingRequest): string[] | null {
  const ns: PbStruct | undefined = msg.metadata_context?.filter_metadata?.[SUBSET_HINT_NAMESPACE];
  const v = ns?.fields?.[SUBSET_HINT_KEY];
  if (!v) return null;
  if (v.listValue) return (v.listValue.values ?? []).map((x) => x.stringValue ?? '').filter((s) => s !== '');
  // Tolerate a single string or comma list.
  if (typeof v.stringValue === 'string') return v.stringValue.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return [];
}

/** The endpoint the gateway actually served from (it may retry down the fallback list); '' when not reported. */
export function servedEndpoint(msg: ProcessingRequest): string {
  const v = msg.metadata_context?.filter_metadata?.[LB_METADATA_NAMESPACE]?.fields?.[DESTINATION_SERVED_KEY];
  return v?.stringValue ?? '';
}
