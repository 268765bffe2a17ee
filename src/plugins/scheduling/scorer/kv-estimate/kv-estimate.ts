/**
 * kv-estimate-scorer (Distribution): 1 - an estimate of the endpoint's KV use that moves with every pick,
 * instead of the last scrape's, which every request of a scrape interval sees alike (herding):
 *
 *   estimate = kvCacheUsage + (pendingTokens + prefillWeight x recentTokens + waitingWeight x waitingTokens) / capacity
 *   pendingTokens = uncached prompt tokens this picker routed here since the endpoint's last scrape
 *   recentTokens  = the same tokens, each decayed by exp(-age / prefillDecay), not reset by scrapes; with
 *                   prefillTokensPerSecond, at least the longest recent prompt's tokens not yet prefilled at it
 *   waitingTokens = scraped waiting requests x the mean uncached prompt this picker routes
 *
 * pendingTokens is the KV the scrape cannot show yet. recentTokens stands for prefills still running or just
 * done: a prefill token costs a model-server step about 110 times what a resident context token costs
 * (Llama-2-7B on H100: 17.25 vs 0.156 us), so requests sent in the last few steps matter more for the next
 * request's latency than their KV share. It decays with time rather than resetting at a scrape, because a
 * scrape taken right after a dispatch shows the request admitted, not its prefill done. waitingTokens covers
 * requests the server has queued (a full batch, not a full cache): they hold no KV yet but each is a prefill
 * ahead of a new request. The decay forgets an 80k-token prompt long before its ~2.5 s prefill ends, hence the rate
 * floor (bench/README.md, long context). Uncached = minus LLMRequest.cachedPromptTokens, the hit the prefix-cache producer's
 * PreRequest expects (it runs first: this plugin consumes the key that one produces).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import { PREFIX_CACHE_MATCH_KEY } from '../../../../framework/data-keys.ts';
import { PluginConfigError, type DataDependencies, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult, Scorer } from '../../../../framework/scheduling.ts';
import { durationMsParam, intParam, numberParam, readParams } from '../../../../input/plugin-params.ts';
import { EndpointLoads, type EndpointLoad } from './endpoint-loads.ts';
import { KvDispatchSync } from './dispatch-sync.ts';
import type { SyncedState, SyncedStateOwner } from '../../../../framework/synced-state.ts';

export const KV_ESTIMATE_SCORER_TYPE = 'kv-estimate-scorer';

/** Upstream's estimate of characters per token (as prefix-cache-scorer). */
const CHARS_PER_TOKEN = 4;

/** The time base moves after this many decay constants: exp(20) keeps scaled shares far from overflow. */
const REBASE_AFTER_DECAYS = 20;

/** Weight of each new prompt in the running mean prompt size (about the last 100 requests). */
const MEAN_PROMPT_ALPHA = 0.01;

export interface KvEstimateConfig {
  /** KV-token equivalents of one uncached prompt token dispatched just now (0 = plain KV accounting). */
  readonly prefillWeight: number;
  /** Time constant (ms) of the recent-token decay. */
  readonly prefillDecayMs: number;
  /** KV-token equivalents of a scraped waiting request, in mean prompts. */
  readonly waitingWeight: number;
  /** KV capacity in tokens for endpoints that publish no cache config; 0 = use the scraped usage alone. */
  readonly capacityTokens: number;
  /**
   * Uncached prompt tokens per ms an endpoint prefills (0 = off). When set, the recent term is at least the
   * dispatched tokens not yet prefilled at that rate, so a long prompt keeps counting until its prefill is done.
   */
  readonly prefillTokensPerMs: number;
}

/** Tuned on bench/routing-study/compare (bench/routing-study/README.md, "Tuning"). */
export const DEFAULT_KV_ESTIMATE_CONFIG: KvEstimateConfig = {
  prefillWeight: 20,
  prefillDecayMs: 50,
  waitingWeight: 5,
  capacityTokens: 0,
  prefillTokensPerMs: 0,
};

const CONSUMES: DataDependencies = { optional: [PREFIX_CACHE_MATCH_KEY] };

export class KvEstimateScorer implements Scorer, PreRequest, SyncedStateOwner {
  readonly type = KV_ESTIMATE_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly consumes = CONSUMES;
  readonly name: string;
  readonly config: KvEstimateConfig;
  readonly #clock: Clock;
  readonly #stalenessMs: number;
  readonly #loads = new EndpointLoads();

