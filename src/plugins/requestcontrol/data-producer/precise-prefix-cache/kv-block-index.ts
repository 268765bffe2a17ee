/**
 * The precise prefix index, keyed like llm-d-kv-cache's in-memory index: request key (block-keys.ts, computed by
 * the picker from event tokens) -> the pods holding that block and in which tiers, plus per pod an engine key ->
 * request key map, because BlockRemoved carries only the engine's own hashes. Scoring walks a request's keys
 * and counts, per pod, the longest run of consecutive leading blocks, each block weighted by the best tier the
 * pod holds it in (upstream kvblock_scorer: gpu 1.0, cpu 0.8 by default).
 *
 * Memory is bounded by `maxKeys` request keys (least recently stored dropped first) and as many engine keys per
 * pod. A key held by one pod stores a single small integer (pod id << 8 | tier bits), so the common case costs
 * one Map entry and one BigInt per block (measured in bench/README.md).
 */

export interface TierWeight {
  readonly name: string;
  readonly weight: number;
}

export interface KvBlockIndexConfig {
  /** Most request keys held (upstream inMemoryConfig.size). */
  readonly maxKeys: number;
  /** Tier (event `medium`, lower-cased; '' = gpu) weights (upstream kvCacheBackendConfigs). */
  readonly tierWeights: readonly TierWeight[];
}

export const DEFAULT_TIER_WEIGHTS: readonly TierWeight[] = [
  { name: 'gpu', weight: 1.0 },
  { name: 'cpu', weight: 0.8 },
];

export const DEFAULT_KV_BLOCK_INDEX_CONFIG: KvBlockIndexConfig = { maxKeys: 1e8, tierWeights: DEFAULT_TIER_WEIGHTS };

const MAX_TIERS = 8;
const TIER_MASK = (1 << MAX_TIERS) - 1;

/** pod id << 8 | tier bits, or several of them. */
type Holders = number | number[];

export class KvBlockIndex {
  readonly config: KvBlockIndexConfig;
  readonly #keys = new Map<bigint, Holders>();
  readonly #engineKeys: Map<bigint, bigint | bigint[]>[] = [];
  readonly #podIds = new Map<string, number>();
  readonly #podNames: string[] = [];
  readonly #tierBits = new Map<string, number>();
  readonly #tierWeight: number[] = [];
  /** Weight of the best tier in each 8-bit tier mask. */
  readonly #maskWeight = new Float64Array(1 << MAX_TIERS);
  readonly #scratch = new Map<number, number>();

