/**
 * vLLM's KV-event publisher (vllm/distributed/kv_events.py ZmqEventPublisher) for the simulator: the events a
 * scheduler step produces are sent as one msgpack KVEventBatch [ts, [events...]] on a ZMQ PUB socket, frames
 * [topic, seq (8 bytes big-endian), payload], and kept (last `bufferSteps`) for a ROUTER replay socket that
 * answers [empty, start seq] with [empty, topic, seq, payload] per batch and [empty, '', -1, ''] at the end.
 * Events: ["BlockStored", block_hashes, parent_block_hash, token_ids, block_size, lora_id, medium(, lora_name)],
 * ["BlockRemoved", block_hashes, medium], ["AllBlocksCleared"].
 */
import { encode } from '@msgpack/msgpack';
import { Publisher, Router } from 'zeromq';

export interface KvEventPublisherOptions {
  /** tcp://host:port to bind the PUB socket. */
  readonly endpoint: string;
  /** tcp://host:port to bind the replay ROUTER socket; '' = none. */
  readonly replayEndpoint: string;
  /** kv@<pod-ip>:<port>@<model> */
  readonly topic: string;
  readonly bufferSteps?: number;
}

const END_SEQ = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);

export class KvEventPublisher {
  readonly options: KvEventPublisherOptions;
  readonly #pub = new Publisher({ linger: 0 });
  readonly #router: Router | null;
  readonly #topic: Buffer;
  readonly #buffer: { seq: bigint; payload: Buffer }[] = [];
  #pending: unknown[] = [];
  #scheduled = false;
  #seq = 0n;
  #sending: Promise<void> = Promise.resolve();
  #closed = false;
  /** Test hook: the next n batches are buffered for replay but not published (a subscriber's missed events). */
  dropNext = 0;
  /** Batches published (or dropped by dropNext). */
  published = 0;

  constructor(options: KvEventPublisherOptions) {
    this.options = options;
    this.#topic = Buffer.from(options.topic);
    this.#router = options.replayEndpoint === '' ? null : new Router({ linger: 0 });
  }

  async bind(): Promise<void> {
    await this.#pub.bind(this.options.endpoint);
    if (this.#router !== null) {
      await this.#router.bind(this.options.replayEndpoint);
      void this.#serveReplay(this.#router);
    }
  }

  stored(hashes: readonly number[], parent: number | null, tokens: ArrayLike<number>, blockSize: number, lora: string): void {
    const ev: unknown[] = ['BlockStored', hashes, parent, Array.from(tokens), blockSize, null, 'GPU'];
    if (lora !== '') ev.push(lora);
    this.#push(ev);
  }

  removed(hashes: readonly number[]): void {
    this.#push(['BlockRemoved', hashes, 'GPU']);
  }

  cleared(): void {
    this.#push(['AllBlocksCleared']);
  }

  /** A restarted engine: sequence numbers start over at 0 and the replay buffer is empty. */
  restart(): void {
    this.#pending = [];
    this.#buffer.length = 0;
    this.#seq = 0n;
  }

  /** Sends what is pending now (otherwise sent at the end of the current macrotask, one batch per step). */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const payload = Buffer.from(encode([Date.now() / 1000, this.#pending], { ignoreUndefined: true }));
    this.#pending = [];
    const seq = this.#seq++;
    this.#buffer.push({ seq, payload });
    if (this.#buffer.length > (this.options.bufferSteps ?? 10_000)) this.#buffer.shift();
    this.published++;
    if (this.dropNext > 0) {
      this.dropNext--;
      return;
    }
    const seqBytes = Buffer.alloc(8);
    seqBytes.writeBigUInt64BE(seq);
    // One send at a time on a zeromq socket.
    this.#sending = this.#sending.then(() => this.#pub.send([this.#topic, seqBytes, payload])).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#sending;
    this.#pub.close();
    this.#router?.close();
  }

  #push(ev: unknown[]): void {
    this.#pending.push(ev);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  async #serveReplay(router: Router): Promise<void> {
    while (!this.#closed) {
      let frames: Buffer[];
      try {
        frames = await router.receive();
      } catch {
        return;
      }
      if (frames.length !== 3) continue;
      const [id, , startBytes] = frames as [Buffer, Buffer, Buffer];
      if (startBytes.length < 8) continue;
      const start = startBytes.readBigUInt64BE(0);
      try {
        for (const b of [...this.#buffer]) {
          if (b.seq < start) continue;
          const seqBytes = Buffer.alloc(8);
          seqBytes.writeBigUInt64BE(b.seq);
          await router.send([id, EMPTY, this.#topic, seqBytes, b.payload]);
        }
        await router.send([id, EMPTY, EMPTY, END_SEQ, EMPTY]);
      } catch {
        if (this.#closed) return;
      }
    }
  }
}
