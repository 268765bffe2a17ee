/**
 * Per-endpoint dispatch state for kv-estimate-scorer: one EndpointLoad per endpoint key, created the first
 * time the endpoint is seen and dropped by remove(key), so state is bounded by the pool.
 *
 * A Map.get per candidate made score() cost 1.5 us at 100 candidates, about a whole default pick (1.6 us,
 * bench/overhead/pick.bench.ts). Candidates arrive in the datastore snapshot's order, which changes only with the pool,
 * so a positional cache maps candidate i to its load, checked by endpoint identity, and the Map is read only
 * when the candidate at position i changed: 0.58 us.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';

export class EndpointLoad {
  readonly key: string;
  /** The endpoint object the state belongs to; a new object under the same key starts afresh. */
  endpoint: Endpoint | null;
  /** Endpoint.metricsUpdatedAt the fields below are current with (-2: not yet synced). */
  scrapedAt = -2;
  /** 1 / KV capacity in tokens at that scrape; 0 when unknown. */
  invCapacity = 0;
  /** Uncached prompt tokens routed to the endpoint since that scrape. */
  pendingTokens = 0;
  /** pendingTokens / capacity, kept off the scoring loop. */
  pendingShare = 0;
  /**
   * Weighted, decayed recent tokens / capacity, scaled to the owner's time base: the value at time t is
   * recentShare x exp((base - t) / decay). See KvEstimateScorer.
   */
  recentShare = 0;
  /** When the prefills queued here are estimated done (clock ms; prefillTokensPerSecond > 0 only). */
  prefillDoneAt = 0;
  /** The recent term per ms of prefill left: prefillWeight x tokens per ms / capacity. */
  prefillSharePerMs = 0;
  /** Position in EndpointLoads' list of all loads. */
  index = -1;

  constructor(key: string, endpoint: Endpoint | null) {
    this.key = key;
    this.endpoint = endpoint;
  }

  /**
   * Catches up with a new scrape of `ep`: the scrape already shows the tokens sent before it, so the
   * since-scrape count restarts, and the cache size may have changed.
   */
  syncScrape(ep: Endpoint, fallbackCapacity: number): void {
    if (this.scrapedAt === ep.metricsUpdatedAt) return;
    this.scrapedAt = ep.metricsUpdatedAt;
    this.pendingTokens = 0;
    this.pendingShare = 0;
    const reported = ep.cacheBlockSize * ep.cacheNumBlocks;
    const capacity = reported > 0 ? reported : fallbackCapacity;
    this.invCapacity = capacity > 0 ? 1 / capacity : 0;
  }
}

/** Fills unused positions so the positional array keeps one element kind. */
const EMPTY = new EndpointLoad('', null);

export class EndpointLoads {
  readonly #byKey = new Map<string, EndpointLoad>();
  readonly #byPosition: EndpointLoad[] = [];
  /** Every load, for rescaling without iterating the Map (which allocates an iterator). */
  readonly #all: EndpointLoad[] = [];

  get size(): number {
    return this.#all.length;
  }

  /**
   * The positional cache, at least n long: entry i is the load of the candidate at position i when its
   * `endpoint` is that candidate; otherwise call resolve(i, ep).
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

  /** Slow path of positions(): looks ep up by key and caches it at position i. */
  resolve(i: number, ep: Endpoint): EndpointLoad {
    const load = this.of(ep);
    this.#byPosition[i] = load;
    return load;
  }

  /** The load of ep (created on first sight). */
  of(ep: Endpoint): EndpointLoad {
    let load = this.#byKey.get(ep.key);
    if (load === undefined) {
      load = new EndpointLoad(ep.key, ep);
      load.index = this.#all.length;
      this.#all.push(load);
      this.#byKey.set(ep.key, load);
    } else if (load.endpoint !== ep) {
      load.endpoint = ep;
      load.scrapedAt = -2;
      load.recentShare = 0;
      load.prefillDoneAt = 0;
    }
    return load;
  }

  remove(key: string): void {
    const load = this.#byKey.get(key);
    if (load === undefined) return;
    this.#byKey.delete(key);
    const all = this.#all;
    const last = all.pop()!;
    if (last !== load) {
      all[load.index] = last;
      last.index = load.index;
    }
    load.index = -1;
    const byPosition = this.#byPosition;
    for (let i = 0; i < byPosition.length; i++) if (byPosition[i] === load) byPosition[i] = EMPTY;
  }

  /** Multiplies every recentShare by `factor` (a time-base move); values too small to matter become 0. */
  scaleRecent(factor: number): void {
    const all = this.#all;
    for (let i = 0; i < all.length; i++) {
      const load = all[i]!;
      const v = load.recentShare * factor;
      load.recentShare = v < 1e-12 ? 0 : v;
    }
  }
}