  constructor(config: KvBlockIndexConfig = DEFAULT_KV_BLOCK_INDEX_CONFIG) {
    this.config = config;
    for (const t of config.tierWeights) this.#tier(t.name);
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Records that `pod` stored blocks: engine key i covers the request keys its tokens overlap. */
  add(pod: string, medium: string, engineKeys: readonly bigint[], requestKeys: readonly bigint[]): void {
    if (requestKeys.length === 0) return;
    const id = this.#pod(pod);
    const bit = 1 << this.#tier(medium);
    for (const k of requestKeys) this.#hold(k, id, bit);
    const map = this.#engineMap(id);
    const ne = engineKeys.length;
    const nr = requestKeys.length;
    for (let i = 0; i < ne; i++) {
      // Engine block i spans [i/ne, (i+1)/ne) of the event's tokens; map it to the request keys in that span.
      const first = Math.floor((i * nr) / ne);
      const last = Math.max(first, Math.ceil(((i + 1) * nr) / ne) - 1);
      const ek = engineKeys[i] as bigint;
      map.delete(ek);
      map.set(ek, first === last ? (requestKeys[first] as bigint) : requestKeys.slice(first, last + 1));
    }
    while (map.size > this.config.maxKeys) map.delete(map.keys().next().value as bigint);
    while (this.#keys.size > this.config.maxKeys) this.#keys.delete(this.#keys.keys().next().value as bigint);
  }

  /** The request key an engine key of `pod` maps to (its last, for a 1:many mapping), or null. */
  requestKeyOf(pod: string, engineKey: bigint): bigint | null {
    const id = this.#podIds.get(pod);
    if (id === undefined) return null;
    const v = this.#engineKeys[id]?.get(engineKey);
    if (v === undefined) return null;
    return typeof v === 'bigint' ? v : (v[v.length - 1] as bigint);
  }

  /** Applies a BlockRemoved of `pod` in tier `medium`. Unknown engine keys are ignored. */
  evict(pod: string, medium: string, engineKey: bigint): void {
    const id = this.#podIds.get(pod);
    if (id === undefined) return;
    const map = this.#engineKeys[id] as Map<bigint, bigint | bigint[]>;
    const v = map.get(engineKey);
    if (v === undefined) return;
    const bit = 1 << this.#tier(medium);
    let remaining = 0;
    if (typeof v === 'bigint') remaining = this.#release(v, id, bit);
    else for (const k of v) remaining |= this.#release(k, id, bit);
    if (remaining === 0) map.delete(engineKey);
  }

  /** Drops everything `pod` holds (AllBlocksCleared, engine restart, endpoint gone). */
  clearPod(pod: string): void {
    const id = this.#podIds.get(pod);
    if (id === undefined) return;
    this.#engineKeys[id]?.clear();
    for (const [k, h] of this.#keys) {
      if (typeof h === 'number') {
        if (h >>> MAX_TIERS === id) this.#keys.delete(k);
        continue;
      }
      const kept = h.filter((e) => e >>> MAX_TIERS !== id);
      if (kept.length === h.length) continue;
      if (kept.length === 0) this.#keys.delete(k);
      else this.#keys.set(k, kept.length === 1 ? (kept[0] as number) : kept);
    }
  }

  /**
   * For each pod holding the first block, the tier-weighted length of its consecutive run of `requestKeys`
   * from the start. Pods with no leading block are absent from `out` (cleared first).
   */
  score(requestKeys: readonly bigint[], out: Map<string, number>): void {
    out.clear();
    const run = this.#scratch;
    run.clear();
    for (let i = 0; i < requestKeys.length; i++) {
      const h = this.#keys.get(requestKeys[i] as bigint);
      if (h === undefined) break;
      if (i === 0) {
        if (typeof h === 'number') run.set(h >>> MAX_TIERS, this.#maskWeight[h & TIER_MASK] as number);
        else for (const e of h) run.set(e >>> MAX_TIERS, this.#maskWeight[e & TIER_MASK] as number);
        continue;
      }
      let alive = 0;
      for (const [id, total] of run) {
        if (total < 0) continue;
        const mask = maskOf(h, id);
        if (mask === 0) {
          out.set(this.#podNames[id] as string, total);
          run.set(id, -1);
          continue;
        }
        run.set(id, total + (this.#maskWeight[mask] as number));
        alive++;
      }
      if (alive === 0) break;
    }
    for (const [id, total] of run) if (total >= 0) out.set(this.#podNames[id] as string, total);
  }

  #hold(k: bigint, id: number, bit: number): void {
    const h = this.#keys.get(k);
    this.#keys.delete(k); // re-insert: most recently stored last
    if (h === undefined) {
      this.#keys.set(k, (id << MAX_TIERS) | bit);
      return;
    }
    if (typeof h === 'number') {
      if (h >>> MAX_TIERS === id) this.#keys.set(k, h | bit);
      else this.#keys.set(k, [h, (id << MAX_TIERS) | bit]);
      return;
    }
    const i = h.findIndex((e) => e >>> MAX_TIERS === id);
    if (i >= 0) h[i] = (h[i] as number) | bit;
    else h.push((id << MAX_TIERS) | bit);
    this.#keys.set(k, h);
  }

  /** Clears `bit` of pod `id` on key `k`; returns the pod's tier bits left on it. */
  #release(k: bigint, id: number, bit: number): number {
    const h = this.#keys.get(k);
    if (h === undefined) return 0;
    if (typeof h === 'number') {
      if (h >>> MAX_TIERS !== id) return 0;
      const left = h & TIER_MASK & ~bit;
      if (left === 0) this.#keys.delete(k);
      else this.#keys.set(k, (id << MAX_TIERS) | left);
      return left;
    }
    const i = h.findIndex((e) => e >>> MAX_TIERS === id);
    if (i < 0) return 0;
    const left = (h[i] as number) & TIER_MASK & ~bit;
    if (left !== 0) h[i] = (id << MAX_TIERS) | left;
    else {
      h.splice(i, 1);
      if (h.length === 1) this.#keys.set(k, h[0] as number);
    }
    return left;
  }

  #pod(pod: string): number {
    let id = this.#podIds.get(pod);
    if (id === undefined) {
      id = this.#podNames.length;
      this.#podIds.set(pod, id);
      this.#podNames.push(pod);
      this.#engineKeys.push(new Map());
    }
    return id;
  }

  #engineMap(id: number): Map<bigint, bigint | bigint[]> {
    return this.#engineKeys[id] as Map<bigint, bigint | bigint[]>;
  }

  #tier(medium: string): number {
    const name = medium === '' ? 'gpu' : medium.toLowerCase();
    let bit = this.#tierBits.get(name);
    if (bit !== undefined) return bit;
    if (this.#tierBits.size >= MAX_TIERS) return this.#tierBits.get('gpu') ?? 0;
    bit = this.#tierBits.size;
    this.#tierBits.set(name, bit);
    const configured = this.config.tierWeights.find((t) => t.name === name);
    // A tier the config does not name (e.g. LMCache's) counts as the lowest configured tier.
    this.#tierWeight[bit] = configured?.weight ?? Math.min(...this.config.tierWeights.map((t) => t.weight), 1);
    for (let m = 1; m < 1 << MAX_TIERS; m++) {
      let best = 0;
      for (let b = 0; b < this.#tierWeight.length; b++) if (m & (1 << b)) best = Math.max(best, this.#tierWeight[b] as number);
      this.#maskWeight[m] = best;
    }
    return bit;
  }
}

function maskOf(h: Holders, id: number): number {
  if (typeof h === 'number') return h >>> MAX_TIERS === id ? h & TIER_MASK : 0;
  for (const e of h) if (e >>> MAX_TIERS === id) return e & TIER_MASK;
  return 0;
}
