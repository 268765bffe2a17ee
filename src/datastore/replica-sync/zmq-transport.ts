/**
 * ZMQ transport of the replica sync: a PUB socket on the sync port carries batches as two frames (replica id,
 * body); one SUB socket connects to every peer's PUB; a REP socket on the next port (sync port + 1) answers
 * snapshot requests (a REQ socket per request, closed after it). ZMQ reconnects to a restarted peer by itself;
 * PUB drops messages for a subscriber that is too slow (high-water mark), which only costs that peer some
 * entries, never the request path.
 */
import * as zmq from 'zeromq';
import { curveClientOptions, curveServerOptions, zapHandler, type CurveKeys } from './curve-auth.ts';
import type { SyncTransport } from './replica-sync.ts';

/** Snapshot socket port: the sync port + 1. */
export function snapshotPort(syncPort: number): number {
  return syncPort + 1;
}

function endpoint(hostPort: string, port?: number): string {
  const at = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, at);
  return `tcp://${host}:${port ?? Number(hostPort.slice(at + 1))}`;
}

export class ZmqTransport implements SyncTransport {
  readonly #pub: zmq.Publisher;
  readonly #sub: zmq.Subscriber;
  readonly #rep: zmq.Reply;
  /** CURVE: null = plaintext. */
  readonly #curve: CurveKeys | null;
  readonly #zapDomain: string;
  readonly #connected = new Set<string>();
  readonly #queue: [string, Uint8Array][] = [];
  #sending = false;
  #closed = false;
  #onBatch: (from: string, body: Uint8Array) => void = () => {};
  #provider: () => Uint8Array = () => new Uint8Array(0);

  private constructor(curve: CurveKeys | null, zapDomain: string) {
    this.#curve = curve;
    this.#zapDomain = zapDomain;
    const server = curve === null ? {} : curveServerOptions(curve, zapDomain);
    const client = curve === null ? {} : curveClientOptions(curve);
    this.#pub = new zmq.Publisher({ linger: 0, sendHighWaterMark: 10_000, ...server });
    this.#sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 10_000, ...client });
    this.#rep = new zmq.Reply({ linger: 0, ...server });
  }

  /**
   * Binds the PUB socket on `port` and the snapshot socket on port + 1 (`bindAddress` e.g. 0.0.0.0). With
   * `curve`, every socket is encrypted and only peers holding an allowed key are served (curve-auth.ts).
   */
  static async bind(bindAddress: string, port: number, curve: CurveKeys | null = null): Promise<ZmqTransport> {
    const domain = curve === null ? '' : await zapHandler.register(curve.allowedPeers);
    const t = new ZmqTransport(curve, domain);
    await t.#pub.bind(`tcp://${bindAddress}:${port}`);
    await t.#rep.bind(`tcp://${bindAddress}:${snapshotPort(port)}`);
    t.#sub.subscribe();
    void t.#receiveLoop();
    void t.#replyLoop();
    return t;
  }

  publish(from: string, body: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push([from, body]);
    if (!this.#sending) void this.#drain();
  }

  onBatch(handler: (from: string, body: Uint8Array) => void): void {
    this.#onBatch = handler;
  }

  serveSnapshots(provider: () => Uint8Array): void {
    this.#provider = provider;
  }

  async requestSnapshot(peer: string, timeoutMs: number): Promise<Uint8Array> {
    const at = peer.lastIndexOf(':');
    const curve = this.#curve === null ? {} : curveClientOptions(this.#curve);
    const req = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs, ...curve });
    try {
      req.connect(endpoint(peer, snapshotPort(Number(peer.slice(at + 1)))));
      await req.send('snapshot');
      const [body] = await req.receive();
      return new Uint8Array(body!);
    } finally {
      req.close();
    }
  }

  setPeers(peers: readonly string[]): void {
    const wanted = new Set(peers.map((p) => endpoint(p)));
    for (const e of this.#connected) {
      if (wanted.has(e)) continue;
      this.#sub.disconnect(e);
      this.#connected.delete(e);
    }
    for (const e of wanted) {
      if (this.#connected.has(e)) continue;
      this.#sub.connect(e);
      this.#connected.add(e);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pub.close();
    this.#sub.close();
    this.#rep.close();
    if (this.#zapDomain !== '') zapHandler.unregister(this.#zapDomain);
  }

  // One send at a time: a ZMQ socket refuses a send while another is pending.
  async #drain(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const [from, body] = this.#queue.shift()!;
        await this.#pub.send([from, body]);
      }
    } catch {
      // closed while sending
    } finally {
      this.#sending = false;
    }
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const [from, body] of this.#sub) {
        this.#onBatch(from!.toString('utf8'), new Uint8Array(body!.buffer, body!.byteOffset, body!.byteLength));
      }
    } catch {
      // socket closed
    }
  }

  async #replyLoop(): Promise<void> {
    try {
      for await (const _ of this.#rep) await this.#rep.send(this.#provider());
    } catch {
      // socket closed
    }
  }
}
