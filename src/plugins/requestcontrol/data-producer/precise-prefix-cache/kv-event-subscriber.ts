/**
 * One model server's KV-event stream: a ZMQ SUB socket on the engine's PUB endpoint (frames [topic, seq as 8
 * bytes big-endian, payload]) and, when the engine has one, its replay ROUTER socket (request [empty, start seq];
 * replies [empty, topic, seq, payload] in vLLM's layout or [empty, seq, payload] in SGLang's and older vLLM's,
 * closed by seq = -1). Sequence handling follows upstream's zmqSubscriber:
 *   - a sequence number not above the last live one = the engine restarted: its blocks are dropped (onReset),
 *     with or without a replay socket (upstream #2853/#2854 kept them when replay was off);
 *   - a gap, or joining mid-stream, asks the replay socket for the missed batches; a failed replay drops the
 *     engine's blocks rather than keeping an index with holes;
 *   - batches already applied (live after replay) are skipped.
 * Batches reach `onBatch` in sequence order, one at a time. With `bind` (upstream's global socket mode, engines
 * connecting to the picker) several engines share the socket: batches are applied as they come, without
 * sequence tracking, as upstream does there.
 */
import { Dealer, Subscriber } from 'zeromq';

export interface KvEventSink {
  onBatch(topic: string, seq: bigint, payload: Uint8Array): void;
  /** The engine's blocks are no longer known (restart, failed replay). */
  onReset(reason: string): void;
}

export interface KvEventSubscriberOptions {
  /** e.g. tcp://10.0.0.5:5557 */
  readonly endpoint: string;
  /** e.g. tcp://10.0.0.5:5558; '' = no replay. */
  readonly replayEndpoint: string;
  readonly topicFilter: string;
  /** Idle time that ends one replay attempt. */
  readonly replayTimeoutMs: number;
  readonly sink: KvEventSink;
  /** Bind `endpoint` (engines connect) instead of connecting to it. */
  readonly bind?: boolean;
}

const END_SEQ = 0xffffffffffffffffn;

export class KvEventSubscriber {
  readonly options: KvEventSubscriberOptions;
  readonly #sub = new Subscriber({ linger: 0 });
  #closed = false;
  #lastSeq: bigint | null = null;
  #lastLive: bigint | null = null;
  /** Resolves when the receive loop has ended (after close()). */
  readonly done: Promise<void>;
  /** Counters for tests and logs. */
  readonly stats = { batches: 0, replays: 0, replayed: 0, resets: 0, gaps: 0 };

  constructor(options: KvEventSubscriberOptions) {
    this.options = options;
    if (options.bind !== true) this.#sub.connect(options.endpoint);
    this.#sub.subscribe(options.topicFilter);
    this.done = this.#run();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sub.close();
  }

  async #run(): Promise<void> {
    const bound = this.options.bind === true;
    if (bound) {
      try {
        await this.#sub.bind(this.options.endpoint);
      } catch (err) {
        this.options.sink.onReset(`cannot bind ${this.options.endpoint}: ${(err as Error).message}`);
        return;
      }
    }
    // Rebuild from the engine's buffer without waiting for live traffic.
    if (!bound && this.options.replayEndpoint !== '') await this.#replay(0n);
    while (!this.#closed) {
      let frames: Buffer[];
      try {
        frames = await this.#sub.receive();
      } catch {
        return; // socket closed
      }
      if (frames.length !== 3 || (frames[1] as Buffer).length < 8) continue;
      const topic = (frames[0] as Buffer).toString();
      const seq = (frames[1] as Buffer).readBigUInt64BE(0);
      if (bound) this.#apply(topic, seq, frames[2] as Buffer);
      else await this.#onLive(topic, seq, frames[2] as Buffer);
    }
  }

  async #onLive(topic: string, seq: bigint, payload: Uint8Array): Promise<void> {
    const replay = this.options.replayEndpoint !== '';
    // A PUB socket never sends a sequence number twice: a repeated or lower one is a new engine process.
    if (this.#lastLive !== null && seq <= this.#lastLive) {
      this.#reset('sequence went back: engine restarted');
      if (replay) await this.#replay(0n);
    }
    this.#lastLive = seq;
    if (this.#lastSeq !== null && seq <= this.#lastSeq) return;
    if (replay && this.#lastSeq !== null && seq > this.#lastSeq + 1n) {
      this.stats.gaps++;
      await this.#replay(this.#lastSeq + 1n);
    } else if (replay && this.#lastSeq === null && seq > 0n) {
      await this.#replay(0n);
    }
    if (replay && this.#lastSeq !== null && seq !== this.#lastSeq + 1n) return;
    this.#apply(topic, seq, payload);
  }

  #apply(topic: string, seq: bigint, payload: Uint8Array): void {
    this.stats.batches++;
    this.#lastSeq = seq;
    this.options.sink.onBatch(topic, seq, payload);
  }

  #reset(reason: string): void {
    this.stats.resets++;
    this.#lastSeq = null;
    this.options.sink.onReset(reason);
  }

  /** Asks the replay socket for batches from `start`; applies them in order. False (and a reset) on failure. */
  async #replay(start: bigint): Promise<boolean> {
    if (this.#closed) return false;
    this.stats.replays++;
    const dealer = new Dealer({ linger: 0, receiveTimeout: this.options.replayTimeoutMs, sendTimeout: this.options.replayTimeoutMs });
    try {
      dealer.connect(this.options.replayEndpoint);
      const seqBytes = Buffer.alloc(8);
      seqBytes.writeBigUInt64BE(start);
      await dealer.send([Buffer.alloc(0), seqBytes]);
      let expected = start;
      let got = 0;
      for (;;) {
        let frames = await dealer.receive();
        if (frames.length > 0 && (frames[0] as Buffer).length === 0) frames = frames.slice(1);
        // vLLM: [topic, seq, payload]; SGLang / older vLLM: [seq, payload]. End marker: seq -1, empty payload.
        const withTopic = frames.length === 3;
        if (!withTopic && frames.length !== 2) throw new Error(`replay frame with ${frames.length} parts`);
        const seqFrame = frames[withTopic ? 1 : 0] as Buffer;
        const payload = frames[withTopic ? 2 : 1] as Buffer;
        if (seqFrame.length < 8) throw new Error('replay frame without a sequence number');
        const seq = seqFrame.readBigUInt64BE(0);
        if (seq === END_SEQ) break;
        if (this.#lastSeq !== null && seq <= this.#lastSeq) {
          expected = seq + 1n;
          continue; // already applied
        }
        if (seq !== expected && !(got === 0 && start === 0n)) throw new Error(`replay skipped from ${expected} to ${seq}`);
        const topic = withTopic ? (frames[0] as Buffer).toString() : this.options.topicFilter;
        this.#apply(topic, seq, payload);
        expected = seq + 1n;
        got++;
        this.stats.replayed++;
      }
      if (got === 0 && start > 0n && (this.#lastSeq === null || this.#lastSeq < start)) {
        throw new Error(`sequence ${start} no longer in the engine's buffer`);
      }
      return true;
    } catch (err) {
      if (!this.#closed) this.#reset(`replay failed: ${(err as Error).message}`);
      return false;
    } finally {
      dealer.close();
    }
  }
}
