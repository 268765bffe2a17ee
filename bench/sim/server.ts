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
  readonly adapters: AdapterRegistry;
  readonly #podName: string;
  readonly #onFinishHook: ((req: SimRequest) => void) | undefined;
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
    } else {
      this.#sendJson(res, 404, errorBody(404, 'NotFoundError', `no route ${req.method} ${path}`));
    }
  }

  #readBody(req: IncomingMessage, res: ServerResponse, kind: ApiKind): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return this.#sendJson(res, 413, errorBody(413, 'BadRequestError', 'body too large'));
      try {
        const p = parseRequest(kind, Buffer.concat(chunks).toString('utf8'));
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
    const sim = toSimRequest(p, cfg, lora, requestId);
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