  /**
   * recentShare values are stored scaled by exp((t - base) / decay) at their dispatch time t, so decaying
   * them all to `now` is one shared factor exp((base - now) / decay) per call instead of an exp per candidate.
   */
  #base = Number.NaN;
  /** Running mean of the uncached prompt tokens routed (0 until the first dispatch). */
  #meanPrompt = 0;
  readonly #lookup: PluginHandle['endpoints'] | undefined;
  /** Set once the replica sync asks for it: dispatches are then shared with the other replicas. */
  #sync: KvDispatchSync | null = null;

  constructor(name: string, config: KvEstimateConfig, clock: Clock, stalenessMs: number, lookup?: PluginHandle['endpoints']) {
    this.#lookup = lookup;
    this.name = name;
    this.config = config;
    this.#clock = clock;
    this.#stalenessMs = stalenessMs;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const now = this.#clock.now();
    const decayToNow = 1 / this.#scaleAt(now);
    const perWaiting = this.config.waitingWeight * this.#meanPrompt;
    const fallbackCapacity = this.config.capacityTokens;
    const staleness = this.#stalenessMs;
    const loads = this.#loads;
    const byPosition = loads.positions(n);
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      const scrapedAt = ep.metricsUpdatedAt;
      if (scrapedAt < 0 || now - scrapedAt > staleness) {
        out[i] = 0;
        continue;
      }
      let load = byPosition[i]!;
      if (load.endpoint !== ep) load = loads.resolve(i, ep);
      if (load.scrapedAt !== scrapedAt) load.syncScrape(ep, fallbackCapacity);
      const waiting = ep.waitingQueue * perWaiting * load.invCapacity;
      const decayed = load.recentShare * decayToNow;
      const unprefilled = load.prefillDoneAt > now ? (load.prefillDoneAt - now) * load.prefillSharePerMs : 0;
      const estimate = ep.kvCacheUsage + load.pendingShare + (unprefilled > decayed ? unprefilled : decayed) + waiting;
      out[i] = estimate >= 1 ? 0 : 1 - estimate;
    }
  }

  /**
   * Adds the pick's uncached prompt tokens to its load. LLMRequest.cachedPromptTokens is the expected hit
   * the prefix-cache producer wrote in its own preRequest, which the loader runs before this one (`consumes`).
   */
  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const { endpoints, count } = result.primary;
    if (count === 0) return;
    const ep = endpoints[0]!;
    const load = this.#loads.of(ep);
    load.syncScrape(ep, this.config.capacityTokens);
    const scale = this.#scaleAt(this.#clock.now());
    const tokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    const cached = request.cachedPromptTokens;
    const uncached = cached < tokens ? tokens - cached : 0;
    this.#add(load, uncached, scale);
    this.#queuePrefill(load, uncached, this.#clock.now());
    this.#noteMean(uncached);
    this.#sync?.noteDispatch(ep.key, uncached, this.#clock.now());
  }

  #noteMean(uncached: number): void {
    const mean = this.#meanPrompt;
    this.#meanPrompt = mean === 0 ? uncached : mean + MEAN_PROMPT_ALPHA * (uncached - mean);
  }

  /** The dispatches as cross-replica state (null without an endpoint lookup to resolve peers' keys). */
  syncedState(): SyncedState | null {
    const lookup = this.#lookup;
    if (lookup === undefined) return null;
    this.#sync ??= new KvDispatchSync(`${this.type}/${this.name}`, this.#clock, (key, tokens, at) => {
      const ep = lookup.endpoint(key);
      if (ep === undefined) return;
      const load = this.#loads.of(ep);
      load.syncScrape(ep, this.config.capacityTokens);
      // Decayed from when the peer dispatched it. Scraped since: the scrape shows it, only the prefill term is left.
      const now = this.#clock.now();
      const scale = this.#scaleAt(now) * Math.exp(Math.min(0, at - now) / this.config.prefillDecayMs);
      if (ep.metricsUpdatedAt > at) this.#addRecent(load, tokens, scale);
      else this.#add(load, tokens, scale);
      this.#queuePrefill(load, tokens, Math.min(at, now));
      this.#noteMean(tokens);
    });
    return this.#sync;
  }

  /** Drops the endpoint's state; call on the datastore's endpointRemoved event. */
  removeEndpoint(key: string): void {
    this.#loads.remove(key);
  }

  /** The estimate's addition to ep's scraped KV use now (tests, debugging). */
  addedUsage(ep: Endpoint): number {
    const scale = this.#scaleAt(this.#clock.now()); // first: it may move the base and rescale the loads
    const load = this.#loads.of(ep);
    load.syncScrape(ep, this.config.capacityTokens);
    const waiting = ep.waitingQueue * this.config.waitingWeight * this.#meanPrompt * load.invCapacity;
    const now = this.#clock.now();
    const unprefilled = load.prefillDoneAt > now ? (load.prefillDoneAt - now) * load.prefillSharePerMs : 0;
    return load.pendingShare + Math.max(load.recentShare / scale, unprefilled) + waiting;
  }

  /** Endpoints with state held (bounded by the pool; tests). */
  get endpointCount(): number {
    return this.#loads.size;
  }

  /**
   * Adds `tokens` (negative to take back) to both dispatch terms; `scale` is exp((t - base) / decay) of the
   * dispatch. The terms are kept as shares of capacity so score() only adds them: a division per candidate
   * cost 0.2 us of score() at 100 candidates.
   */
  #add(load: EndpointLoad, tokens: number, scale: number): void {
    const inv = load.invCapacity;
    if (inv === 0) return;
    const pending = load.pendingTokens + tokens;
    load.pendingTokens = pending > 0 ? pending : 0;
    load.pendingShare = load.pendingTokens * inv;
    const recent = load.recentShare + this.config.prefillWeight * tokens * scale * inv;
    load.recentShare = recent > 0 ? recent : 0;
  }

  /**
   * Queues `tokens` of prefill behind the endpoint's earlier ones, drained at prefillTokensPerMs from `at`;
   * prefillSharePerMs turns the ms left into the recent term's units (prefillWeight x tokens / capacity).
   */
  #queuePrefill(load: EndpointLoad, tokens: number, at: number): void {
    const rate = this.config.prefillTokensPerMs;
    if (rate === 0 || tokens <= 0) return;
    load.prefillDoneAt = Math.max(load.prefillDoneAt, at + tokens / rate);
    load.prefillSharePerMs = this.config.prefillWeight * rate * load.invCapacity;
  }

  #addRecent(load: EndpointLoad, tokens: number, scale: number): void {
    const recent = load.recentShare + this.config.prefillWeight * tokens * scale * load.invCapacity;
    load.recentShare = recent > 0 ? recent : 0;
  }

  /**
   * exp((now - base) / decay), moving the base (and rescaling every load) when it grows large. A clock that
   * went back counts as no time passed.
   */
  #scaleAt(now: number): number {
    const tau = this.config.prefillDecayMs;
    let base = this.#base;
    if (!(now - base <= REBASE_AFTER_DECAYS * tau)) {
      // First call or a long gap: re-express every share at base = now.
      if (base === base) this.#loads.scaleRecent(Math.exp((base - now) / tau));
      this.#base = base = now;
    }
    return now > base ? Math.exp((now - base) / tau) : 1;
  }
}

const PARAMS = ['prefillWeight', 'prefillDecay', 'waitingWeight', 'capacityTokens', 'prefillTokensPerSecond'] as const;

export function createKvEstimateScorer(name: string, params: unknown, handle: PluginHandle): KvEstimateScorer {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_KV_ESTIMATE_CONFIG;
  const prefillDecayMs = durationMsParam(name, p, 'prefillDecay', d.prefillDecayMs);
  if (!(prefillDecayMs > 0)) throw new PluginConfigError(name, 'prefillDecay', 'must be a positive duration');
  return new KvEstimateScorer(
    name,
    {
      prefillWeight: numberParam(name, p, 'prefillWeight', d.prefillWeight, 0, 1e6),
      prefillDecayMs,
      waitingWeight: numberParam(name, p, 'waitingWeight', d.waitingWeight, 0, 1e6),
      capacityTokens: intParam(name, p, 'capacityTokens', d.capacityTokens, 0, 1 << 30),
      prefillTokensPerMs: numberParam(name, p, 'prefillTokensPerSecond', d.prefillTokensPerMs * 1000, 0, 1e9) / 1000,
    },
    handle.clock,
    handle.metricsStalenessMs,
    handle.endpoints,
  );
}
