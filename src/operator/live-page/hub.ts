/**
 * Server-sent events for the live page: one snapshot built per interval and written to every open page
 * (at most `maxClients`; more get 503). The timer runs only while a page is open, and the decision ring
 * samples only then.
 */
import type http from 'node:http';
import type { DecisionRing } from './decision-ring.ts';
import type { LiveSnapshots } from './snapshot.ts';

/** A page this far behind (a stalled tab) is skipped until it drains. */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface LiveHubOptions {
  snapshots: LiveSnapshots;
  ring: DecisionRing;
  intervalMs?: number;
  maxClients?: number;
  onError?: (err: unknown) => void;
}

export class LiveHub {
  readonly #o: LiveHubOptions;
  readonly #clients = new Set<http.ServerResponse>();
  #timer: NodeJS.Timeout | null = null;
  #building = false;

  constructor(options: LiveHubOptions) {
    this.#o = options;
  }

  get clients(): number {
    return this.#clients.size;
  }

  attach(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#clients.size >= (this.#o.maxClients ?? 16)) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
      res.end('too many live pages open\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    this.#o.ring.active = true;
    req.socket.setNoDelay(true);
    res.on('close', () => this.#detach(res));
    if (this.#timer === null) this.#timer = setInterval(() => void this.#push(), this.#o.intervalMs ?? 500);
    void this.#push();
  }

  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #detach(res: http.ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0) this.#stop();
  }

  #stop(): void {
    this.#o.ring.active = false;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #push(): Promise<void> {
    if (this.#building || this.#clients.size === 0) return;
    this.#building = true;
    try {
      const frame = `data: ${JSON.stringify(await this.#o.snapshots.build())}\n\n`;
      for (const res of this.#clients) if (res.writableLength < MAX_BUFFERED_BYTES) res.write(frame);
    } catch (err) {
      this.#o.onError?.(err);
    } finally {
      this.#building = false;
    }
  }
}
