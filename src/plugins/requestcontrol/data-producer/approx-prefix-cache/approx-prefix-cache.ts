/**
 * approx-prefix-cache-producer (DataProducer, PreRequest): hashes each request's prompt into blocks, finds
 * for every candidate how many leading blocks it was recently sent, and publishes that as a
 * PrefixCacheMatchInfo under `prefix-cache-match-info/<name>` in LLMRequest.data (read by prefix-cache-scorer,
 * inflight-load-producer and prefix-cache-affinity-filter). PreRequest records the blocks on the primary pick
 * (and on the `prefill` profile's pick when there is one) and writes the pick's expected hit to
 * LLMRequest.cachedPromptTokens. Upstream: llm-d-router requestcontrol/dataproducer/approximateprefix.
 */
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  PREFIX_CACHE_MATCH_INFO_KEY,
  PREFIX_CACHE_MATCH_KEY,
  type PrefixCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer, PreRequest } from '../../../../framework/requestcontrol.ts';
import { prefillResult, type SchedulingResult } from '../../../../framework/scheduling.ts';
import { boolParam, intParam, readParams, type Params } from '../../../../input/plugin-params.ts';
import { PrefixHitStats } from './hit-stats.ts';
import { fingerprint } from './index-tables.ts';
import { hashPromptBlocks, seedHash } from './prefix-hash.ts';
import { PrefixIndex } from './prefix-index.ts';
import { PrefixSyncState } from './prefix-sync.ts';
import type { SyncedState, SyncedStateOwner } from '../../../../framework/synced-state.ts';

export { APPROX_PREFIX_CACHE_PRODUCER_TYPE };

/** Upstream's estimate of characters per token: a block of B tokens hashes 4B characters of the prompt. */
export const CHARS_PER_TOKEN = 4;

/** Most blocks hashed per request (scratch bound): 65,536 blocks of 64 tokens = 16 MiB of prompt. */
const MAX_BLOCKS = 1 << 16;

/** Upstream's profile name for the prefill pick in P/D disaggregation; it is recorded too. */

export interface ApproxPrefixCacheConfig {
  /** Block size from the first candidate's cacheBlockSize, LRU capacity from the pick's cacheNumBlocks. */
  readonly autoTune: boolean;
  readonly blockSizeTokens: number;
  /** Used only when maxPrefixTokensToMatch is 0; both 0 = the whole prompt. */
  readonly maxPrefixBlocksToMatch: number;
  /** When > 0: blocks hashed = floor(tokens / block size). */
  readonly maxPrefixTokensToMatch: number;
  readonly lruCapacityPerServer: number;
  /**
   * Floor on the block size wherever it comes from (upstream minBlockSizeTokens, #1158: one index entry per
   * block, so vLLM's 16 would take 4x the memory of 64). Not a parameter; tests lower it.
   */
  readonly minBlockSizeTokens: number;
}

/** Upstream defaults (approximateprefix/types.go defaultConfig). */
export const DEFAULT_APPROX_PREFIX_CACHE_CONFIG: ApproxPrefixCacheConfig = {
  autoTune: true,
  blockSizeTokens: 16,
  maxPrefixBlocksToMatch: 2048,
  maxPrefixTokensToMatch: 131_072,
  lruCapacityPerServer: 31_250,
  minBlockSizeTokens: 64,
};

/** The producer's parameters; prefix-cache-scorer accepts the same ones for configs written before the split. */
export const APPROX_PREFIX_CACHE_PARAMS = [
  'autoTune',
  'blockSizeTokens',
  'maxPrefixBlocksToMatch',
  'maxPrefixTokensToMatch',
  'lruCapacityPerServer',
  'blockSize',
  'hashBlockSize',
] as const;

/** The PrefixCacheMatchInfo one producer publishes; reused for every request (valid for one cycle). */
class MatchInfo implements PrefixCacheMatchInfo {
  request: LLMRequest | null = null;
  totalBlocks = 0;
  blockSizeTokens = 0;
  readonly #owner: ApproxPrefixCacheProducer;
  constructor(owner: ApproxPrefixCacheProducer) {
    this.#owner = owner;
  }
  matchBlocks(endpoint: Endpoint): number {
    return this.#owner.matchBlocksOf(endpoint);
  }
  matchRatio(endpoint: Endpoint): number {
    return this.totalBlocks === 0 ? 0 : this.#owner.matchBlocksOf(endpoint) / this.totalBlocks;
  }
}

