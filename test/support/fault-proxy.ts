/**
 * A TCP proxy in front of one model server that plays its faults: killed (connections reset, port refused),
 * hung (connections accepted, nothing read or answered, as a SIGSTOPped process), inference hung (/metrics
 * still answers, every POST is swallowed: a wedged engine behind a live API server), slow (every byte delayed).
 * The picker scrapes, and test clients send requests, through it, so both see the same fault.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Carries a request swallowed by an inference hang. */
  hung: boolean;
}

export class FaultProxy {
  readonly host: string;
  port = 0;
  /** Milliseconds added to every chunk in either direction. */
  delayMs = 0;
  #hung = false;
  #inferenceHung = false;
  #server: Server | null = null;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<Pair>();

  private constructor(host: string, target: { host: string; port: number }) {
    this.host = host;
    this.#target = target;
  }

  static async start(host: string, port: number, target: { host: string; port: number }): Promise<FaultProxy> {
    const p = new FaultProxy(host, target);
    await p.revive(port);
    return p;
  }

  /** Open connections (both sides of each proxied one). */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Listens (again) on host:port and forwards. */
  revive(port = this.port): Promise<void> {
    this.#hung = false;
    const server = createServer((client) => this.#accept(client));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  /** SIGKILL: every connection reset, the port refuses. */
  kill(): Promise<void> {
    for (const p of this.#pairs) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.#pairs.clear();
    const server = this.#server;
    this.#server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** SIGSTOP: connections stay open and new ones are accepted, but nothing is answered. */
  hang(): void {
    this.#hung = true;
  }

  /** Inference hangs, /metrics keeps answering: connections carrying a POST get no further byte either way. */
  hangInference(): void {
    this.#inferenceHung = true;
  }

  /** SIGCONT after a hang: the hung connections are dropped (their bytes are gone), new ones are served. */
  resume(): void {
    this.#hung = false;
    this.#inferenceHung = false;
    for (const p of this.#pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.#pairs.clear();
  }

  #accept(client: Socket): void {
    const upstream = connect(this.#target.port, this.#target.host);
    const pair: Pair = { client, upstream, hung: false };
    this.#pairs.add(pair);
    const dropNow = () => {
      if (!this.#pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    // A close travels as late as the bytes before it.
    const drop = () => (this.delayMs === 0 ? dropNow() : setTimeout(dropNow, this.delayMs));
    client.on('data', (d: Buffer) => {
      if (this.#inferenceHung && d.subarray(0, 5).toString('latin1') === 'POST ') pair.hung = true;
      if (!pair.hung) this.#forward(upstream, d);
    });
    upstream.on('data', (d) => pair.hung || this.#forward(client, d));
    for (const s of [client, upstream]) {
      s.on('error', drop);
      s.on('close', drop);
    }
  }

  #forward(to: Socket, data: Buffer): void {
    if (this.#hung) return;
    if (this.delayMs === 0) to.write(data);
    else setTimeout(() => to.destroyed || to.write(data), this.delayMs);
  }
}
