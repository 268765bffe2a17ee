/**
 * A peer router run as a policy in the fast simulation: it sees the request text and its own bookkeeping
 * (what it dispatched, first tokens, completions), as the peers' routers do without engine KV events.
 */
export interface PeerRequest {
  /** Prompt text as the router hashes it (completions prompt, or chat contents joined). */
  text: string;
  /** Prompt tokens (4 characters each). */
  tokens: number;
  /** The engine's KV block hashes of the prompt (set for routers given a KvOracle, i.e. engine KV events). */
  blockHashes?: readonly number[];
}

/** Exact engine KV state, as a router fed by the engines' KV events sees it. */
export interface KvOracle {
  /** Leading blocks of `hashes` resident (in use or cached) on endpoint `w`. */
  resident(w: number, hashes: readonly number[]): number;
}

export interface PeerRouter {
  /** Endpoint index of `n` for the request at time `t` (ms). */
  pick(req: PeerRequest, n: number, t: number): number;
  /** The request's first token came back. */
  firstToken(i: number, req: PeerRequest): void;
  /** The request ended. */
  finish(i: number, req: PeerRequest): void;
}

/** FNV-1a over a string slice, chained with `prev` (the peers use xxhash; only equality matters here). */
export function chainHash(prev: number, s: string, from: number, to: number): number {
  let h = (prev ^ 0x811c9dc5) >>> 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
