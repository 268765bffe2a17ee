/**
 * NVIDIA Dynamo KV router, approximate mode (`--no-router-kv-events`: the index is built from the router's own
 * decisions, TTL 120 s), defaults: device overlap credit 1.0, prefill_load_scale 1, temperature 0
 * (ai-dynamo/dynamo docs/components/router/router-concepts.md; shared reference upstream-2026.md §3.2):
 *
 *   prefill_blocks_w = (active_prefill_tokens_w + ISL) / B           (active = routed, no first token yet)
 *   adjusted_w = max(prefill_blocks_w − overlap_blocks_w, 0)
 *   decode_w   = active_kv_blocks_w + this request's blocks, blocks shared by w's active requests counted once
 *                (the default 'assume KV reuse')
 *   cost_w     = adjusted_w + decode_w;  argmin, ties → smaller index size, then random
 */
import { chainHash, type KvOracle, type PeerRequest, type PeerRouter } from './peer.ts';

const B = 16;
const CHARS = B * 4;
const TTL_MS = 120_000;

export class DynamoKv implements PeerRouter {
  readonly #random: () => number;
  /** block hash -> worker -> last routed at (ms). */
  readonly #index = new Map<number, Map<number, number>>();
  #prefill = new Float64Array(0);
  #blocks = new Float64Array(0);
  /** Per worker: active block hash -> active requests holding it (the prompt's full blocks). */
  #active: Map<number, number>[] = [];
  readonly #hashesOf = new WeakMap<PeerRequest, number[]>();
  #size = new Float64Array(0);
  readonly #kv: KvOracle | null;
  /**
   * `kv`: exact mode (the default, with `--router-kv-events`): overlaps come from the engines' KV state instead
   * of the router's own decisions.
   */
  constructor(random: () => number, kv: KvOracle | null = null) {
    this.#random = random;
    this.#kv = kv;
  }
  pick(req: PeerRequest, n: number, t: number): number {
    if (this.#prefill.length < n) {
      this.#prefill = new Float64Array(n);
      this.#blocks = new Float64Array(n);
      this.#size = new Float64Array(n);
      this.#active = Array.from({ length: n }, () => new Map());
    }
    const text = req.text;
    const hashes: number[] = [];
    let h = 0;
    for (let c = 0; c + CHARS <= text.length; c += CHARS) hashes.push((h = chainHash(h, text, c, c + CHARS)));
    const overlap = new Float64Array(n);
    const alive = new Uint8Array(n).fill(this.#kv === null ? 1 : 0);
    if (this.#kv !== null && req.blockHashes) for (let w = 0; w < n; w++) overlap[w] = this.#kv.resident(w, req.blockHashes);
    for (const x of this.#kv === null ? hashes : []) {
      const m = this.#index.get(x);
      let any = false;
      for (let w = 0; w < n; w++) {
        if (!alive[w]) continue;
        const at = m?.get(w);
        if (at !== undefined && t - at <= TTL_MS) {
          overlap[w] = (overlap[w] as number) + 1;
          any = true;
        } else alive[w] = 0;
      }
      if (!any) break;
    }
    const reqBlocks = Math.ceil(req.tokens / B);
    let best = Infinity;
    let ties: number[] = [];
    for (let w = 0; w < n; w++) {
      const adjusted = Math.max(((this.#prefill[w] as number) + req.tokens) / B - (overlap[w] as number), 0);
      const act = this.#active[w] as Map<number, number>;
      let shared = 0;
      for (const x of hashes) if (act.has(x)) shared++;
      const cost = adjusted + (this.#blocks[w] as number) + reqBlocks - shared;
      if (cost < best - 1e-9) {
        best = cost;
        ties = [w];
      } else if (Math.abs(cost - best) <= 1e-9) ties.push(w);
    }
    if (ties.length > 1) {
      const smallest = Math.min(...ties.map((w) => this.#size[w] as number));
      ties = ties.filter((w) => this.#size[w] === smallest);
    }
    const w = ties[Math.floor(this.#random() * ties.length)] as number;
    for (const x of hashes) {
      let m = this.#index.get(x);
      if (!m) this.#index.set(x, (m = new Map()));
      if (!m.has(w)) this.#size[w] = (this.#size[w] as number) + 1;
      m.set(w, t);
    }
    this.#prefill[w] = (this.#prefill[w] as number) + req.tokens;
    const act = this.#active[w] as Map<number, number>;
    let added = reqBlocks - hashes.length;
    for (const x of hashes) {
      const c = act.get(x) ?? 0;
      if (c === 0) added++;
      act.set(x, c + 1);
    }
    this.#blocks[w] = (this.#blocks[w] as number) + added;
    this.#hashesOf.set(req, hashes);
    return w;
  }
  firstToken(i: number, req: PeerRequest): void {
    this.#prefill[i] = (this.#prefill[i] as number) - req.tokens;
  }
  finish(i: number, req: PeerRequest): void {
    const hashes = this.#hashesOf.get(req) ?? [];
    const act = this.#active[i] as Map<number, number>;
    let freed = Math.ceil(req.tokens / B) - hashes.length;
    for (const x of hashes) {
      const c = (act.get(x) ?? 1) - 1;
      if (c === 0) {
        act.delete(x);
        freed++;
      } else act.set(x, c);
    }
    this.#blocks[i] = (this.#blocks[i] as number) - freed;
  }
}
