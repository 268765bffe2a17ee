/**
 * A step-based model of one vLLM V1 engine in virtual time (ms). No timers, no I/O: the caller feeds
 * requests with add(), asks nextEventTime(), and moves the clock with advance(). The HTTP server maps this
 * to wall time; the fast simulation drives many engines from one discrete-event loop.
 *
 * Each step (one forward pass) the scheduler, as vLLM's V1 `Scheduler.schedule`:
 * 1. walks RUNNING requests in admission order, giving each its remaining tokens (1 when decoding, up to the
 *    token budget when prefilling) and the KV blocks they need; when blocks run out it preempts the newest
 *    running request (frees its blocks, puts it back at the head of WAITING for full recompute);
 * 2. unless something was preempted, admits WAITING requests in FCFS order while the batch has fewer than
 *    maxNumSeqs requests, budget is left and KV blocks are free; a prompt's leading blocks found in the
 *    prefix cache are reused and not computed; a LoRA request whose adapter would exceed maxLoras distinct
 *    adapters in the batch is skipped (and keeps its place).
 * The step lasts stepTime() (see profile.ts). At its end every request that has computed all its tokens
 * samples one output token; a request that reached its output length finishes and frees its blocks.
 */
import type { EngineConfig } from './profile.ts';
import { Deque } from './deque.ts';
import { EngineStats } from './engine-stats.ts';
import { KvCache, type KvCacheEventSink } from './kv-cache.ts';

export const PENDING = 0;
export const WAITING = 1;
export const RUNNING = 2;
export const FINISHED = 3;

export type FinishReason = 'stop' | 'length' | 'abort';

export class SimRequest {
  readonly id: string;
  readonly promptTokens: number;
  /** Output tokens this request will produce (its max_tokens, or its natural length without ignore_eos). */
  readonly outputTokens: number;
  /** Reason reported when outputTokens is reached. */
  readonly stopReason: FinishReason;
  /** Chained hashes of the prompt's full blocks (tokens.ts blockHashes). */
  readonly hashes: readonly number[];
  /** LoRA adapter name; '' = base model. */
  readonly lora: string;
  /**
   * Prompt tokens whose KV arrives from a prefill server (P/D disaggregation, vLLM's do_remote_prefill): at
   * admission they count as computed, as vLLM's NIXL connector loads all but the last prompt token.
   */
  remoteTokens = 0;
  /** The prompt's token ids when KV events are published (their BlockStored token_ids); else null. */
  tokens: ArrayLike<number> | null = null;
  /** Virtual ms the engine received it, and when it reaches the scheduler (after API overhead). */
  arrivedAt = 0;
  readyAt = 0;
  state = PENDING;
  numComputed = 0;
  numOutput = 0;
  /** Prompt blocks whose hash is registered in the cache. */
  registered = 0;
  readonly blocks: number[] = [];
  /** Prompt tokens served from the prefix cache at first scheduling (-1 until scheduled). */
  cachedTokens = -1;
  firstScheduledAt = -1;
  firstTokenAt = -1;
  lastTokenAt = -1;
  preemptions = 0;
  finishReason: FinishReason | '' = '';
  /** Caller's handle (HTTP response, fast-sim record). */
  tag: unknown = undefined;

  constructor(id: string, promptTokens: number, outputTokens: number, hashes: readonly number[], lora = '', stopReason: FinishReason = 'length') {
    this.id = id;
    this.promptTokens = promptTokens;
    this.outputTokens = Math.max(1, outputTokens);
    this.hashes = hashes;
    this.lora = lora;
    this.stopReason = stopReason;
  }
}

export interface EngineListener {
  /** A new output token; `req.numOutput` is its 1-based index. */
  onToken(req: SimRequest, t: number): void;
  /** The request left the engine (finished or aborted); its blocks are already freed. */
  onFinish(req: SimRequest, t: number): void;
}

