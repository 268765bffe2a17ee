/**
 * SGLang router `cache_aware` (sgl-project/sglang sgl-router/src/policies/cache_aware.rs; SMG; shared reference
 * upstream-2026.md §3.1), CLI defaults: cache_threshold 0.3, balance_abs_threshold 64, balance_rel_threshold 1.5.
 *
 *   imbalanced (max load − min load > 64 and max > 1.5 · min): least-loaded worker
 *   else: rate = matched chars / len(text); the worker holding the deepest match if rate > 0.3, else the worker
 *         whose tree holds the fewest chars; insert the text under the chosen worker.
 * Simplification: the radix tree over characters is a hash chain over 16-character chunks (matches are
 * counted in whole chunks); eviction (max_tree_size 2^26 chars per worker, every 120 s) never triggers in a
 * bench stage, so it is not modelled.
 */
import { chainHash, type PeerRequest, type PeerRouter } from './peer.ts';

const CHUNK = 16;

export class SglangCacheAware implements PeerRouter {
  readonly #random: () => number;
  readonly #tree = new Map<number, Set<number>>();
  #load = new Int32Array(0);
  #chars = new Float64Array(0);
  readonly cacheThreshold: number;
  readonly balanceAbs: number;
  readonly balanceRel: number;
  constructor(random: () => number, cacheThreshold = 0.3, balanceAbs = 64, balanceRel = 1.5) {
    this.#random = random;
    this.cacheThreshold = cacheThreshold;
    this.balanceAbs = balanceAbs;
    this.balanceRel = balanceRel;
  }
  pick(req: PeerRequest, n: number): number {
    if (this.#load.length < n) {
      this.#load = new Int32Array(n);
      this.#chars = new Float64Array(n);
    }
    let maxL = -Infinity;
    let minL = Infinity;
    for (let i = 0; i < n; i++) {
      maxL = Math.max(maxL, this.#load[i] as number);
      minL = Math.min(minL, this.#load[i] as number);
    }
    const text = req.text;
    const hashes: number[] = [];
    let h = 0;
    for (let c = 0; c + CHUNK <= text.length; c += CHUNK) hashes.push((h = chainHash(h, text, c, c + CHUNK)));
    let w: number;
    if (maxL - minL > this.balanceAbs && maxL > this.balanceRel * minL) w = this.#argmin(this.#load, n);
    else {
      let depth = 0;
      let holders: Set<number> | undefined;
      for (const x of hashes) {
        const s = this.#tree.get(x);
        if (!s || s.size === 0) break;
        holders = s;
        depth++;
      }
      const rate = text.length > 0 ? (depth * CHUNK) / text.length : 0;
      if (rate > this.cacheThreshold && holders) {
        // The first tenant at the deepest node (insertion order), as the tree returns it.
        w = holders.values().next().value as number;
      } else w = this.#argmin(this.#chars, n);
    }
    for (const x of hashes) {
      let s = this.#tree.get(x);
      if (!s) this.#tree.set(x, (s = new Set()));
      if (!s.has(w)) {
        s.add(w);
        this.#chars[w] = (this.#chars[w] as number) + CHUNK;
      }
    }
    this.#load[w] = (this.#load[w] as number) + 1;
    return w;
  }
  #argmin(a: Int32Array | Float64Array, n: number): number {
    let best = Infinity;
    let ties: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = a[i] as number;
      if (v < best) {
        best = v;
        ties = [i];
      } else if (v === best) ties.push(i);
    }
    return ties[Math.floor(this.#random() * ties.length)] as number;
  }
  firstToken(): void {}
  finish(i: number): void {
    this.#load[i] = (this.#load[i] as number) - 1;
  }
}
