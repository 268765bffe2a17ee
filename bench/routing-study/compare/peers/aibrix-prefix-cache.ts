/**
 * AIBrix gateway `prefix-cache` strategy (vllm-project/aibrix@e3e10f9e pkg/plugins/gateway/algorithms/
 * prefix_cache.go, pkg/utils/prefixcacheindexer/hash.go; shared reference upstream-2026.md §3.3), defaults:
 *
 *   cnt_p = running requests the gateway counts per pod
 *   if max cnt − min cnt > 8: candidates = the pods with the min count      (IMBALANCE_ABS_COUNT 8)
 *   blocks of 4 tokens (the 'character' tokenizer: 4 characters a token here), chained hashes
 *   walk the blocks keeping pods that hold every block so far; match%(p) = share of blocks p holds
 *   matched: shuffle, sort by match% desc then cnt asc, first p with cnt_p ≤ mean(cnt) + stddev(cnt)
 *   else (or none qualifies): least-request
 *   after routing: the chosen pod holds every block; a global LRU of 200,000 blocks, idle 20 min evicted
 */
import { chainHash, type PeerRequest, type PeerRouter } from './peer.ts';

const BLOCK_CHARS = 4 * 4;
const IMBALANCE = 8;
const CAPACITY = 200_000;
const IDLE_MS = 20 * 60_000;

export class AibrixPrefixCache implements PeerRouter {
  readonly #random: () => number;
  /** block hash -> pod -> last used (ms); Map order = LRU order of blocks. */
  readonly #index = new Map<number, Map<number, number>>();
  #running = new Float64Array(0);

  constructor(random: () => number) {
    this.#random = random;
  }

  pick(req: PeerRequest, n: number, t: number): number {
    if (this.#running.length < n) this.#running = Float64Array.from({ length: n }, (_, i) => this.#running[i] ?? 0);
    const cnt = this.#running;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const c = cnt[i] as number;
      if (c < min) min = c;
      if (c > max) max = c;
      sum += c;
    }
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += ((cnt[i] as number) - mean) ** 2;
    const limit = mean + Math.sqrt(sq / n);
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) if (max - min <= IMBALANCE || cnt[i] === min) candidates.push(i);

    const text = req.text;
    const hashes: number[] = [];
    let h = 0;
    for (let c = 0; c + BLOCK_CHARS <= text.length; c += BLOCK_CHARS) hashes.push((h = chainHash(h, text, c, c + BLOCK_CHARS)));
    // Pods holding every block so far, and how many blocks each held when it dropped out.
    const held = new Map<number, number>();
    let alive = candidates.filter((p) => this.#holds(hashes[0], p, t));
    for (const p of alive) held.set(p, 1);
    for (let b = 1; b < hashes.length && alive.length > 0; b++) {
      alive = alive.filter((p) => this.#holds(hashes[b], p, t));
      for (const p of alive) held.set(p, b + 1);
    }
    let chosen = -1;
    if (held.size > 0) {
      const pods = [...held.keys()];
      for (let i = pods.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [pods[i], pods[j]] = [pods[j] as number, pods[i] as number];
      }
      pods.sort((a, b) => (held.get(b) as number) - (held.get(a) as number) || (cnt[a] as number) - (cnt[b] as number));
      chosen = pods.find((p) => (cnt[p] as number) <= limit) ?? -1;
    }
    if (chosen < 0) chosen = this.#leastRequest(candidates);
    for (const x of hashes) {
      let m = this.#index.get(x);
      if (m) this.#index.delete(x);
      else m = new Map();
      m.set(chosen, t);
      this.#index.set(x, m);
    }
    this.#evict(t);
    cnt[chosen] = (cnt[chosen] as number) + 1;
    return chosen;
  }

  firstToken(): void {}

  finish(i: number, _req?: PeerRequest): void {
    this.#running[i] = Math.max(0, (this.#running[i] as number) - 1);
  }

  #holds(hash: number | undefined, pod: number, t: number): boolean {
    if (hash === undefined) return false;
    const at = this.#index.get(hash)?.get(pod);
    return at !== undefined && t - at <= IDLE_MS;
  }

  #leastRequest(pods: number[]): number {
    let best = Infinity;
    let ties: number[] = [];
    for (const p of pods) {
      const c = this.#running[p] as number;
      if (c < best) {
        best = c;
        ties = [p];
      } else if (c === best) ties.push(p);
    }
    return ties[Math.floor(this.#random() * ties.length)] as number;
  }

  #evict(t: number): void {
    // One live iterator from the LRU head for both passes: a fresh keys().next() per deletion rescans every
    // deleted slot V8 keeps until its next rehash, which made long prompts (20,000 blocks each) quadratic.
    const it = this.#index.entries();
    let next = it.next();
    while (this.#index.size > CAPACITY && !next.done) {
      this.#index.delete(next.value[0]);
      next = it.next();
    }
    // Idle entries: the LRU head is the least recently used block.
    for (; !next.done; next = it.next()) {
      const [x, m] = next.value;
      let newest = -Infinity;
      for (const at of m.values()) if (at > newest) newest = at;
      if (t - newest <= IDLE_MS) break;
      this.#index.delete(x);
    }
  }
}