export type AddResult = 'ok' | 'too-long' | 'queue-full';

/** Bound on events handled by one advance() call; reaching it means a scheduling bug, not load. */
const MAX_EVENTS_PER_ADVANCE = 50_000_000;

export class Engine {
  readonly config: EngineConfig;
  kv: KvCache;
  readonly stats = new EngineStats();
  /** Server-side latency histograms cost a scan per token; the fast simulation turns them off. */
  histograms = true;
  /** Virtual time of the last advance(). */
  now = 0;
  /** Steps run and total busy time, for utilisation. */
  steps = 0;
  busyMs = 0;

  readonly #listener: EngineListener;
  readonly #pending: SimRequest[] = [];
  readonly #waiting = new Deque<SimRequest>();
  #running: SimRequest[] = [];
  #stepEnd = Infinity;
  readonly #sched: SimRequest[] = [];
  readonly #schedTokens: number[] = [];
  #schedCount = 0;
  readonly #skipped: SimRequest[] = [];
  /** Adapter -> running requests using it. */
  readonly #loraRunning = new Map<string, number>();
  /** Adapters resident in GPU slots, least recently used first. */
  readonly #loraSlots: string[] = [];

  constructor(config: EngineConfig, listener: EngineListener) {
    this.config = config;
    this.kv = new KvCache(config.numGpuBlocks, config.blockSize);
    this.#listener = listener;
  }

  // ------------------------------------------------------------------ gauges

