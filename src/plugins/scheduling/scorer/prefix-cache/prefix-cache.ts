/**
 * prefix-cache-scorer (Affinity): approximate prefix-cache affinity. Scores each candidate by the share of
 * the prompt's leading blocks it was recently sent: longest run of consecutive matched blocks / total blocks.
 * The index learns in preRequest, from the block hashes of the request routed to the primary pick.
 * Unlike upstream (producer + scorer since PR #2453) one plugin does both: it hashes in score() and reuses
 * those hashes in preRequest() of the same synchronous cycle.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PREFIX_CACHE_MATCH_KEY } from '../../../../framework/data-keys.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult, Scorer } from '../../../../framework/scheduling.ts';
import { boolParam, intParam, readParams } from '../../../../input/plugin-params.ts';
import { hashPromptBlocks, seedHash } from './prefix-hash.ts';
import { fingerprint } from './index-tables.ts';
import { PrefixIndex } from './prefix-index.ts';

export const PREFIX_CACHE_SCORER_TYPE = 'prefix-cache-scorer';

/** Upstream's estimate of characters per token; block chars = block tokens x 4 (16 tokens -> 64 chars). */
export const CHARS_PER_TOKEN = 4;

/** Most blocks hashed per request (scratch bound): 65,536 x 64 chars = 4 MiB of prompt. */
const MAX_BLOCKS = 1 << 16;

export interface PrefixCacheConfig {
  /** Take the block size from a candidate's cacheBlockSize and LRU capacity from its cacheNumBlocks. */
  readonly autoTune: boolean;
  readonly blockSizeTokens: number;
  /** Fixed block size in characters from the deprecated `blockSize`/`hashBlockSize`; 0 = use tokens. */
  readonly fixedBlockChars: number;
  readonly maxPrefixBlocksToMatch: number;
  /** When > 0, overrides maxPrefixBlocksToMatch as tokens / block tokens. */
  readonly maxPrefixTokensToMatch: number;
  readonly lruCapacityPerServer: number;
}

export const DEFAULT_PREFIX_CACHE_CONFIG: PrefixCacheConfig = {
  autoTune: true,
  blockSizeTokens: 16,
  fixedBlockChars: 0,
  maxPrefixBlocksToMatch: 256,
  maxPrefixTokensToMatch: 0,
  lruCapacityPerServer: 31_250,
};

const PRODUCES = [PREFIX_CACHE_MATCH_KEY] as const;

export class PrefixCacheScorer implements Scorer, PreRequest {
  readonly type = PREFIX_CACHE_SCORER_TYPE;
  readonly category = 'Affinity';
  /** Writes LLMRequest.cachedPromptTokens in preRequest. */
  readonly produces = PRODUCES;
  readonly name: string;
  readonly config: PrefixCacheConfig;
  readonly #index = new PrefixIndex();

  // Per-request state, valid from score() to preRequest() of one cycle.
  #hashHi = new Int32Array(0);
  #hashLo = new Int32Array(0);
  #blocks = 0;
  #lastRequest: LLMRequest | null = null;
  #lastPrompt = '';
  #lastModel = '';
  #lastSalt = '';
  #lastBlockChars = 0;
  readonly #seed = new Int32Array(2);

  // Per-candidate scratch, grown geometrically.
  #slots = new Int32Array(16);
  #alive = new Int32Array(16);
  #matched = new Int32Array(16);

