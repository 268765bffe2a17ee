/**
 * An ext_proc load driver that talks to the server the way Envoy does, on raw node:http2 with pre-encoded
 * messages (so the driver's own CPU stays small next to the server's on a shared 2-core machine):
 *  - many concurrent Process streams multiplexed over a few HTTP/2 connections;
 *  - FULL_DUPLEX_STREAMED: request_headers and every body chunk sent without waiting; the request phase ends
 *    when the headers response and the echoed body's end_of_stream have arrived; then response_headers and
 *    the response body (end_of_stream) are sent together, and the stream ends on the echoed response body;
 *  - BUFFERED: request_headers, wait, the whole body, wait; response_headers, wait, response body, wait;
 *  - at the end, half-close then reset (CANCEL), as Envoy closes an ext_proc stream.
 * Measured per request: request-phase latency (what Envoy adds before it can pick the upstream) and the whole
 * stream's time.
 */
import http2 from 'node:http2';
import { classify, FrameReader, R_IMMEDIATE, R_REQUEST_BODY, R_REQUEST_HEADERS, R_RESPONSE_BODY, R_RESPONSE_HEADERS, type ResponseKind } from './grpc-frames.ts';
import { requestHeadersFor, type Workload } from './workload.ts';

const STREAM_HEADERS: http2.OutgoingHttpHeaders = {
  ':method': 'POST',
  ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Process',
  ':scheme': 'http',
  ':authority': 'ext-proc',
  'content-type': 'application/grpc',
  te: 'trailers',
};
const { NGHTTP2_CANCEL } = http2.constants;
/** Envoy's HTTP/2 default windows are 256 MiB; large windows keep flow control out of the measurement. */
const WINDOW = 1 << 28;

export interface PhaseStats {
  completed: number;
  errors: number;
  /** Responses that carried dynamic_metadata (the picker's routing decision). */
  routed: number;
  immediate: number;
  elapsedMs: number;
  /** Request-phase latency samples, ms. */
  requestPhaseMs: Float64Array;
  /** Whole-stream samples, ms. */
  streamMs: Float64Array;
  firstError: string;
}

const FD = 'FULL_DUPLEX_STREAMED';

class Exchange {
  readonly #driver: Driver;
  readonly #w: Workload;
  readonly #variant: number;
  readonly #reader = new FrameReader();
  readonly #kind: ResponseKind = { kind: 0, bodyEnd: false, routed: false };
  readonly #startedAt = performance.now();
  #stream!: http2.ClientHttp2Stream;
  #gotHeaders = false;
  #gotBodyEnd = false;
  #requestPhaseMs = -1;
  #done = false;
  #routed = false;