  get numWaiting(): number {
    return this.#waiting.length + this.#pending.length;
  }
  get numRunning(): number {
    return this.#running.length;
  }
  kvUsage(): number {
    return this.kv.usage();
  }
  /** Adapters of running requests, in first-seen order. */
  runningAdapters(): string[] {
    return [...this.#loraRunning.keys()];
  }
  /** Adapters resident in GPU slots, least recently used first. */
  gpuAdapters(): readonly string[] {
    return this.#loraSlots;
  }
  /** An adapter was unloaded from the server: its GPU slot is freed unless requests still use it. */
  evictAdapter(lora: string): void {
    const at = this.#loraSlots.indexOf(lora);
    if (at >= 0 && !this.#loraRunning.has(lora)) this.#loraSlots.splice(at, 1);
  }
  /** Adapters of waiting requests (distinct, queue order). */
  waitingAdapters(): string[] {
    const seen = new Set<string>();
    for (const r of this.#pending) if (r.lora) seen.add(r.lora);
    for (let i = 0; i < this.#waiting.length; i++) {
      const l = this.#waiting.at(i).lora;
      if (l) seen.add(l);
    }
    return [...seen];
  }

  // ------------------------------------------------------------------ requests

  /** Accepts a request at virtual time `t` (>= now). */
  add(req: SimRequest, t: number): AddResult {
    const total = req.promptTokens + req.outputTokens;
    if (total > this.config.maxModelLen || this.kv.blocksFor(total) > this.kv.numBlocks) return 'too-long';
    if (this.config.maxWaiting > 0 && this.numWaiting >= this.config.maxWaiting) return 'queue-full';
    req.arrivedAt = t;
    req.readyAt = t + this.config.queueBaseMs + this.config.queueTokenMs * req.promptTokens;
    req.state = PENDING;
    let i = this.#pending.length;
    while (i > 0 && (this.#pending[i - 1] as SimRequest).readyAt > req.readyAt) i--;
    this.#pending.splice(i, 0, req);
    return 'ok';
  }

  /** Client went away: drop the request wherever it is and free its blocks. */
  abort(req: SimRequest, t: number): void {
    if (req.state === FINISHED) return;
    if (req.state === PENDING) {
      const i = this.#pending.indexOf(req);
      if (i >= 0) this.#pending.splice(i, 1);
    } else if (req.state === WAITING) {
      this.#waiting.remove(req);
    } else {
      const i = this.#running.indexOf(req);
      if (i >= 0) this.#running.splice(i, 1);
      this.#loraRelease(req.lora);
    }
    this.kv.release(req.blocks);
    this.#finish(req, t, 'abort');
  }

  /** Time of the next thing that happens (arrival at the scheduler or step end); Infinity when idle. */
  nextEventTime(): number {
    const arrival = this.#pending.length > 0 ? (this.#pending[0] as SimRequest).readyAt : Infinity;
    return arrival < this.#stepEnd ? arrival : this.#stepEnd;
  }

  /** Processes every event at or before `to`, in time order (arrivals before a step ending at the same time). */
  advance(to: number): void {
    for (let n = 0; n < MAX_EVENTS_PER_ADVANCE; n++) {
      const arrival = this.#pending.length > 0 ? (this.#pending[0] as SimRequest).readyAt : Infinity;
      if (arrival <= this.#stepEnd) {
        if (arrival > to) break;
        const req = this.#pending.shift() as SimRequest;
        req.state = WAITING;
        this.#waiting.pushBack(req);
        // Idle engine: an empty step ending now makes the scheduler run after every arrival at this instant.
        if (this.#stepEnd === Infinity) {
          this.#stepEnd = arrival;
          this.#schedCount = 0;
        }
      } else {
        if (this.#stepEnd > to) break;
        const t = this.#stepEnd;
        this.#endStep(t);
        this.#startStep(t);
      }
    }
    if (to > this.now) this.now = to;
  }

  // ------------------------------------------------------------------ scheduling

  #startStep(t: number): void {
    const cfg = this.config;
    const kv = this.kv;
    let budget = cfg.maxNumBatchedTokens;
    let count = 0;
    let prefillTokens = 0;
    let decodeRequests = 0;
    let contextTokens = 0;
    let loraLoads = 0;
    let preempted = false;
    const running = this.#running;

    // 1. Running requests, oldest first; preempt from the newest end when KV runs out.
    for (let i = 0; i < running.length && budget > 0; i++) {
      const r = running[i] as SimRequest;
      const remaining = r.promptTokens + r.numOutput - r.numComputed;
      const numNew = remaining < budget ? remaining : budget;
      let need = kv.blocksFor(r.numComputed + numNew) - r.blocks.length;
      let self = false;
      while (need > kv.freeBlocks) {
        const victim = running.pop() as SimRequest;
        this.#preempt(victim);
        preempted = true;
        if (victim === r) {
          self = true;
          break;
        }
      }
      if (self) break;
      if (need > 0) kv.allocate(need, r.blocks);
      need = 0;
      this.#sched[count] = r;
      this.#schedTokens[count] = numNew;
      count++;
      budget -= numNew;
      if (remaining > 1) prefillTokens += numNew;
      else {
        decodeRequests++;
        contextTokens += r.numComputed;
      }
    }

    // 2. Waiting requests, FCFS, only when nothing was preempted this step (as vLLM).
    if (!preempted) {
      const waiting = this.#waiting;
      while (waiting.length > 0 && budget > 0 && running.length < cfg.maxNumSeqs) {
        const r = waiting.peekFront() as SimRequest;
        if (r.lora && cfg.maxLoras > 0 && !this.#loraRunning.has(r.lora) && this.#loraRunning.size >= cfg.maxLoras) {
          this.#skipped.push(waiting.popFront() as SimRequest);
          continue;
        }
        const total = r.promptTokens + r.numOutput;
        // Reuse cached leading blocks, leaving at least one token to compute (vLLM recomputes the last one).
        const hitBlocks = kv.match(r.hashes, Math.floor((total - 1) / cfg.blockSize));
        const hitTokens = hitBlocks * cfg.blockSize;
        // Transferred KV needs blocks but no compute; the local prefix cache covers the rest.
        const startTokens = r.remoteTokens > hitTokens ? r.remoteTokens : hitTokens;
        const remaining = total - startTokens;
        const numNew = remaining < budget ? remaining : budget;
        const need = kv.blocksFor(startTokens + numNew) - hitBlocks;
        if (need > kv.freeBlocks - kv.lastMatchFree) break;
        waiting.popFront();
        kv.acquireCached(r.hashes, hitBlocks, r.blocks);
        kv.allocate(need, r.blocks);
        r.numComputed = startTokens;
        r.registered = hitBlocks;
        if (r.cachedTokens < 0) {
          r.cachedTokens = hitTokens;
          r.firstScheduledAt = t;
          this.stats.prefixQueries += r.promptTokens;
          this.stats.prefixHits += hitTokens;
          if (this.histograms) this.stats.queueTime.observe((t - r.arrivedAt) / 1000);
        }
        if (r.lora && cfg.maxLoras > 0) loraLoads += this.#loraAcquire(r.lora);
        r.state = RUNNING;
        running.push(r);
        this.#sched[count] = r;
        this.#schedTokens[count] = numNew;
        count++;
        budget -= numNew;
        if (remaining > 1) prefillTokens += numNew;
        else {
          decodeRequests++;
          contextTokens += r.numComputed;
        }
      }
      for (let i = this.#skipped.length - 1; i >= 0; i--) waiting.pushFront(this.#skipped[i] as SimRequest);
      this.#skipped.length = 0;
    }

    this.#schedCount = count;
    if (count === 0) {
      this.#stepEnd = Infinity;
      return;
    }
    // Weight-bound (β0 + β1·P + β2·D) or compute-bound (GEMM time per batched token), whichever is longer,
    // then KV reads and adapter loads; adapter requests in the batch slow the whole step (LoRA kernels).
    const linear = cfg.stepBaseMs + cfg.prefillTokenMs * prefillTokens + cfg.decodeRequestMs * decodeRequests;
    const gemm = (cfg.computeTokenMs ?? 0) * (prefillTokens + decodeRequests);
    let ms = Math.max(linear, gemm) + cfg.contextTokenMs * contextTokens + cfg.loraLoadMs * loraLoads;
    const loraFactor = cfg.loraStepFactor ?? 1;
    if (loraFactor !== 1) {
      for (let k = 0; k < count; k++) {
        if ((this.#sched[k] as SimRequest).lora) {
          ms *= loraFactor;
          break;
        }
      }
    }
    this.stats.promptTokens += prefillTokens;
    this.steps++;
    this.busyMs += ms;
    this.#stepEnd = t + ms;
  }

  /** Registers r's newly full blocks and reports each run of newly cached ones as one BlockStored. */
  #registerAndPublish(r: SimRequest, full: number): void {
    const bs = this.config.blockSize;
    const events = this.kv.events as KvCacheEventSink;
    const tokens = r.tokens as ArrayLike<number>;
    let runStart = -1;
    for (let j = r.registered; j <= full; j++) {
      const fresh = j < full && this.kv.register(r.blocks[j] as number, r.hashes[j] as number);
      if (fresh && runStart < 0) runStart = j;
      if (!fresh && runStart >= 0) {
        const hashes = r.hashes.slice(runStart, j);
        const parent = runStart > 0 ? (r.hashes[runStart - 1] as number) : null;
        events.stored(hashes, parent, Array.prototype.slice.call(tokens, runStart * bs, j * bs) as number[], bs, r.lora);
        runStart = -1;
      }
    }
  }

  /** Drops every cached block (vLLM reset_prefix_cache, or a restarted engine); false while requests hold blocks. */
  resetCache(): boolean {
    if (this.numRunning > 0 || this.numWaiting > 0) return false;
    const events = this.kv.events;
    this.kv = new KvCache(this.config.numGpuBlocks, this.config.blockSize);
    this.kv.events = events;
    return true;
  }

  #endStep(t: number): void {
    const cfg = this.config;
    const bs = cfg.blockSize;
    let finished = 0;
    for (let k = 0; k < this.#schedCount; k++) {
      const r = this.#sched[k] as SimRequest;
      this.#sched[k] = undefined as unknown as SimRequest;
      if (r.state !== RUNNING) continue; // aborted or preempted during this step's scheduling
      r.numComputed += this.#schedTokens[k] as number;
      const full = Math.min(Math.floor(r.numComputed / bs), r.hashes.length);
      if (this.kv.events !== null && r.tokens !== null) this.#registerAndPublish(r, full);
      else for (let j = r.registered; j < full; j++) this.kv.register(r.blocks[j] as number, r.hashes[j] as number);
      if (full > r.registered) r.registered = full;
      if (r.numComputed < r.promptTokens + r.numOutput) continue; // prefill chunk, no token yet
      r.numOutput++;
      this.stats.generationTokens++;
      if (r.firstTokenAt < 0) {
        r.firstTokenAt = t;
        if (this.histograms) this.stats.ttft.observe((t - r.arrivedAt) / 1000);
      } else if (this.histograms) this.stats.itl.observe((t - r.lastTokenAt) / 1000);
      r.lastTokenAt = t;
      // Output processing (detokenise, stream) after the step, off the engine clock: token k leaves k·α2 later.
      this.#listener.onToken(r, t + (cfg.outputTokenMs ?? 0) * r.numOutput);
      if (r.numOutput >= r.outputTokens) {
        this.kv.release(r.blocks);
        this.#loraRelease(r.lora);
        this.#finish(r, t, r.stopReason);
        finished++;
      }
    }
    if (finished > 0) this.#running = this.#running.filter(isRunning);
  }

  #preempt(r: SimRequest): void {
    this.kv.release(r.blocks);
    this.#loraRelease(r.lora);
    r.numComputed = 0;
    r.registered = 0;
    r.remoteTokens = 0; // the transferred KV is gone: recompute locally, as vLLM does
    r.preemptions++;
    r.state = WAITING;
    this.stats.preemptions++;
    this.#waiting.pushFront(r);
  }

  #finish(r: SimRequest, t: number, reason: FinishReason): void {
    r.state = FINISHED;
    r.finishReason = reason;
    if (reason === 'abort') this.stats.finishedAbort++;
    else {
      if (reason === 'stop') this.stats.finishedStop++;
      else this.stats.finishedLength++;
      if (this.histograms) {
        const e2e = (t - r.arrivedAt) / 1000;
        this.stats.e2e.observe(e2e);
        if (r.numOutput > 1) this.stats.tpot.observe((t - r.firstTokenAt) / 1000 / (r.numOutput - 1));
      }
    }
    this.#listener.onFinish(r, reason === 'abort' ? t : t + (this.config.outputTokenMs ?? 0) * r.numOutput);
  }

  /** Takes a batch slot for `lora`; returns 1 when the adapter had to be loaded into a GPU slot. */
  #loraAcquire(lora: string): number {
    this.#loraRunning.set(lora, (this.#loraRunning.get(lora) ?? 0) + 1);
    const slots = this.#loraSlots;
    const at = slots.indexOf(lora);
    if (at >= 0) {
      slots.splice(at, 1);
      slots.push(lora);
      return 0;
    }
    if (slots.length >= this.config.maxLoras) {
      const victim = slots.findIndex((s) => !this.#loraRunning.has(s));
      slots.splice(victim >= 0 ? victim : 0, 1);
    }
    slots.push(lora);
    return 1;
  }

  #loraRelease(lora: string): void {
    if (!lora) return;
    const n = this.#loraRunning.get(lora);
    if (n === undefined) return;
    if (n <= 1) this.#loraRunning.delete(lora);
    else this.#loraRunning.set(lora, n - 1);
  }
}

function isRunning(r: SimRequest): boolean {
  return r.state === RUNNING;
}
