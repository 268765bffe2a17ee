/**
 * header-based-testing-filter (conformance only): keeps the candidates named in the request header
 * `test-epp-endpoint-selection`, a comma list of `IP` or `IP:port` (IPv6 bracketed). An entry with a port needs an
 * exact IP:port match; a bare IP matches the endpoint with that IP (the last such candidate, as upstream's map).
 * Kept endpoints come in header order, at most one per IP. No header, or an empty one: nothing is kept.
 */
import { hostOf, type Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const HEADER_BASED_TESTING_FILTER_TYPE = 'header-based-testing-filter';
export const TEST_ENDPOINT_SELECTION_HEADER = 'test-epp-endpoint-selection';

export class HeaderBasedTestingFilter implements Filter {
  readonly type = HEADER_BASED_TESTING_FILTER_TYPE;
  readonly name: string;
  /** Scratch copy of the candidates (the output overwrites the input array); grown, never shrunk. */
  #scratch: Endpoint[] = [];

  constructor(name: string) {
    this.name = name;
  }

  filter(request: LLMRequest, candidates: Endpoint[], n: number): number {
    const hv = request.headers.get(TEST_ENDPOINT_SELECTION_HEADER);
    if (hv === undefined || hv.trim() === '') return 0;
    // Conformance-only plugin: parsing the header per request (a few short strings) is fine here.
    const scratch = this.#scratch;
    for (let i = 0; i < n; i++) scratch[i] = candidates[i]!;
    let kept = 0;
    for (const raw of hv.split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      const { host, port } = splitHostPort(item);
      let found: Endpoint | undefined;
      for (let i = 0; i < n; i++) {
        const ep = scratch[i]!;
        if (ep.address !== host) continue;
        if (port === '' || String(ep.port) === port) found = ep; // last match wins, as upstream's ip -> endpoint map
      }
      if (found === undefined) continue;
      let dup = false;
      for (let k = 0; k < kept; k++) if (candidates[k]!.address === found.address) dup = true;
      if (!dup) candidates[kept++] = found;
    }
    return kept;
  }
}

/** Go net.SplitHostPort, else a bare (possibly bracketed) IP. */
function splitHostPort(item: string): { host: string; port: string } {
  if (item.startsWith('[')) {
    const end = item.indexOf(']');
    if (end > 0 && item.length > end + 1 && item[end + 1] === ':') return { host: item.slice(1, end), port: item.slice(end + 2) };
    return { host: hostOf(item), port: '' };
  }
  const colon = item.lastIndexOf(':');
  if (colon > 0 && item.indexOf(':') === colon) return { host: item.slice(0, colon), port: item.slice(colon + 1) };
  return { host: item, port: '' };
}

export function createHeaderBasedTestingFilter(name: string, params: unknown, _handle: PluginHandle): HeaderBasedTestingFilter {
  readParams(name, params, []);
  return new HeaderBasedTestingFilter(name);
}
