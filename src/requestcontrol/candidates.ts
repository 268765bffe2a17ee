/**
 * Candidate endpoints for one request: the pool's endpoints, narrowed by the gateway's subset hint
 * (metadata namespace envoy.lb.subset_hint, key x-gateway-destination-endpoint-subset). Matches on IP only,
 * as upstream does (a pod's ranks share its IP).
 */
import { hostOf, type Endpoint } from '../framework/endpoint.ts';
import { isHung } from './answer-watch.ts';

/**
 * Returns `all` itself when there is no hint (no copy), else the matching subset written into `out`.
 * `subset` null = no hint; [] = hint present but empty (no candidates).
 */
export function locateCandidates(all: readonly Endpoint[], subset: readonly string[] | null, out: Endpoint[]): readonly Endpoint[] {
  if (subset === null) return all;
  let k = 0;
  if (subset.length > 0) {
    const hosts = new Set<string>();
    for (const s of subset) hosts.add(hostOf(s.trim()));
    // Written by index and cut at the end, as answeringCandidates does: `out.length = 0` first drops the store.
    for (const ep of all) if (hosts.has(ep.address)) out[k++] = ep;
  }
  out.length = k;
  return out;
}

/**
 * The candidates whose metrics server answers (Endpoint.isAnswering) and whose inference is not hung (isHung:
 * requests routed there unanswered past a deadline), written into `out`; `candidates` itself
 * (no copy) when all answer. A SIGKILLed or SIGSTOPped pod keeps its last metrics, which look idle: without
 * this it drew 40-75% of the traffic until they went stale (issue 14, finding 2).
 * When none answers, it fails open as upstream's saturation filter does (routing beats refusing), but to the
 * endpoints with the fewest requests in flight from this picker: the only live signal left, so requests that a
 * hung server never answers weigh on it.
 */
export function answeringCandidates(candidates: readonly Endpoint[], now: number, out: Endpoint[]): readonly Endpoint[] {
  let answering = 0;
  for (let i = 0; i < candidates.length; i++) if (responds(candidates[i]!, now)) answering++;
  if (answering === candidates.length) return candidates;
  if (answering === 0) return fewestInFlight(candidates, out);
  // Written by index and cut to length at the end: `out.length = 0` first dropped the backing store, so each
  // narrowing reallocated it (10 MB per 1e6 calls at 1,000 endpoints, bench/overhead/answering.bench.ts).
  let k = 0;
  for (let i = 0; i < candidates.length; i++) {
    const ep = candidates[i]!;
    if (responds(ep, now)) out[k++] = ep;
  }
  out.length = k;
  return out;
}

function responds(ep: Endpoint, now: number): boolean {
  return ep.isAnswering(now) && !isHung(ep, now);
}

function fewestInFlight(candidates: readonly Endpoint[], out: Endpoint[]): readonly Endpoint[] {
  let min = Infinity;
  for (let i = 0; i < candidates.length; i++) min = Math.min(min, candidates[i]!.inflightRequests);
  let k = 0;
  for (let i = 0; i < candidates.length; i++) {
    const ep = candidates[i]!;
    if (ep.inflightRequests === min) out[k++] = ep;
  }
  if (k === candidates.length) return candidates;
  out.length = k;
  return out;
}