export class ApproxPrefixCacheProducer implements DataProducer, PreRequest, SyncedStateOwner {
  readonly type = APPROX_PREFIX_CACHE_PRODUCER_TYPE;
  readonly name: string;
  readonly produces: readonly string[];
  readonly config: ApproxPrefixCacheConfig;
  /** LLMRequest.data key of the PrefixCacheMatchInfo. */
  readonly infoKey: string;
  readonly #index = new PrefixIndex();
  readonly #info = new MatchInfo(this);
  /** prefix_indexer_hit_{bytes,ratio}: one observation per PreRequest with a pick. */
  readonly hits = new PrefixHitStats();
  /** Set once the replica sync asks for it: from then on #record notes what it adds. */
  #sync: PrefixSyncState | null = null;

  // Per-request hashes, valid from produce() to preRequest() of one cycle.
  #hashHi = new Int32Array(0);
  #hashLo = new Int32Array(0);
  #blocks = 0;
  #blockSizeTokens = 0;
  #lastRequest: LLMRequest | null = null;
  #lastPrompt = '';
  #lastModel = '';
  #lastSalt = '';
  readonly #seed = new Int32Array(2);

  // Matches of the last produce(): by position in its candidate list (#matched, read through a cursor), and by
  // index slot for endpoints looked up out of that order (a slot's entry counts only when its stamp is current).
  #produced: readonly Endpoint[] = [];
  #producedCount = 0;
  #cursor = 0;
  #matchedBySlot = new Int32Array(16);
  #stampBySlot = new Int32Array(16);
  #stamp = 0;

  // Per-candidate scratch, grown geometrically.
  #slots = new Int32Array(16);
  #alive = new Int32Array(16);
  #matched = new Int32Array(16);

  /** Resolves peers' endpoint keys: entries for an endpoint this replica does not know are not applied. */
  readonly #lookup: PluginHandle['endpoints'] | undefined;

