/**
 * Per-endpoint dispatch counts for kv-estimate-scorer: one EndpointLoad per endpoint key, created the first
 * time the endpoint is seen and dropped by remove(key), so state is bounded by the pool. A count is relative
 * to one scrape and resets when Endpoint.metricsUpdatedAt moves.
 *
 * Lookups by key cost a Map.get per candidate, about as much as the rest of a 100-endpoint pick
 * (bench/pick.bench.ts). Candidates arrive in the datastore snapshot's order, which changes only with the pool,
 * so a positional cache maps candidate i to its load and is checked by endpoint identity: the Map is read
 * only when the candidate at position i changed.
 */
import type { Endpoint } from '../../../../datastore/endpoint.ts';

export class EndpointLoad {
  readonly key: string;
  /** The endpoint object the count belongs to; a new object under the same key starts a new count. */
  endpoint: Endpoint | null;
  /** Endpoint.metricsUpdatedAt the count is relative to. */
  scrapedAt: number;
  /** Uncached prompt tokens routed to the endpoint since that scrape. */
  pendingTokens = 0;
  /** What pendingTokens adds to the KV estimate (weighted share of capacity), kept off the scoring loop. */
  pendingShare = 0;

  constructor(key: string, endpoint: Endpoint | null) {
    this.key = key;
    this.endpoint = endpoint;
    this.scrapedAt = endpoint === null ? -1 : endpoint.metricsUpdatedAt;
  }
}

/** Fills unused positions so the positional array keeps one element kind. */
const EMPTY = new EndpointLoad('', null);

export class EndpointLoads {
  readonly #byKey = new Map<string, EndpointLoad>();
  readonly #byPosition: EndpointLoad[] = [];

  get size(): number {
    return this.#byKey.size;
  }

  /**
   * The positional cache, at least n long: entry i is the load of the candidate at position i when its
   * `endpoint` is that candidate; otherwise call resolve(i, ep). Entries may be a scrape behind: check
   * `scrapedAt` against the endpoint's metricsUpdatedAt.
   */
  positions(n: number): readonly EndpointLoad[] {
    const byPosition = this.#byPosition;
    // Grows in steps of at least doubling; never shrinks (bounded by the largest pool seen).
    if (byPosition.length < n) {
      const size = Math.max(n, byPosition.length * 2, 16);
      while (byPosition.length < size) byPosition.push(EMPTY);
    }
    return byPosition;
  }

  /** Slow path of positions(): looks ep up by key and caches it at position i. Current with its scrape. */
  resolve(i: number, ep: Endpoint): EndpointLoad {
    const load = fresh(this.#lookup(ep), ep);
    this.#byPosition[i] = load;
    return load;
  }

  /** The load of ep, current with its last scrape. */
  of(ep: Endpoint): EndpointLoad {
    return fresh(this.#lookup(ep), ep);
  }

  remove(key: string): void {
    if (!this.#byKey.delete(key)) return;
    const byPosition = this.#byPosition;
    for (let i = 0; i < byPosition.length; i++) if (byPosition[i]!.key === key) byPosition[i] = EMPTY;
  }

  #lookup(ep: Endpoint): EndpointLoad {
    let load = this.#byKey.get(ep.key);
    if (load === undefined) {
      load = new EndpointLoad(ep.key, ep);
      this.#byKey.set(ep.key, load);
    } else if (load.endpoint !== ep) {
      load.endpoint = ep;
      load.scrapedAt = ep.metricsUpdatedAt;
      load.pendingTokens = 0;
      load.pendingShare = 0;
    }
    return load;
  }
}

function fresh(load: EndpointLoad, ep: Endpoint): EndpointLoad {
  if (load.scrapedAt !== ep.metricsUpdatedAt) {
    load.scrapedAt = ep.metricsUpdatedAt;
    load.pendingTokens = 0;
    load.pendingShare = 0;
  }
  return load;
}
