/**
 * One simulated vLLM server over HTTP: the OpenAI routes, /v1/models, /health and /metrics, backed by an
 * Engine in virtual time. Virtual time runs `timeScale` times slower than the wall clock (virtual ms =
 * wall ms / timeScale), so a fleet of simulated GPUs fits on a small CPU; every latency the server reports
 * (metrics) is virtual, and clients divide what they measure by timeScale.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  /** Reported in x-inference-pod (as llm-d-inference-sim does with POD_NAME). */
  podName?: string;
  /** Called when a request leaves the engine (finished or aborted); for tests and tools. */
  onFinish?: (req: SimRequest) => void;
  /** Publishes the cache's KV events (vLLM --kv-events-config); the engine then caches token blocks. */
  kvEvents?: KvEventPublisher;
  /** Tokenizer for KV events and /tokenize (default: upstream's byte-packing estimate). */
  tokenize?: Tokenize;
}

/** Per-request HTTP state, kept on SimRequest.tag. */
interface Exchange {
  res: ServerResponse;
  parsed: ParsedRequest;
  id: string;
  created: number;
  text: string[];
  done: boolean;
}

const MAX_BODY_BYTES = 16 << 20;

export class SimServer {
  readonly engine: Engine;
  readonly timeScale: number;
  readonly #models: Set<string>;
  readonly #lora: Set<string>;
  readonly #podName: string;
  readonly #onFinishHook: ((req: SimRequest) => void) | undefined;
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
    this.#lora = new Set(options.loraModules ?? []);
    this.#models = new Set([options.config.modelName, ...this.#lora]);
    this.#podName = options.podName ?? '';
    this.#onFinishHook = options.onFinish;
    const listener: EngineListener = { onToken: (r, t) => this.#onToken(r, t), onFinish: (r, t) => this.#onFinish(r, t) };
    const config = { ...options.config, maxLoras: this.#lora.size > 0 ? Math.max(1, options.config.maxLoras) : 0 };
    this.engine = new Engine(config, listener);
    this.kvEvents = options.kvEvents ?? null;
    this.#tokenize = options.tokenize ?? null;
    if (this.kvEvents !== null) this.engine.kv.events = this.kvEvents;
    this.#metrics = { engine: this.engine, loraSeries: new Map(), loraEnabled: this.#lora.size > 0, nowSeconds: () => Date.now() / 1000 };
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
        if (kind === 'tokenize') this.#sendTokens(res, body);
        else this.#startRequest(req, res, parseRequest(kind, body));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        this.#sendJson(res, err.status, errorBody(err.status, err.type, err.message));
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

  #startRequest(req: IncomingMessage, res: ServerResponse, p: ParsedRequest): void {
    if (!this.#models.has(p.model)) throw new ApiError(404, 'NotFoundError', `The model \`${p.model}\` does not exist.`);
    const cfg = this.engine.config;
    const lora = this.#lora.has(p.model) ? p.model : '';
    const requestId = headerValue(req, 'x-request-id') || `${++this.#seq}`;
    const sim = toSimRequest(p, cfg, lora, requestId, this.kvEvents === null ? null : promptTokenIds(p, this.#tokenize));
    const id = `${p.kind === 'completion' ? 'cmpl' : 'chatcmpl'}-${requestId}`;
    const ex: Exchange = { res, parsed: p, id, created: Math.floor(Date.now() / 1000), text: [], done: false };
    sim.tag = ex;

    const now = this.vnow();
    this.engine.advance(now);
    const added = this.engine.add(sim, now);
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
      if (!ex.done) this.engine.abort(sim, this.vnow());
      this.#schedule();
    });
    this.#schedule();
  }

  // ------------------------------------------------------------------ engine events

  #onToken(r: SimRequest, _t: number): void {
    const ex = r.tag as Exchange;
    const text = tokenText(r.numOutput);
    const last = r.numOutput >= r.outputTokens;
    if (ex.parsed.stream) {
      ex.res.write(tokenChunk(ex.parsed.kind, ex.id, ex.created, ex.parsed.model, text, r.numOutput === 1, last ? r.stopReason : null));
    } else {
      ex.text.push(text);
    }
  }

  #onFinish(r: SimRequest, _t: number): void {
    const ex = r.tag as Exchange;
    ex.done = true;
    this.#onFinishHook?.(r);
    if (r.finishReason === 'abort') return;
    const u = usage(r.promptTokens, r.numOutput, r.cachedTokens);
    if (ex.parsed.stream) {
      if (ex.parsed.includeUsage) ex.res.write(usageChunk(ex.parsed.kind, ex.id, ex.created, ex.parsed.model, u));
      ex.res.end(DONE_LINE);
    } else {
      this.#sendJson(ex.res, 200, fullResponse(ex.parsed.kind, ex.id, ex.created, ex.parsed.model, ex.text.join(''), r.finishReason, u));
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

  #modelList(): string {
    const created = Math.floor(Date.now() / 1000);
    const base = this.engine.config.modelName;
    const data = [...this.#models].map((id) => ({
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