  constructor(name: string, config: ApproxPrefixCacheConfig, lookup?: PluginHandle['endpoints']) {
    this.#lookup = lookup;
    this.name = name;
    this.config = config;
    this.infoKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, name);
    this.produces = [this.infoKey, PREFIX_CACHE_MATCH_KEY];
  }

  /** Hashes the prompt and matches it against every candidate; publishes the result on the request. */
  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    this.produceFor(request, candidates, candidates.length);
  }

  /** produce() over the first n candidates; returns the published info. */
  produceFor(request: LLMRequest, candidates: readonly Endpoint[], n: number): PrefixCacheMatchInfo {
    const info = this.#info;
    const stamp = ++this.#stamp;
    const index = this.#index;
    // An empty index matches nothing: skip hashing (preRequest hashes on its own when needed).
    const blocks = index.endpointCount > 0 ? this.#prepare(request, candidates, n, false) : 0;
    info.request = request;
    info.totalBlocks = blocks;
    this.#produced = candidates;
    this.#producedCount = 0;
    this.#cursor = 0;
    info.blockSizeTokens = index.endpointCount > 0 ? this.#blockSizeTokens : this.blockSizeTokensFor(candidates, n);
    request.data.set(this.infoKey, info);
    if (blocks === 0) return info;
    if (this.#slots.length < n) this.#growScratch(n);
    const slots = this.#slots;
    const alive = this.#alive;
    const matched = this.#matched;
    let live = 0;
    for (let c = 0; c < n; c++) {
      const slot = index.slotOf(candidates[c]!.key);
      slots[c] = slot;
      matched[c] = 0;
      if (slot >= 0) alive[live++] = c;
    }
    // Walk blocks in order; a candidate stays alive only while every block so far matched (the hash chain
    // makes block i imply blocks 0..i-1). Stop when nobody is left.
    const hi = this.#hashHi;
    const lo = this.#hashLo;
    for (let b = 0; b < blocks && live > 0; b++) {
      const fp = fingerprint(hi[b]!, lo[b]!); // once per block, not per candidate
      let kept = 0;
      for (let j = 0; j < live; j++) {
        const c = alive[j]!;
        if (index.holds(slots[c]!, fp)) {
          matched[c]!++;
          alive[kept++] = c;
        }
      }
      live = kept;
    }
    this.#producedCount = n;
    for (let c = 0; c < n; c++) {
      const slot = slots[c]!;
      if (slot < 0) continue;
      if (slot >= this.#stampBySlot.length) this.#growSlots(slot + 1);
      this.#matchedBySlot[slot] = matched[c]!;
      this.#stampBySlot[slot] = stamp;
    }
    return info;
  }

  /** Leading blocks of the last produced request that `endpoint` holds (0 when it was not a candidate). */
  matchBlocksOf(endpoint: Endpoint): number {
    // Filters keep the candidates' order, so consumers mostly ask in produce()'s order: walk forward from the
    // last hit before paying a key lookup (a string-keyed map lookup per candidate cost more than the scorer).
    const produced = this.#produced;
    const count = this.#producedCount;
    const from = this.#cursor < count ? this.#cursor : 0; // past the end: another consumer's pass
    for (let c = from; c < count; c++) {
      if (produced[c] === endpoint) {
        this.#cursor = c + 1;
        return this.#matched[c]!;
      }
    }
    this.#cursor = 0; // out of order: the next lookup scans from the start
    const slot = this.#index.slotOf(endpoint.key);
    return slot >= 0 && slot < this.#stampBySlot.length && this.#stampBySlot[slot] === this.#stamp ? this.#matchedBySlot[slot]! : 0;
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const { endpoints: picked, count } = result.primary;
    if (count === 0) return;
    const blocks = this.#prepare(request, picked, count, true);
    const blockBytes = this.#blockSizeTokens * CHARS_PER_TOKEN;
    if (blocks === 0) {
      this.hits.observe(0, 0);
      return;
    }
    const matched = this.#record(picked[0]!, blocks);
    this.hits.observe(matched * blockBytes, blocks * blockBytes);
    const prefill = prefillResult(result);
    if (prefill !== null && prefill.endpoints[0] !== picked[0]) this.#record(prefill.endpoints[0]!, blocks);
    const promptTokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    const hitTokens = matched * this.#blockSizeTokens;
    request.cachedPromptTokens = hitTokens < promptTokens ? hitTokens : promptTokens;
  }

  /** The index as cross-replica state (created on first call; recording costs nothing until then). */
  syncedState(): SyncedState {
    const lookup = this.#lookup;
    this.#sync ??= new PrefixSyncState(`${this.type}/${this.name}`, this.#index, lookup && ((key) => lookup.endpoint(key) !== undefined));
    return this.#sync;
  }

  /** Purges an endpoint's entries; the runner calls it on the datastore's endpointRemoved event. */
  removeEndpoint(key: string): void {
    this.#index.removeEndpoint(key);
  }

  /** The hit histograms' counts, for the metrics endpoint. */
  prefixHitStats(): PrefixHitStats {
    return this.hits;
  }

  /** Entries held (one per block per endpoint), for the prefix indexer size metric. */
  indexEntries(): number {
    return this.#index.entries;
  }

  /** Bytes of typed arrays the index holds (benchmarks). */
  indexBytes(): number {
    return this.#index.tableBytes;
  }

  /** Upstream GetBlockSize: the first candidate's cacheBlockSize when auto-tuning, else the configured size; at least the floor. */
  blockSizeTokensFor(candidates: readonly Endpoint[], n: number): number {
    const cfg = this.config;
    let bs = cfg.blockSizeTokens;
    if (cfg.autoTune && n > 0) {
      const metric = candidates[0]!.cacheBlockSize;
      if (metric > 0) bs = metric;
    }
    return bs < cfg.minBlockSizeTokens ? cfg.minBlockSizeTokens : bs;
  }

  /** Upstream resolveMaxBlocks: the token cap wins; both caps 0 = the whole prompt (bounded by MAX_BLOCKS). */
  maxBlocksFor(blockSizeTokens: number): number {
    const cfg = this.config;
    const blocks =
      cfg.maxPrefixTokensToMatch > 0
        ? Math.floor(cfg.maxPrefixTokensToMatch / blockSizeTokens)
        : cfg.maxPrefixBlocksToMatch === 0
          ? MAX_BLOCKS
          : cfg.maxPrefixBlocksToMatch;
    return blocks < MAX_BLOCKS ? blocks : MAX_BLOCKS;
  }

  /**
   * Adds the blocks to `ep`'s LRU, last block first, so that block 0 ends up most recently used: eviction then
   * trims prompts from the tail and keeps shared prefixes matchable (upstream adds in order and evicts block 0
   * first). Returns the run of blocks already held that reaches block 0: the pick's expected prefix-cache hit.
   */
  #record(ep: Endpoint, blocks: number): number {
    const index = this.#index;
    const cfg = this.config;
    const tuned = cfg.autoTune && ep.cacheNumBlocks > 0;
    const slot = index.ensureSlot(ep.key, tuned ? ep.cacheNumBlocks : cfg.lruCapacityPerServer);
    if (tuned && index.capacityOf(slot) !== ep.cacheNumBlocks) index.setCapacity(slot, ep.cacheNumBlocks);
    const hi = this.#hashHi;
    const lo = this.#hashLo;
    let matched = 0;
    const sync = this.#sync;
    if (sync === null) {
      for (let b = blocks - 1; b >= 0; b--) matched = index.add(slot, hi[b]!, lo[b]!) ? matched + 1 : 0;
      return matched;
    }
    sync.beginGroup(ep.key, index.capacityOf(slot));
    for (let b = blocks - 1; b >= 0; b--) {
      const fp = fingerprint(hi[b]!, lo[b]!);
      matched = index.addFingerprint(slot, fp) ? matched + 1 : 0;
      sync.noteBlock(fp);
    }
    return matched;
  }

  /**
   * Hashes the request's prompt once per request; returns the block count (0 = too short to match).
   * `sameAsProduced`: preRequest reuses the hashes produce() made for this request whatever block size the
   * pick reports, so the index learns exactly the blocks that were matched.
   */
  #prepare(request: LLMRequest, candidates: readonly Endpoint[], n: number, sameAsProduced: boolean): number {
    const prompt = request.promptText;
    const model = request.targetModel || request.model;
    const salt = request.cacheSalt;
    const bs = this.blockSizeTokensFor(candidates, n);
    if (
      request === this.#lastRequest &&
      prompt === this.#lastPrompt &&
      model === this.#lastModel &&
      salt === this.#lastSalt &&
      (sameAsProduced || bs === this.#blockSizeTokens)
    ) {
      return this.#blocks;
    }
    const maxBlocks = this.maxBlocksFor(bs);
    if (this.#hashHi.length < maxBlocks) {
      // Grown to what prompts need (UTF-8 is at most 3 bytes per UTF-16 unit), not to the cap.
      const size = Math.min(maxBlocks, Math.max(64, this.#hashHi.length * 2, Math.ceil((3 * prompt.length) / (bs * CHARS_PER_TOKEN)) + 1));
      if (size > this.#hashHi.length) {
        this.#hashHi = new Int32Array(size);
        this.#hashLo = new Int32Array(size);
      }
    }
    const limit = Math.min(maxBlocks, this.#hashHi.length);
    seedHash(model, salt, this.#seed);
    this.#blocks = hashPromptBlocks(prompt, bs * CHARS_PER_TOKEN, limit, this.#seed[0]!, this.#seed[1]!, this.#hashHi, this.#hashLo);
    this.#lastRequest = request;
    this.#lastPrompt = prompt;
    this.#lastModel = model;
    this.#lastSalt = salt;
    this.#blockSizeTokens = bs;
    return this.#blocks;
  }

  #growScratch(n: number): void {
    const size = Math.max(n, this.#slots.length * 2);
    this.#slots = new Int32Array(size);
    this.#alive = new Int32Array(size);
    this.#matched = new Int32Array(size);
  }

  #growSlots(min: number): void {
    const size = Math.max(min, this.#stampBySlot.length * 2);
    const matched = new Int32Array(size);
    const stamps = new Int32Array(size);
    matched.set(this.#matchedBySlot);
    stamps.set(this.#stampBySlot);
    this.#matchedBySlot = matched;
    this.#stampBySlot = stamps;
  }
}

/** Reads the producer's parameters (also from a prefix-cache-scorer's `parameters`, for older configs). */
export function readApproxPrefixCacheConfig(name: string, p: Params): ApproxPrefixCacheConfig {
  const d = DEFAULT_APPROX_PREFIX_CACHE_CONFIG;
  const autoTune = boolParam(name, p, 'autoTune', d.autoTune);
  // Upstream: blockSizeTokens must be > 0 only without autoTune (the 64-token floor applies either way).
  let blockSizeTokens = intParam(name, p, 'blockSizeTokens', d.blockSizeTokens, autoTune ? 0 : 1, 1 << 14);
  // Deprecated `blockSize` (GIE's older `hashBlockSize` too): upstream maps it to blockSizeTokens when
  // blockSizeTokens is left at its default.
  const legacyKey = p['blockSize'] !== undefined ? 'blockSize' : p['hashBlockSize'] !== undefined ? 'hashBlockSize' : '';
  if (legacyKey) {
    const legacy = intParam(name, p, legacyKey, 0, 1, 1 << 16);
    if (blockSizeTokens === d.blockSizeTokens) blockSizeTokens = legacy;
  }
  // Upstream: an lruCapacityPerServer of 0 means the default.
  const lru = intParam(name, p, 'lruCapacityPerServer', d.lruCapacityPerServer, 0, 1 << 26);
  return {
    autoTune,
    blockSizeTokens,
    maxPrefixBlocksToMatch: intParam(name, p, 'maxPrefixBlocksToMatch', d.maxPrefixBlocksToMatch, 0, 1 << 30),
    maxPrefixTokensToMatch: intParam(name, p, 'maxPrefixTokensToMatch', d.maxPrefixTokensToMatch, 0, 1 << 30),
    lruCapacityPerServer: lru > 0 ? lru : d.lruCapacityPerServer,
    minBlockSizeTokens: d.minBlockSizeTokens,
  };
}

export function createApproxPrefixCacheProducer(name: string, params: unknown, handle: PluginHandle): ApproxPrefixCacheProducer {
  return new ApproxPrefixCacheProducer(name, readApproxPrefixCacheConfig(name, readParams(name, params, APPROX_PREFIX_CACHE_PARAMS)), handle.endpoints);
}
