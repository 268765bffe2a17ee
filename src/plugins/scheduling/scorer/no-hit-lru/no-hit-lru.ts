/**
 * no-hit-lru-scorer (Distribution): spreads cold requests (no candidate holds any of the prompt's prefix
 * blocks) over the endpoints that least recently received one (upstream scheduling/scorer/nohitlru).
 *   warm request: 0.5 for every candidate;
 *   cold request: rank = position among never-cold-served candidates (in candidate order), or, for one that
 *   served cold requests, their count plus its position in the LRU (oldest first);
 *   score = max(0, 1 - rank / (n - 1)); one candidate scores 1.
 * PreRequest moves the primary pick (and the `prefill` profile's pick) to the LRU's newest end after a cold
 * request. The LRU holds at most `lruSize` endpoints.
 */
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  PREFIX_CACHE_MATCH_INFO_KEY,
  requestData,
  type PrefixCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest } from '../../../../framework/requestcontrol.ts';
import { prefillResult, type SchedulingResult, type Scorer } from '../../../../framework/scheduling.ts';
import { intParam, readParams, stringParam } from '../../../../input/plugin-params.ts';
import type { SyncedState, SyncedStateOwner } from '../../../../framework/synced-state.ts';
import { LruSync } from './lru-sync.ts';

export const NO_HIT_LRU_SCORER_TYPE = 'no-hit-lru-scorer';
export const DEFAULT_LRU_SIZE = 1024;

/** Endpoint keys in least-recently-used order, in typed arrays: touch is O(size), a position lookup O(1). */
class KeyLru {
  readonly capacity: number;
  readonly #slotOf = new Map<string, number>();
  readonly #keys: string[] = [];
  /** Slots, oldest first. */
  readonly #order: Int32Array;
  /** Slot -> index in #order. */
  readonly #pos: Int32Array;
  #count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#order = new Int32Array(capacity);
    this.#pos = new Int32Array(capacity);
  }

  get size(): number {
    return this.#count;
  }

  /** Position from the oldest end (0 = least recently used), or -1 when not tracked. */
  positionOf(key: string): number {
    const slot = this.#slotOf.get(key);
    return slot === undefined ? -1 : this.#pos[slot]!;
  }

  /** Keys oldest first (tests, debugging). */
  keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#count; i++) out.push(this.#keys[this.#order[i]!]!);
    return out;
  }

  /** Makes `key` the most recently used, evicting the least recently used when full. */
  touch(key: string): void {
    let slot = this.#slotOf.get(key);
    if (slot !== undefined) {
      this.#removeAt(this.#pos[slot]!);
    } else if (this.#count === this.capacity) {
      slot = this.#order[0]!;
      this.#removeAt(0);
      this.#slotOf.delete(this.#keys[slot]!);
      this.#keys[slot] = key;
      this.#slotOf.set(key, slot);
    } else {
      slot = this.#count;
      this.#keys[slot] = key;
      this.#slotOf.set(key, slot);
    }
    this.#order[this.#count] = slot;
    this.#pos[slot] = this.#count;
    this.#count++;
  }

  #removeAt(p: number): void {
    const order = this.#order;
    order.copyWithin(p, p + 1, this.#count);
    this.#count--;
    for (let i = p; i < this.#count; i++) this.#pos[order[i]!] = i;
  }
}

export class NoHitLruScorer implements Scorer, PreRequest, SyncedStateOwner {
  readonly type = NO_HIT_LRU_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly consumes: DataDependencies;
  readonly lru: KeyLru;
  readonly #prefixKey: string;
  /** The request last scored and whether it was cold: read by preRequest of the same cycle. */
  #scored: LLMRequest | null = null;
  #cold = false;
  /** Set once the replica sync asks for it: cold picks are then shared with the other replicas. */
  #sync: LruSync | null = null;

  constructor(name: string, lruSize: number, producerName: string) {
    this.name = name;
    this.lru = new KeyLru(lruSize);
    this.#prefixKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, producerName);
    this.consumes = { required: [this.#prefixKey] };
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const info = requestData<PrefixCacheMatchInfo>(request, this.#prefixKey);
    let cold = true;
    if (info !== null) {
      for (let i = 0; i < n && cold; i++) if (info.matchBlocks(candidates[i]!) > 0) cold = false;
    }
    this.#scored = request;
    this.#cold = cold;
    if (!cold) {
      for (let i = 0; i < n; i++) out[i] = 0.5;
      return;
    }
    if (n === 1) {
      out[0] = 1;
      return;
    }
    const lru = this.lru;
    let neverUsed = 0;
    for (let i = 0; i < n; i++) if (lru.positionOf(candidates[i]!.key) < 0) out[i] = 1 - neverUsed++ / (n - 1);
    for (let i = 0; i < n; i++) {
      const pos = lru.positionOf(candidates[i]!.key);
      if (pos < 0) continue;
      const s = 1 - (neverUsed + pos) / (n - 1);
      out[i] = s > 0 ? s : 0;
    }
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    if (request !== this.#scored || !this.#cold) return;
    this.#scored = null;
    if (result.primary.count > 0) this.#touch(result.primary.endpoints[0]!.key);
    const prefill = prefillResult(result);
    if (prefill !== null) this.#touch(prefill.endpoints[0]!.key);
  }

  #touch(key: string): void {
    this.lru.touch(key);
    this.#sync?.noteTouch(key);
  }

  /** The LRU order as cross-replica state. */
  syncedState(): SyncedState {
    this.#sync ??= new LruSync(`${this.type}/${this.name}`, (key) => this.lru.touch(key), () => this.lru.keys());
    return this.#sync;
  }
}

const PARAMS = ['prefixPluginType', 'prefixPluginName', 'lruSize', 'prefixMatchInfoProducerName'] as const;

export function createNoHitLruScorer(name: string, params: unknown, _handle: PluginHandle): NoHitLruScorer {
  const p = readParams(name, params, PARAMS);
  stringParam(name, p, 'prefixPluginType', ''); // deprecated upstream: never used
  stringParam(name, p, 'prefixPluginName', '');
  const size = intParam(name, p, 'lruSize', DEFAULT_LRU_SIZE, Number.MIN_SAFE_INTEGER, 1 << 20);
  const producer = stringParam(name, p, 'prefixMatchInfoProducerName', '') || APPROX_PREFIX_CACHE_PRODUCER_TYPE;
  return new NoHitLruScorer(name, size > 0 ? size : DEFAULT_LRU_SIZE, producer);
}
