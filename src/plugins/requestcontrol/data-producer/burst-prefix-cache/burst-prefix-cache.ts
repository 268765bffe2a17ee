/**
 * burst-prefix-cache-producer (DataProducer, RequestHolder): holds the requests arriving within a window, places
 * them jointly so samples sharing a prompt co-locate (assign.ts), and publishes a PrefixCacheMatchInfo under
 * `prefix-cache-match-info/<name>` that is a full match on the assigned endpoint and 0 elsewhere (read by
 * prefix-cache-scorer with `prefixMatchInfoProducerName: <name>`). Upstream: llm-d-router
 * requestcontrol/dataproducer/burstprefix.
 */
import { PREFIX_CACHE_MATCH_INFO_KEY, dataKey, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { RequestHolder } from '../../../../framework/requestcontrol.ts';
import { intParam, readParams, stringParam } from '../../../../input/plugin-params.ts';
import { CHARS_PER_TOKEN } from '../approx-prefix-cache/approx-prefix-cache.ts';
import { hashPromptBlocks, seedHash } from '../approx-prefix-cache/prefix-hash.ts';
import { assign, UNLIMITED_PER_REPLICA, type BurstEntry, type Replica } from './assign.ts';

export const BURST_PREFIX_CACHE_PRODUCER_TYPE = 'burst-prefix-cache-producer';

export interface BurstPrefixCacheConfig {
  readonly windowDurationMs: number;
  /** Samples of one group per replica; -1 = the whole group on one replica. */
  readonly maxPerReplica: number;
  readonly blockSizeTokens: number;
  /** 0 = upstream's default cap of 2048 blocks. */
  readonly maxPrefixTokensToMatch: number;
  readonly minColocateBlocks: number;
  /** Requests one window may hold; -1 = unlimited. */
  readonly maxBatchSize: number;
  readonly balanceBy: 'requests' | 'tokens';
}

/** Upstream defaults (burstprefix/types.go defaultConfig). */
export const DEFAULT_BURST_PREFIX_CACHE_CONFIG: BurstPrefixCacheConfig = {
  windowDurationMs: 100,
  maxPerReplica: UNLIMITED_PER_REPLICA,
  blockSizeTokens: 64,
  maxPrefixTokensToMatch: 0,
  minColocateBlocks: 0,
  maxBatchSize: 1000,
  balanceBy: 'requests',
};

const DEFAULT_MAX_PREFIX_BLOCKS = 2048;
/** Every request waits up to the window, so a large one is refused at load (upstream maxWindowDurationMs). */
const MAX_WINDOW_MS = 10_000;
const PARAMS = ['windowDurationMs', 'maxPerReplica', 'blockSizeTokens', 'maxPrefixTokensToMatch', 'minColocateBlocks', 'maxBatchSize', 'balanceBy'] as const;

/** Starts a one-shot timer; injected so tests seal windows themselves. */
export type WindowTimer = (fire: () => void, ms: number) => void;
const unrefTimer: WindowTimer = (fire, ms) => setTimeout(fire, ms).unref();

interface Held extends BurstEntry {
  readonly release: () => void;
}

class MatchInfo implements PrefixCacheMatchInfo {
  request: LLMRequest | null = null;
  totalBlocks = 0;
  blockSizeTokens = 0;
  assignedKey = '';
  matchBlocks(endpoint: Endpoint): number {
    return this.assignedKey !== '' && endpoint.key === this.assignedKey ? this.totalBlocks : 0;
  }
  matchRatio(endpoint: Endpoint): number {
    return this.matchBlocks(endpoint) > 0 ? 1 : 0;
  }
}

export class BurstPrefixCacheProducer implements RequestHolder {
  readonly type = BURST_PREFIX_CACHE_PRODUCER_TYPE;
  readonly name: string;
  readonly config: BurstPrefixCacheConfig;
  readonly infoKey: string;
  readonly produces: readonly string[];
  readonly #maxBlocks: number;
  readonly #timer: WindowTimer;
  /** The open window; null between windows. */
  #batch: Held[] | null = null;
  /** Requests whose window sealed, until produce() publishes their placement. */
  readonly #decided = new Map<LLMRequest, BurstEntry>();
  readonly #info = new MatchInfo();
  readonly #seed = new Int32Array(2);
  #hi = new Int32Array(64);
  #lo = new Int32Array(64);

  constructor(name: string, config: BurstPrefixCacheConfig, timer: WindowTimer = unrefTimer) {
    this.name = name;
    this.config = config;
    this.infoKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, name);
    this.produces = [this.infoKey];
    this.#maxBlocks = config.maxPrefixTokensToMatch > 0 ? Math.floor(config.maxPrefixTokensToMatch / config.blockSizeTokens) : DEFAULT_MAX_PREFIX_BLOCKS;
    this.#timer = timer;
  }

  hold(request: LLMRequest, candidates: readonly Endpoint[], release: () => void): boolean {
    let batch = this.#batch;
    if (batch === null) {
      batch = this.#batch = [];
      const sealed = batch;
      this.#timer(() => this.#seal(sealed), this.config.windowDurationMs);
    }
    // Upstream fails the producer once the window is full; here the request goes on at once, with no affinity.
    if (this.config.maxBatchSize !== -1 && batch.length >= this.config.maxBatchSize) return false;
    const replicas: Replica[] = candidates.map((c) => ({ key: c.key, runningRequests: c.runningRequests }));
    const entry: Held = { hashes: this.#hash(request), replicas, assigned: null, release };
    this.#decided.set(request, entry);
    batch.push(entry);
    return true;
  }

  unhold(request: LLMRequest): void {
    const entry = this.#decided.get(request);
    this.#decided.delete(request);
    if (entry === undefined || this.#batch === null) return;
    const at = this.#batch.indexOf(entry as Held);
    if (at >= 0) this.#batch.splice(at, 1);
  }

  produce(request: LLMRequest, _candidates: readonly Endpoint[]): void {
    const info = this.#info;
    const entry = this.#decided.get(request);
    this.#decided.delete(request);
    info.request = request;
    info.blockSizeTokens = this.config.blockSizeTokens;
    info.totalBlocks = entry === undefined ? 0 : entry.hashes.length;
    info.assignedKey = entry?.assigned?.key ?? '';
    request.data.set(this.infoKey, info);
  }

  /** Requests held in the open window (metrics, tests). */
  get waiting(): number {
    return this.#batch?.length ?? 0;
  }

  #seal(batch: Held[]): void {
    if (this.#batch === batch) this.#batch = null;
    const c = this.config;
    assign(batch, { maxPerReplica: c.maxPerReplica, minColocateBlocks: c.minColocateBlocks, balanceByTokens: c.balanceBy === 'tokens' });
    for (const e of batch) e.release();
  }

  /** The prompt's chained block hashes, each folded to a 53-bit integer (grouping only needs equality). */
  #hash(request: LLMRequest): number[] {
    const bs = this.config.blockSizeTokens * CHARS_PER_TOKEN;
    const prompt = request.promptText;
    // Whole blocks only, as upstream's prefixhash: a trailing partial block is no shared prefix.
    const whole = Math.min(this.#maxBlocks, Math.floor(Buffer.byteLength(prompt, 'utf8') / bs));
    const max = whole + 1;
    if (this.#hi.length < max) {
      this.#hi = new Int32Array(max);
      this.#lo = new Int32Array(max);
    }
    seedHash(request.targetModel || request.model, request.cacheSalt, this.#seed);
    const n = Math.min(whole, hashPromptBlocks(prompt, bs, max, this.#seed[0]!, this.#seed[1]!, this.#hi, this.#lo));
    const out = new Array<number>(n);
    for (let b = 0; b < n; b++) out[b] = (this.#hi[b]! & 0x1fffff) * 0x1_0000_0000 + (this.#lo[b]! >>> 0);
    return out;
  }
}

export function readBurstPrefixCacheConfig(name: string, raw: unknown): BurstPrefixCacheConfig {
  const p = readParams(name, raw, PARAMS);
  const d = DEFAULT_BURST_PREFIX_CACHE_CONFIG;
  const windowDurationMs = intParam(name, p, 'windowDurationMs', d.windowDurationMs, 1, MAX_WINDOW_MS);
  const maxPerReplica = intParam(name, p, 'maxPerReplica', d.maxPerReplica, -1);
  if (maxPerReplica === 0) throw new PluginConfigError(name, 'maxPerReplica', 'must be -1 (unlimited) or >= 1');
  const blockSizeTokens = intParam(name, p, 'blockSizeTokens', d.blockSizeTokens, 1, 1 << 16);
  const maxPrefixTokensToMatch = intParam(name, p, 'maxPrefixTokensToMatch', d.maxPrefixTokensToMatch, 0);
  if (maxPrefixTokensToMatch > 0 && maxPrefixTokensToMatch < blockSizeTokens) {
    throw new PluginConfigError(name, 'maxPrefixTokensToMatch', `must be 0 or >= blockSizeTokens (${blockSizeTokens}); a smaller value yields no prefix blocks`);
  }
  const minColocateBlocks = intParam(name, p, 'minColocateBlocks', d.minColocateBlocks, 0);
  const maxBatchSize = intParam(name, p, 'maxBatchSize', d.maxBatchSize, -1);
  if (maxBatchSize === 0) throw new PluginConfigError(name, 'maxBatchSize', 'must be -1 (unlimited) or >= 1');
  const balanceBy = stringParam(name, p, 'balanceBy', '') || d.balanceBy;
  if (balanceBy !== 'requests' && balanceBy !== 'tokens') throw new PluginConfigError(name, 'balanceBy', `must be "requests" or "tokens", not "${balanceBy}"`);
  return { windowDurationMs, maxPerReplica, blockSizeTokens, maxPrefixTokensToMatch, minColocateBlocks, maxBatchSize, balanceBy };
}

export function createBurstPrefixCacheProducer(name: string, params: unknown, _handle: PluginHandle): BurstPrefixCacheProducer {
  return new BurstPrefixCacheProducer(name, readBurstPrefixCacheConfig(name, params));
}
