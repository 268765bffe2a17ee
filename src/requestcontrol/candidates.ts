/**
 * Candidate endpoints for one request: the pool's endpoints, narrowed by the gateway's subset hint
 * (metadata namespace envoy.lb.subset_hint, key x-gateway-destination-endpoint-subset). Matches on IP only,
 * as upstream does (a pod's ranks share its IP).
 */
import { hostOf, type Endpoint } from '../framework/endpoint.ts';

/**
 * Returns `all` itself when there is no hint (no copy), else the matching subset written into `out`.
 * `subset` null = no hint; [] = hint present but empty (no candidates).
 */
export function locateCandidates(all: readonly Endpoint[], subset: readonly string[] | null, out: Endpoint[]): readonly Endpoint[] {
  if (subset === null) return all;
  out.length = 0;
  if (subset.length === 0) return out;
  const hosts = new Set<string>();
  for (const s of subset) hosts.add(hostOf(s.trim()));
  for (const ep of all) if (hosts.has(ep.address)) out.push(ep);
  return out;
}
