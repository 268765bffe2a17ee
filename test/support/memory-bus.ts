/**
 * In-process sync bus: the transport for replicas that share one process (the bench's fast mode, unit tests).
 * Delivery is explicit (`deliver()`), so a simulation decides when batches arrive, as a network would.
 */
import type { SyncTransport } from '../../src/datastore/replica-sync/replica-sync.ts';

export class MemoryBus {
  readonly #members = new Map<string, MemoryTransport>();
  readonly #inFlight: { from: string; body: Uint8Array }[] = [];
  messages = 0;
  bytes = 0;

  transport(address: string): MemoryTransport {
    const t = new MemoryTransport(this, address);
    this.#members.set(address, t);
    return t;
  }

  post(from: string, body: Uint8Array): void {
    this.#inFlight.push({ from, body });
  }

  /** Hands every posted batch to every member's handler (the sender ignores its own). */
  deliver(): void {
    const batches = this.#inFlight.splice(0);
    for (const b of batches) {
      if (b.body.length > 0) {
        this.messages++;
        this.bytes += b.body.length;
      }
      for (const m of this.#members.values()) m.handler(b.from, b.body);
    }
  }

  member(address: string): MemoryTransport | undefined {
    return this.#members.get(address);
  }

  leave(address: string): void {
    this.#members.delete(address);
  }
}

export class MemoryTransport implements SyncTransport {
  readonly address: string;
  readonly #bus: MemoryBus;
  handler: (from: string, body: Uint8Array) => void = () => {};
  provider: () => Uint8Array = () => new Uint8Array(0);

  constructor(bus: MemoryBus, address: string) {
    this.#bus = bus;
    this.address = address;
  }

  publish(from: string, body: Uint8Array): void {
    this.#bus.post(from, body);
  }

  onBatch(handler: (from: string, body: Uint8Array) => void): void {
    this.handler = handler;
  }

  serveSnapshots(provider: () => Uint8Array): void {
    this.provider = provider;
  }

  async requestSnapshot(peer: string, _timeoutMs: number): Promise<Uint8Array> {
    const m = this.#bus.member(peer);
    if (m === undefined) throw new Error(`no replica at ${peer}`);
    return m.provider();
  }

  setPeers(_peers: readonly string[]): void {}

  async close(): Promise<void> {
    this.#bus.leave(this.address);
  }
}
