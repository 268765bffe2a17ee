/**
 * One simulated vLLM server over HTTP: the OpenAI routes, /v1/models, /health and /metrics, backed by an
 * Engine in virtual time. Virtual time runs `timeScale` times slower than the wall clock (virtual ms =
 * wall ms / timeScale), so a fleet of simulated GPUs fits on a small CPU; every latency the server reports
 * (metrics) is virtual, and clients divide what they measure by timeScale.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdapterRegistry, type ApiReply } from './adapters.ts';
import { toSimRequest } from './admit.ts';
import { Engine, type EngineListener, type SimRequest } from './engine.ts';
import { renderMetrics, type MetricsContext } from './metrics-text.ts';
import {
  ApiError,
  DONE_LINE,
  errorBody,
  fullResponse,
  parseRequest,
  tokenChunk,
  tokenText,
  usage,
  usageChunk,
  type ApiKind,
  type ParsedRequest,
} from './openai.ts';
import type { EngineConfig } from './profile.ts';
import type { KvEventPublisher } from './kv-events.ts';
import { promptTokenIds, type Tokenize } from './prompt-tokens.ts';

export interface SimServerOptions {
  config: EngineConfig;
  /** Wall ms per virtual ms (>= 1 slows the model down; 1 = real time). */
  timeScale: number;
  /** LoRA adapters served besides the base model (requests name them in `model`). */
  loraModules?: readonly string[];
  /** Adapters the registry holds at most (runtime loading on when > 0; default: max_loras when --lora-modules is set). */
  maxAdapters?: number;
  /** Virtual ms a /v1/load_lora_adapter (or an on-demand load) takes (default 0). */
  adapterLoadMs?: number;
  /** A request for an unregistered adapter loads it first (vLLM's LoRA resolver); off = 404 as vLLM. */
  loraOnDemand?: boolean;
  /** Reported in x-inference-pod (as llm-d-inference-sim does with POD_NAME). */
  podName?: string;
  /** Called when a request leaves the engine (finished or aborted); for tests and tools. */
  onFinish?: (req: SimRequest) => void;
  /**
   * P/D role, as vLLM's kv_transfer_config.kv_role: kv_producer serves only prefill legs (do_remote_decode),
   * kv_consumer only decode legs and plain requests, kv_both (default) anything.
   */
  kvRole?: KvRole;
  /** How long a decode leg's KV takes to arrive from the prefill server. */
  kvTransfer?: KvTransferCost;
  /** Publishes the cache's KV events (vLLM --kv-events-config); the engine then caches token blocks. */
  kvEvents?: KvEventPublisher;
  /** Tokenizer for KV events and /tokenize (default: upstream's byte-packing estimate). */
  tokenize?: Tokenize;
}

export type KvRole = 'kv_producer' | 'kv_consumer' | 'kv_both';
export const KV_ROLES: readonly KvRole[] = ['kv_producer', 'kv_consumer', 'kv_both'];

export interface KvTransferCost {
  /** K and V of one token over all layers (Llama-3-8B bf16: 2·32·8·128·2 B = 131072). */
  bytesPerToken: number;
  /** Achieved bandwidth, GB/s; 25 = half the line rate of a 400 Gb/s RDMA NIC (NIXL over UCX; assumed). */
  gbps: number;
  /** Fixed cost per transfer (handshake, notification), ms. */
  baseMs: number;
}

export const DEFAULT_KV_TRANSFER: KvTransferCost = { bytesPerToken: 131072, gbps: 25, baseMs: 2 };

/** Per-request HTTP state, kept on SimRequest.tag. */
interface Exchange {
  res: ServerResponse;
  parsed: ParsedRequest;
  id: string;
  created: number;
  text: string[];
  done: boolean;
  /** Writes waiting for their virtual time (output processing, α2 per token), oldest first. */
  outbox: { at: number; write: () => void }[];
  outTimer: NodeJS.Timeout | undefined;
}

const MAX_BODY_BYTES = 16 << 20;

export class SimServer {
  readonly engine: Engine;
  readonly timeScale: number;
  readonly adapters: AdapterRegistry;
  readonly #podName: string;
  readonly #onFinishHook: ((req: SimRequest) => void) | undefined;
  readonly #kvRole: KvRole;
  readonly #kvTransfer: KvTransferCost;
  readonly kvEvents: KvEventPublisher | null;
  readonly #tokenize: Tokenize | null;
  readonly #server: Server;
  readonly #metrics: MetricsContext;
  readonly #wall0 = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #seq = 0;