  constructor(driver: Driver, w: Workload, n: number, session: http2.ClientHttp2Session) {
    this.#driver = driver;
    this.#w = w;
    this.#variant = n % w.bodies.length;
    const s = session.request(STREAM_HEADERS, { endStream: false });
    this.#stream = s;
    s.on('data', (chunk: Buffer) => this.#reader.push(chunk, (m) => this.#onMessage(m)));
    s.on('error', (e: Error) => this.#fail(e.message));
    s.on('close', () => this.#fail(`stream closed early (rst ${s.rstCode})`));
    s.write(requestHeadersFor(w, n));
    if (w.mode === FD) for (const b of w.bodies[this.#variant]!) s.write(b);
  }

  #onMessage(m: Buffer): void {
    if (this.#done) return;
    const k = this.#kind;
    classify(m, k);
    if (k.routed) this.#routed = true;
    const s = this.#stream;
    switch (k.kind) {
      case R_REQUEST_HEADERS:
        this.#gotHeaders = true;
        if (this.#w.mode !== FD) for (const b of this.#w.bodies[this.#variant]!) s.write(b);
        break;
      case R_REQUEST_BODY:
        if (k.bodyEnd) this.#gotBodyEnd = true;
        break;
      case R_RESPONSE_HEADERS:
        if (this.#w.mode !== FD) s.write(this.#w.responseBody);
        return;
      case R_RESPONSE_BODY:
        if (k.bodyEnd) this.#finish(true);
        return;
      case R_IMMEDIATE:
        this.#driver.onImmediate();
        this.#finish(false);
        return;
      default:
        this.#fail(`unexpected response kind ${k.kind}`);
        return;
    }
    if (this.#requestPhaseMs < 0 && this.#gotHeaders && this.#gotBodyEnd) {
      this.#requestPhaseMs = performance.now() - this.#startedAt;
      s.write(this.#w.responseHeaders);
      if (this.#w.mode === FD) s.write(this.#w.responseBody);
    }
  }

  #finish(ok: boolean): void {
    if (this.#done) return;
    this.#done = true;
    const s = this.#stream;
    s.end();
    if (this.#driver.resetOnClose) s.close(NGHTTP2_CANCEL);
    if (ok) this.#driver.onDone(this.#requestPhaseMs, performance.now() - this.#startedAt, this.#routed);
    else this.#driver.onError('');
  }

  #fail(why: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#stream.close(NGHTTP2_CANCEL);
    this.#driver.onError(why);
  }
}

export class Driver {
  /**
   * true: half-close then RST_STREAM(CANCEL), as Envoy closes an ext_proc stream; false: half-close only and
   * let the server finish the call (Envoy's opt-in ext_proc_graceful_grpc_close).
   */
  resetOnClose = true;
  readonly #sessions: http2.ClientHttp2Session[] = [];
  #next = 0;
  #n = 0;
  #w: Workload | null = null;
  #stats: PhaseStats = emptyStats(0);
  #inflight = 0;
  #onIdle: (() => void) | null = null;
  #refill: (() => void) | null = null;

  static async connect(address: string, connections: number): Promise<Driver> {
    const d = new Driver();
    for (let i = 0; i < connections; i++) {
      const s = http2.connect(`http://${address}`, { settings: { initialWindowSize: WINDOW, maxConcurrentStreams: 1 << 20 } });
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('error', reject);
      });
      s.setLocalWindowSize(WINDOW);
      s.on('error', () => {});
      d.#sessions.push(s);
    }
    return d;
  }

  close(): void {
    for (const s of this.#sessions) s.close();
  }

  /** Keeps `concurrency` requests in flight for `ms`, then waits for the stragglers. */
  async closedLoop(w: Workload, concurrency: number, ms: number, maxSamples = 1_000_000): Promise<PhaseStats> {
    this.#begin(w, maxSamples);
    const t0 = performance.now();
    const end = t0 + ms;
    this.#refill = () => {
      while (this.#inflight < concurrency && performance.now() < end) this.#start();
    };
    this.#refill();
    await this.#idle();
    this.#refill = null;
    this.#stats.elapsedMs = performance.now() - t0;
    return this.#stats;
  }

  /** Starts requests at `rate` per second for `ms` (open loop, Poisson-free even spacing), then drains. */
  async openLoop(w: Workload, rate: number, ms: number): Promise<PhaseStats> {
    this.#begin(w, Math.ceil((rate * ms) / 1000) + 16);
    const t0 = performance.now();
    let started = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.min(Math.floor(((now - t0) * rate) / 1000), Math.floor((ms * rate) / 1000));
        // Do not pile up without bound when the server falls behind.
        while (started < due && this.#inflight < 4096) {
          this.#start();
          started++;
        }
        if (now - t0 >= ms) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await this.#idle();
    this.#stats.elapsedMs = performance.now() - t0;
    return this.#stats;
  }

  #begin(w: Workload, maxSamples: number): void {
    this.#w = w;
    this.#stats = emptyStats(maxSamples);
  }

  #start(): void {
    this.#inflight++;
    const session = this.#sessions[this.#next++ % this.#sessions.length]!;
    new Exchange(this, this.#w!, this.#n++, session);
  }

  #idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#onIdle = resolve));
  }

  #settled(): void {
    this.#inflight--;
    this.#refill?.();
    if (this.#inflight === 0 && this.#onIdle) {
      const f = this.#onIdle;
      this.#onIdle = null;
      f();
    }
  }

  onDone(requestPhaseMs: number, streamMs: number, routed: boolean): void {
    const st = this.#stats;
    const i = st.completed++;
    if (i < st.requestPhaseMs.length) {
      st.requestPhaseMs[i] = requestPhaseMs;
      st.streamMs[i] = streamMs;
    }
    if (routed) st.routed++;
    this.#settled();
  }

  onImmediate(): void {
    this.#stats.immediate++;
  }

  onError(why: string): void {
    const st = this.#stats;
    st.errors++;
    if (!st.firstError && why) st.firstError = why;
    this.#settled();
  }
}

function emptyStats(maxSamples: number): PhaseStats {
  return { completed: 0, errors: 0, routed: 0, immediate: 0, elapsedMs: 0, requestPhaseMs: new Float64Array(maxSamples), streamMs: new Float64Array(maxSamples), firstError: '' };
}

/** The q-quantile of the first n samples (sorts a copy). */
export function quantile(samples: Float64Array, n: number, q: number): number {
  const m = Math.min(n, samples.length);
  if (m === 0) return NaN;
  const s = samples.slice(0, m).sort();
  return s[Math.min(m - 1, Math.floor(q * m))]!;
}
