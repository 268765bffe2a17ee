/**
 * vLLM production-stack router `prefixaware` (vllm-project/production-stack routing_logic.py,
 * prefix/hashtrie.py; shared reference upstream-2026.md §3.4): the prompt in 128-character chunks, a trie of
 * chunk hashes with endpoint sets; the longest match's endpoints, one at random; no match (prefix_min_match_length
 * 0) → the endpoint with the lowest request rate over the last 60 s; then the prompt is inserted under the
 * chosen endpoint. No eviction (as upstream).
 */
import { chainHash, type PeerRequest, type PeerRouter } from './peer.ts';

const CHUNK = 128;
const WINDOW_MS = 60_000;

/** The prompt's 128-character chunks, hashed as a chain (the trie's path). */
export function chunkHashes(text: string): number[] {
  const hashes: number[] = [];
  let h = 0;
  for (let c = 0; c < text.length; c += CHUNK) hashes.push((h = chainHash(h, text, c, Math.min(text.length, c + CHUNK))));
  return hashes;
}

export class ProductionStackPrefixAware implements PeerRouter {
  readonly #random: () => number;
  readonly #trie = new Map<number, Set<number>>();
  readonly #sent: number[][] = [];
  constructor(random: () => number) {
    this.#random = random;
  }
  pick(req: PeerRequest, n: number, t: number): number {
    while (this.#sent.length < n) this.#sent.push([]);
    const hashes = chunkHashes(req.text);
    let matched: number[] = [];
    for (const x of hashes) {
      const s = this.#trie.get(x);
      const next = s ? (matched.length === 0 ? [...s].filter((w) => w < n) : matched.filter((w) => s.has(w))) : [];
      if (next.length === 0) break;
      matched = next;
    }
    let w: number;
    if (matched.length > 0) w = matched[Math.floor(this.#random() * matched.length)] as number;
    else {
      let best = Infinity;
      let ties: number[] = [];
      for (let i = 0; i < n; i++) {
        const q = this.#sent[i] as number[];
        while (q.length > 0 && (q[0] as number) < t - WINDOW_MS) q.shift();
        if (q.length < best) {
          best = q.length;
          ties = [i];
        } else if (q.length === best) ties.push(i);
      }
      w = ties[Math.floor(this.#random() * ties.length)] as number;
    }
    for (const x of hashes) {
      let s = this.#trie.get(x);
      if (!s) this.#trie.set(x, (s = new Set()));
      s.add(w);
    }
    (this.#sent[w] as number[]).push(t);
    return w;
  }
  firstToken(): void {}
  finish(): void {}
}
