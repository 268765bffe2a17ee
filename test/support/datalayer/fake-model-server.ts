/**
 * Test helpers for the scrape loop: a model server's metrics endpoint on 127.0.0.1 (port 0) whose
 * behaviour a test switches at will, and a recorder of onScrape calls that tests await instead of sleeping.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import type { ScrapeHook } from '../../../src/datalayer/collector.ts';

export type ServerMode = 'ok' | 'error' | 'hang' | 'slow';

export class FakeModelServer {
  mode: ServerMode = 'ok';
  page = '';
  /** Response delay in 'slow' mode. */
  delayMs = 30;
  requests = 0;
  inflight = 0;
  maxInflight = 0;
  connections = 0;
  readonly paths: string[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #onEmpty: (() => void)[] = [];
  readonly #onRequest: (() => void)[] = [];

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.connections++;
      this.#sockets.add(socket);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        if (this.#sockets.size === 0) for (const f of this.#onEmpty.splice(0)) f();
      });
    });
  }

  static async start(page = ''): Promise<FakeModelServer> {
    const s = new FakeModelServer();
    s.page = page;
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Resolves once no client connection is open. */
  allConnectionsClosed(): Promise<void> {
    if (this.#sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onEmpty.push(resolve));
  }

  /** Resolves at the next request that arrives. */
  nextRequest(): Promise<void> {
    return new Promise((resolve) => this.#onRequest.push(resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    this.paths.push(req.url ?? '');
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    res.on('close', () => this.inflight--);
    for (const f of this.#onRequest.splice(0)) f();
    const send = (): void => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(this.page);
    };
    switch (this.mode) {
      case 'ok':
        send();
        break;
      case 'error':
        res.writeHead(500).end('boom');
        break;
      case 'hang':
        break;
      case 'slow':
        setTimeout(send, this.delayMs);
        break;
    }
  }
}

export interface ScrapeResult {
  endpoint: Endpoint;
  ok: boolean;
  durationMs: number;
  error: string | undefined;
}

/** Records onScrape calls; `next` resolves at the next future call matching a predicate. */
export class ScrapeRecorder {
  readonly results: ScrapeResult[] = [];
  #waiters: { match: (r: ScrapeResult) => boolean; resolve: (r: ScrapeResult) => void }[] = [];

  readonly hook: ScrapeHook = (endpoint, ok, durationMs, error) => {
    const r = { endpoint, ok, durationMs, error };
    this.results.push(r);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(r)) return true;
      w.resolve(r);
      return false;
    });
  };

  next(match: (r: ScrapeResult) => boolean = () => true): Promise<ScrapeResult> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Resolves after `n` more calls matching `match`. */
  async count(n: number, match: (r: ScrapeResult) => boolean): Promise<void> {
    for (let i = 0; i < n; i++) await this.next(match);
  }
}