  constructor(name: string, config: PrefixCacheConfig) {
    this.name = name;
    this.config = config;
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    // An empty index matches nothing: skip hashing (preRequest hashes on its own when needed).
    const blocks = n > 0 && this.#index.endpointCount > 0 ? this.#prepare(request, candidates, n, false) : 0;
    if (blocks === 0) {
      for (let i = 0; i < n; i++) out[i] = 0;
      return;
    }
    if (this.#slots.length < n) this.#growScratch(n);
    const index = this.#index;
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
    for (let c = 0; c < n; c++) out[c] = matched[c]! / blocks;
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const { endpoints: picked, count } = result.primary;
    if (count === 0) return;
    const ep = picked[0]!;
    const blocks = this.#prepare(request, picked, count, true);
    if (blocks === 0) return;
    const index = this.#index;
    const cfg = this.config;
    const tuned = cfg.autoTune && ep.cacheNumBlocks > 0;
    const slot = index.ensureSlot(ep.key, tuned ? ep.cacheNumBlocks : cfg.lruCapacityPerServer);
    if (tuned && index.capacityOf(slot) !== ep.cacheNumBlocks) index.setCapacity(slot, ep.cacheNumBlocks);
    const hi = this.#hashHi;
    const lo = this.#hashLo;
    // Add the last block first so block 0 ends up most recently used: eviction then trims prompts from the
    // tail and keeps shared prefixes matchable (upstream adds in order and evicts block 0 first). add() says
    // whether the block was held; walking down, the run of held blocks that reaches block 0 is the pick's
    // expected prefix-cache hit, for load estimators (kv-estimate-scorer) that would otherwise count cached
    // prompt tokens as new KV.
    let matched = 0;
    for (let b = blocks - 1; b >= 0; b--) matched = index.add(slot, hi[b]!, lo[b]!) ? matched + 1 : 0;
    const promptTokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    const hitTokens = (matched * this.#lastBlockChars) / CHARS_PER_TOKEN;
    request.cachedPromptTokens = hitTokens < promptTokens ? hitTokens : promptTokens;
  }

  /** Purges an endpoint's entries; call on the datastore's endpointRemoved event. */
  removeEndpoint(key: string): void {
    this.#index.removeEndpoint(key);
  }

  /** Entries held (one per block per endpoint), for the prefix indexer size metric. */
  indexEntries(): number {
    return this.#index.entries;
  }

  /** Bytes of typed arrays the index holds (benchmarks). */
  indexBytes(): number {
    return this.#index.tableBytes;
  }

  /**
   * Hashes the request's prompt once per request; returns the block count (0 = too short to match).
   * `sameAsScored`: preRequest reuses the hashes score() made for this request whatever block size the picked
   * endpoint reports, so the index learns exactly the blocks that were matched.
   */
  #prepare(request: LLMRequest, candidates: readonly Endpoint[], n: number, sameAsScored: boolean): number {
    const prompt = request.promptText;
    const model = request.targetModel || request.model;
    const salt = request.cacheSalt;
    const blockChars = this.#blockChars(candidates, n);
    if (
      request === this.#lastRequest &&
      prompt === this.#lastPrompt &&
      model === this.#lastModel &&
      salt === this.#lastSalt &&
      (sameAsScored || blockChars === this.#lastBlockChars)
    ) {
      return this.#blocks;
    }
    const cfg = this.config;
    const maxBlocks =
      cfg.maxPrefixTokensToMatch > 0
        ? Math.min(MAX_BLOCKS, Math.floor((cfg.maxPrefixTokensToMatch * CHARS_PER_TOKEN) / blockChars))
        : cfg.maxPrefixBlocksToMatch;
    if (this.#hashHi.length < maxBlocks) {
      this.#hashHi = new Int32Array(maxBlocks);
      this.#hashLo = new Int32Array(maxBlocks);
    }
    seedHash(model, salt, this.#seed);
    this.#blocks = hashPromptBlocks(prompt, blockChars, maxBlocks, this.#seed[0]!, this.#seed[1]!, this.#hashHi, this.#hashLo);
    this.#lastRequest = request;
    this.#lastPrompt = prompt;
    this.#lastModel = model;
    this.#lastSalt = salt;
    this.#lastBlockChars = blockChars;
    return this.#blocks;
  }

  #blockChars(candidates: readonly Endpoint[], n: number): number {
    const cfg = this.config;
    if (cfg.fixedBlockChars > 0) return cfg.fixedBlockChars;
    if (cfg.autoTune) {
      for (let i = 0; i < n; i++) {
        const bs = candidates[i]!.cacheBlockSize;
        if (bs > 0) return bs * CHARS_PER_TOKEN;
      }
    }
    return cfg.blockSizeTokens * CHARS_PER_TOKEN;
  }

  #growScratch(n: number): void {
    const size = Math.max(n, this.#slots.length * 2);
    this.#slots = new Int32Array(size);
    this.#alive = new Int32Array(size);
    this.#matched = new Int32Array(size);
  }
}

const PARAMS = [
  'autoTune',
  'blockSizeTokens',
  'maxPrefixBlocksToMatch',
  'maxPrefixTokensToMatch',
  'lruCapacityPerServer',
  'blockSize',
  'hashBlockSize',
] as const;

export function createPrefixCacheScorer(name: string, params: unknown, _handle: PluginHandle): PrefixCacheScorer {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_PREFIX_CACHE_CONFIG;
  // blockSize / hashBlockSize: the pre-v1.x size in characters. Honoured as a fixed block size (no auto-tune of
  // the block size) so old configs keep their meaning; combining it with blockSizeTokens is ambiguous.
  const legacyKey = p['blockSize'] !== undefined ? 'blockSize' : p['hashBlockSize'] !== undefined ? 'hashBlockSize' : '';
  const fixedBlockChars = legacyKey ? intParam(name, p, legacyKey, 0, 1, 1 << 16) : 0;
  if (legacyKey && p['blockSizeTokens'] !== undefined) {
    throw new PluginConfigError(name, legacyKey, 'deprecated size in characters; set only blockSizeTokens');
  }
  return new PrefixCacheScorer(name, {
    autoTune: boolParam(name, p, 'autoTune', d.autoTune),
    blockSizeTokens: intParam(name, p, 'blockSizeTokens', d.blockSizeTokens, 1, 1 << 14),
    fixedBlockChars,
    maxPrefixBlocksToMatch: intParam(name, p, 'maxPrefixBlocksToMatch', d.maxPrefixBlocksToMatch, 0, MAX_BLOCKS),
    maxPrefixTokensToMatch: intParam(name, p, 'maxPrefixTokensToMatch', d.maxPrefixTokensToMatch, 0, 1 << 24),
    lruCapacityPerServer: intParam(name, p, 'lruCapacityPerServer', d.lruCapacityPerServer, 1, 1 << 26),
  });
}