  constructor(options: SimServerOptions) {
    this.timeScale = options.timeScale;
    const initial = options.loraModules ?? [];
    const maxAdapters = options.maxAdapters ?? (initial.length > 0 ? Math.max(1, options.config.maxLoras, initial.length) : 0);
    this.#podName = options.podName ?? '';
    this.#onFinishHook = options.onFinish;
    this.#kvRole = options.kvRole ?? 'kv_both';
    this.#kvTransfer = options.kvTransfer ?? DEFAULT_KV_TRANSFER;
    const listener: EngineListener = { onToken: (r, t) => this.#onToken(r, t), onFinish: (r, t) => this.#onFinish(r, t) };
    const config = { ...options.config, maxLoras: maxAdapters > 0 ? Math.max(1, options.config.maxLoras) : 0 };
    this.engine = new Engine(config, listener);
    this.adapters = new AdapterRegistry({
      initial,
      maxAdapters,
      loadMs: options.adapterLoadMs ?? 0,
      onDemand: options.loraOnDemand ?? false,
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms * this.timeScale)),
      busy: (name) => this.engine.runningAdapters().includes(name) || this.engine.waitingAdapters().includes(name),
    });
    this.kvEvents = options.kvEvents ?? null;
    this.#tokenize = options.tokenize ?? null;
    if (this.kvEvents !== null) this.engine.kv.events = this.kvEvents;
    this.#metrics = { engine: this.engine, loraSeries: new Map(), loraEnabled: maxAdapters > 0, nowSeconds: () => Date.now() / 1000, adapters: this.adapters };
    this.#server = createServer((req, res) => this.#route(req, res));
    this.#server.keepAliveTimeout = 60_000;
  }

  /** Virtual ms now. */
  vnow(): number {
    return (performance.now() - this.#wall0) / this.timeScale;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve(this.#server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ routing

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0];
    if (req.method === 'GET' && (path === '/health' || path === '/ping')) {
      res.writeHead(200).end();
    } else if (req.method === 'GET' && path === '/metrics') {
      this.#tick();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(this.#metrics));
    } else if (req.method === 'GET' && path === '/v1/models') {
      this.#sendJson(res, 200, this.#modelList());
    } else if (req.method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions')) {
      this.#readBody(req, res, path === '/v1/completions' ? 'completion' : 'chat');
    } else if (req.method === 'POST' && (path === '/v1/load_lora_adapter' || path === '/v1/unload_lora_adapter') && this.adapters.enabled) {
      this.#adapterCall(req, res, path === '/v1/load_lora_adapter');
    } else if (req.method === 'POST' && path === '/tokenize') {
      this.#readBody(req, res, 'tokenize');
    } else if (req.method === 'POST' && path === '/reset_prefix_cache') {
      const ok = this.engine.resetCache();
      if (ok) this.kvEvents?.cleared();
      this.#sendJson(res, ok ? 200 : 409, ok ? '{}' : errorBody(409, 'ConflictError', 'requests are running'));
    } else {
      this.#sendJson(res, 404, errorBody(404, 'NotFoundError', `no route ${req.method} ${path}`));
    }
  }

  #readBody(req: IncomingMessage, res: ServerResponse, kind: ApiKind | 'tokenize'): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return this.#sendJson(res, 413, errorBody(413, 'BadRequestError', 'body too large'));
      try {
        const body = Buffer.concat(chunks).toString('utf8');
        if (kind === 'tokenize') return this.#sendTokens(res, body);
        const p = parseRequest(kind, body);
        if (p.model === this.engine.config.modelName) return this.#startRequest(req, res, p, '');
        // An adapter: ready now, or after its (on-demand) load; unknown -> 404 as vLLM.
        this.adapters.resolve(p.model).then((ok) => {
          if (res.destroyed) return;
          try {
            if (!ok) throw new ApiError(404, 'NotFoundError', `The model \`${p.model}\` does not exist.`);
            this.#startRequest(req, res, p, p.model);
          } catch (err) {
            this.#apiError(res, err);
          }
        }, (err: unknown) => this.#apiError(res, err));
      } catch (err) {
        this.#apiError(res, err);
      }
    });
  }

  /** vLLM's POST /tokenize: {model, prompt} or {model, messages} -> {tokens, count, max_model_len}. */
  #sendTokens(res: ServerResponse, body: string): void {
    const raw = JSON.parse(body) as { messages?: unknown };
    const p = parseRequest(raw.messages === undefined ? 'completion' : 'chat', body);
    const tokens = Array.from(promptTokenIds(p, this.#tokenize));
    this.#sendJson(res, 200, JSON.stringify({ tokens, count: tokens.length, max_model_len: this.engine.config.maxModelLen }));
  }

  /** A restarted engine (tests, tools): empty cache, KV-event sequence numbers from 0. False while busy. */
  restartEngine(): boolean {
    if (!this.engine.resetCache()) return false;
    this.kvEvents?.restart();
    return true;
  }

  #apiError(res: ServerResponse, err: unknown): void {
    if (!(err instanceof ApiError)) throw err;
    this.#sendJson(res, err.status, errorBody(err.status, err.type, err.message));
  }

  /** POST /v1/load_lora_adapter or /v1/unload_lora_adapter (adapters.ts). */
  #adapterCall(req: IncomingMessage, res: ServerResponse, load: boolean): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const send = (r: ApiReply) => {
        if (!load && r.status === 200) this.engine.evictAdapter(String((body as { lora_name: string }).lora_name));
        if (r.json) this.#sendJson(res, r.status, r.body);
        else res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' }).end(r.body);
      };
      if (load) void this.adapters.load(body).then(send);
      else send(this.adapters.unload(body));
    });
  }

  #startRequest(req: IncomingMessage, res: ServerResponse, p: ParsedRequest, lora: string): void {
    const cfg = this.engine.config;
    const requestId = headerValue(req, 'x-request-id') || `${++this.#seq}`;
    if (p.kvTransfer === 'remote-decode' && this.#kvRole === 'kv_consumer') throw new ApiError(400, 'BadRequestError', 'this server is a KV consumer (decode): it cannot serve do_remote_decode');
    if (p.kvTransfer !== 'remote-decode' && this.#kvRole === 'kv_producer') throw new ApiError(400, 'BadRequestError', 'this server is a KV producer (prefill): it serves only do_remote_decode requests');
    const sim = toSimRequest(p, cfg, lora, requestId, this.kvEvents === null ? null : promptTokenIds(p, this.#tokenize));
    const id = `${p.kind === 'completion' ? 'cmpl' : 'chatcmpl'}-${requestId}`;
    const ex: Exchange = { res, parsed: p, id, created: Math.floor(Date.now() / 1000), text: [], done: false, outbox: [], outTimer: undefined };
    sim.tag = ex;

    const now = this.vnow();
    this.engine.advance(now);
    let arrival = now;
    if (p.kvTransfer === 'remote-prefill') {
      // The prefill server's KV lands first; then all but the last prompt token count as computed (NIXL connector).
      const x = this.#kvTransfer;
      sim.remoteTokens = sim.promptTokens - 1;
      arrival += x.baseMs + (sim.promptTokens * x.bytesPerToken) / (x.gbps * 1e6);
    }
    const added = this.engine.add(sim, arrival);
    if (added === 'too-long') {
      throw new ApiError(
        400,
        'BadRequestError',
        `This model's maximum context length is ${cfg.maxModelLen} tokens. However, you requested ${p.promptTokens + sim.outputTokens} tokens.`,
      );
    }
    if (added === 'queue-full') {
      this.#sendJson(res, 429, errorBody(429, 'TooManyRequestsError', 'waiting queue is full'));
      return;
    }
    const headers: Record<string, string> = { 'x-request-id': requestId };
    if (this.#podName) {
      headers['x-inference-pod'] = this.#podName;
      headers['x-inference-port'] = String((this.#server.address() as AddressInfo).port);
    }
    if (p.stream) {
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
    } else {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    }
    res.on('close', () => {
      if (ex.outTimer) clearTimeout(ex.outTimer);
      ex.outbox.length = 0;
      if (!ex.done) this.engine.abort(sim, this.vnow());
      this.#schedule();
    });
    this.#schedule();
  }

  // ------------------------------------------------------------------ engine events

  #onToken(r: SimRequest, t: number): void {
    const ex = r.tag as Exchange;
    const text = tokenText(r.numOutput);
    if (ex.parsed.stream) {
      const chunk = tokenChunk(ex.parsed.kind, ex.id, ex.created, ex.parsed.model, text, r.numOutput === 1, r.numOutput >= r.outputTokens ? r.stopReason : null);
      this.#deliver(ex, t, () => ex.res.write(chunk));
    } else {
      ex.text.push(text);
    }
  }

  #onFinish(r: SimRequest, t: number): void {
    const ex = r.tag as Exchange;
    ex.done = true;
    this.#onFinishHook?.(r);
    if (r.finishReason === 'abort') return;
    this.#deliver(ex, t, () => this.#respondDone(ex, r));
  }

  /**
   * Output processing (detokenise, stream) runs after the engine step, α2 per token (profile outputTokenMs):
   * the engine gives each write its virtual time, and it leaves when the wall clock gets there, in order.
   */
  #deliver(ex: Exchange, at: number, write: () => void): void {
    if (ex.outbox.length === 0 && at <= this.vnow()) return write();
    ex.outbox.push({ at, write });
    if (ex.outTimer === undefined) this.#armOutbox(ex);
  }

  #armOutbox(ex: Exchange): void {
    const next = ex.outbox[0];
    if (next === undefined) return;
    ex.outTimer = setTimeout(() => {
      ex.outTimer = undefined;
      const now = this.vnow();
      let k = 0;
      while (k < ex.outbox.length && (ex.outbox[k] as { at: number }).at <= now) k++;
      for (const item of ex.outbox.splice(0, Math.max(1, k))) item.write();
      this.#armOutbox(ex);
    }, Math.max(0, (next.at - this.vnow()) * this.timeScale));
  }

  #respondDone(ex: Exchange, r: SimRequest): void {
    const u = usage(r.promptTokens, r.numOutput, r.cachedTokens);
    if (ex.parsed.stream) {
      if (ex.parsed.includeUsage) ex.res.write(usageChunk(ex.parsed.kind, ex.id, ex.created, ex.parsed.model, u));
      ex.res.end(DONE_LINE);
    } else {
      const kv = ex.parsed.kvTransfer === 'remote-decode' ? this.#kvParams(r) : null;
      this.#sendJson(ex.res, 200, fullResponse(ex.parsed.kind, ex.id, ex.created, ex.parsed.model, ex.text.join(''), r.finishReason, u, kv));
    }
  }

  // ------------------------------------------------------------------ virtual clock -> timers

  /** Runs the engine up to now and re-arms the timer for its next event. */
  #tick(): void {
    this.engine.advance(this.vnow());
    this.#schedule();
  }

  #schedule(): void {
    const next = this.engine.nextEventTime();
    if (next === this.#timerAt && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = next;
    if (next === Infinity) return;
    const delay = Math.max(0, this.#wall0 + next * this.timeScale - performance.now());
    this.#timer = setTimeout(onTimer, delay, this);
  }

  /** Called by the module-level timer callback. */
  fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#tick();
  }

  /** What vLLM's NIXL connector returns from a prefill leg for the decode server to pull from. */
  #kvParams(r: SimRequest): Record<string, unknown> {
    const address = this.#server.address() as AddressInfo;
    const blocks = Math.ceil(r.promptTokens / this.engine.config.blockSize);
    return {
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_block_ids: Array.from({ length: blocks }, (_, i) => i),
      remote_engine_id: this.#podName || `sim-${address.port}`,
      remote_host: address.address,
      remote_port: address.port,
      tp_size: 1,
    };
  }

  #modelList(): string {
    const created = Math.floor(Date.now() / 1000);
    const base = this.engine.config.modelName;
    const data = [base, ...this.adapters.names()].map((id) => ({
      id,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: id,
      parent: id === base ? null : base,
      max_model_len: this.engine.config.maxModelLen,
    }));
    return JSON.stringify({ object: 'list', data });
  }

  #sendJson(res: ServerResponse, status: number, body: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }
}

function onTimer(server: SimServer): void {
  server.fire();
}

function headerValue(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}
