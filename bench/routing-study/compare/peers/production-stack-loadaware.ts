/**
 * vLLM production-stack router `loadaware` (vllm-project/production-stack PR #1035, 2026-08-09; shared reference
 * upstream-2026.md §3.4): the prefix-aware trie of 128-character chunks, scored together with load,
 *
 *   score_i = matched_tokens_i / prompt_tokens − β · (load_i − mean(load)) / max(1, mean(load)),  β = 1.0
 *   pick argmax (ties at random); then the prompt is inserted under the chosen endpoint (no eviction)
 *
 * load_i = requests the router sent to i that have not finished (its own request stats).
 */
import { chunkHashes } from './production-stack.ts';
import type { PeerRequest, PeerRouter } from './peer.ts';

const BETA = 1.0;
const CHARS_PER_TOKEN = 4;
const CHUNK = 128;

export class ProductionStackLoadAware implements PeerRouter {
  readonly #random: () => number;
  readonly #trie = new Map<number, Set<number>>();
  #load = new Float64Array(0);

  constructor(random: () => number) {
    this.#random = random;
  }

  pick(req: PeerRequest, n: number, _t: number): number {
    if (this.#load.length < n) this.#load = Float64Array.from({ length: n }, (_, i) => this.#load[i] ?? 0);
    const hashes = chunkHashes(req.text);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += this.#load[i] as number;
    mean /= n;
    const promptTokens = Math.max(1, req.tokens);
    let best = -Infinity;
    let ties: number[] = [];
    for (let i = 0; i < n; i++) {
      let chunks = 0;
      while (chunks < hashes.length && this.#trie.get(hashes[chunks] as number)?.has(i)) chunks++;
      const matchedTokens = Math.min(req.text.length, chunks * CHUNK) / CHARS_PER_TOKEN;
      const score = matchedTokens / promptTokens - (BETA * ((this.#load[i] as number) - mean)) / Math.max(1, mean);
      if (score > best + 1e-12) {
        best = score;
        ties = [i];
      } else if (Math.abs(score - best) <= 1e-12) ties.push(i);
    }
    const w = ties[Math.floor(this.#random() * ties.length)] as number;
    for (const x of hashes) {
      let s = this.#trie.get(x);
      if (!s) this.#trie.set(x, (s = new Set()));
      s.add(w);
    }
    this.#load[w] = (this.#load[w] as number) + 1;
    return w;
  }

  firstToken(): void {}

  finish(i: number, _req?: PeerRequest): void {
    this.#load[i] = Math.max(0, (this.#load[i] as number) - 1);
  }
}
