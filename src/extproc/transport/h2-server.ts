/**
 * A gRPC server on node:http2 for one bidirectional-streaming method (ext_proc Process), in place of
 * @grpc/grpc-js on the request path. bench/overhead/extproc.bench.ts measured grpc-js with proto-loader at about twice
 * the CPU per request of plain node:http2 for the same exchange (figures in bench/overhead/README.md,
 * "ext_proc cost"); the gRPC wire protocol needed here (framing, status trailers, Trailers-Only) is small.
 *
 * HTTP/2 settings, and why:
 *  - streamResetBurst/streamResetRate: Envoy ends every ext_proc stream with a reset after its half-close.
 *    nghttp2's default budget (1,000 resets, refilled at 33/s) would make this server send GOAWAY to Envoy
 *    after ~1,000 requests at more than 33 requests/s (a grpc-js server cannot change it);
 *  - larger flow-control windows, so large request bodies are not paced by WINDOW_UPDATE round trips;
 *  - no session memory cap (as grpc-js): a busy session is not refused new streams.
 * With nghttp2's reset limit off, abuse is bounded here instead (AbuseLimits): a connection whose streams are
 * reset before they carry a single message (rapid reset; Envoy's own resets follow its messages and a
 * half-close) faster than the budget gets GOAWAY ENHANCE_YOUR_CALM; a stream with no message for the idle
 * limit is ended; SETTINGS_MAX_CONCURRENT_STREAMS caps the streams of one connection.
 * grpc.health.v1.Health/Check is answered too (health-check.ts). Anything else gets UNIMPLEMENTED; a non-gRPC content-type gets HTTP 415.
 * grpc-timeout is not enforced (Envoy ends ext_proc streams itself: message_timeout, request end), and
 * responses are never compressed.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { GRPC_STATUS, GrpcCall } from './grpc-call.ts';
import { HEALTH_CHECK_PATH, serveHealthCheck, type ServingStatus } from './health-check.ts';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** --tls-min-version, in node:tls terms (Node's default, TLSv1.2, when absent). */
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** --tls-cipher-suites as an OpenSSL cipher string (Node's defaults when absent). */
  ciphers?: string | undefined;
}

export interface GrpcH2ServerOptions {
  /** "/package.Service/Method". */
  path: string;
  maxMessageBytes: number;
  /** null = plaintext (h2c). */
  tls: TlsMaterial | null;
  onCall(call: GrpcCall): void;
  /** Answers grpc.health.v1.Health/Check on this port too (Envoy health-checks the ext_proc cluster). */
  healthCheck?: ((service: string) => ServingStatus) | undefined;
  limits?: Partial<AbuseLimits> | undefined;
  /** Told when a connection is sent away or a stream ended for abuse (for the log). */
  onAbuse?: ((what: string, remote: string) => void) | undefined;
}

export interface AbuseLimits {
  /** Streams a connection may have reset before their first message, per second (the burst is twice this). */
  readonly earlyResetsPerSecond: number;
  /** A stream that carries no message for this long is ended with CANCELLED. */
  readonly streamIdleMs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: Envoy opens another connection past it. */
  readonly maxConcurrentStreams: number;
}

/**
 * Envoy resets ext_proc streams only after their messages, so early resets are never its normal pattern; 100/s
 * leaves room for many requests cancelled at birth. The idle limit is far above any LLM response: a stream
 * waits through the model server's queue and a long generation without a message only between chunks.
 */
export const DEFAULT_ABUSE_LIMITS: AbuseLimits = { earlyResetsPerSecond: 100, streamIdleMs: 15 * 60_000, maxConcurrentStreams: 10_000 };

const STREAM_WINDOW = 1 << 20;
const SESSION_WINDOW = 16 << 20;
const { HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD, HTTP2_HEADER_CONTENT_TYPE, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/** Early-reset budget of one connection (token bucket). */
interface ResetBudget {
  tokens: number;
  at: number;
}

export class GrpcH2Server {
  readonly #options: GrpcH2ServerOptions;
  readonly #server: http2.Http2Server | http2.Http2SecureServer;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #limits: AbuseLimits;
  readonly #budgets = new WeakMap<http2.Http2Session, ResetBudget>();
  /** Open calls, swept for idleness; `clock.tick` counts sweeps, each call notes the tick of its last message. */
  readonly #calls = new Set<GrpcCall>();
  readonly #clock = { tick: 0 };
  readonly #sweepMs: number;
  #sweeper: NodeJS.Timeout | null = null;
  #port = 0;

  constructor(options: GrpcH2ServerOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_ABUSE_LIMITS, ...options.limits };
    this.#sweepMs = Math.min(60_000, Math.max(5, Math.floor(this.#limits.streamIdleMs / 10)));
    const settings: http2.Settings = { initialWindowSize: STREAM_WINDOW, maxConcurrentStreams: this.#limits.maxConcurrentStreams };
    const common = { settings, streamResetBurst: 2 ** 31 - 1, streamResetRate: 2 ** 31 - 1, maxSessionMemory: Number.MAX_SAFE_INTEGER };
    this.#server = options.tls
      ? http2.createSecureServer({ ...common, ...secureContextOptions(options.tls), ALPNProtocols: ['h2'], allowHTTP1: false })
      : http2.createServer(common);
    this.#server.on('session', (session: http2.ServerHttp2Session) => this.#onSession(session));
    this.#server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => this.#onStream(stream, headers));
    this.#server.on('sessionError', () => {}); // a broken connection only affects its own streams
    this.#server.on('tlsClientError', () => {});
  }

  get port(): number {
    return this.#port;
  }

  /**
   * Swaps the certificate (--enable-cert-reload): handshakes from now on use it, open connections keep theirs.
   * Throws, keeping the current one, when the pair does not load (a key not matching the certificate).
   */
  setCertificate(pair: { cert: Buffer; key: Buffer }): void {
    const tls = this.#options.tls;
    if (tls === null) throw new Error('setCertificate on a plaintext server');
    (this.#server as http2.Http2SecureServer).setSecureContext(secureContextOptions({ ...tls, ...pair }));
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    this.#sweeper = setInterval(() => this.#sweep(), this.#sweepMs).unref();
    return this.#port;
  }

  /**
   * Stops accepting connections and sends GOAWAY on the open ones, so no new stream starts while open
   * streams finish. Resolves when every connection has closed, or after `graceMs`, when the rest are cut.
   */
  shutdown(graceMs: number): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        for (const s of this.#sessions) s.destroy();
        this.#server.close(() => finish());
      }, graceMs);
      this.#server.close(() => finish()); // called once every session has closed
      for (const s of this.#sessions) s.close();
    });
  }

  #onSession(session: http2.ServerHttp2Session): void {
    this.#sessions.add(session);
    session.on('close', () => this.#sessions.delete(session));
    session.on('error', () => {});
    session.once('localSettings', () => session.setLocalWindowSize(SESSION_WINDOW));
  }

  #onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => {});
    const contentType = headers[HTTP2_HEADER_CONTENT_TYPE];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    if (headers[HTTP2_HEADER_PATH] === HEALTH_CHECK_PATH && this.#options.healthCheck) {
      serveHealthCheck(stream, this.#options.healthCheck);
      return;
    }
    if (headers[HTTP2_HEADER_PATH] !== this.#options.path || headers[HTTP2_HEADER_METHOD] !== 'POST') {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(GRPC_STATUS.UNIMPLEMENTED), 'grpc-message': encodeURIComponent(`unknown method ${String(headers[HTTP2_HEADER_PATH])}`) },
        { endStream: true },
      );
      return;
    }
    const call = new GrpcCall(stream, this.#options.maxMessageBytes, this.#clock);
    this.#calls.add(call);
    const session = stream.session;
    stream.once('close', () => {
      // Not in the set any more: the idle sweep ended it, and the reset was ours.
      if (this.#calls.delete(call) && stream.rstCode !== 0 && !call.receivedAny) this.#earlyReset(session);
    });
    this.#options.onCall(call);
  }

  /** Spends one token of the connection's early-reset budget; an empty budget sends the connection away. */
  #earlyReset(session: http2.Http2Session | undefined): void {
    if (session === undefined || session.destroyed || session.closed) return;
    const rate = this.#limits.earlyResetsPerSecond;
    const now = performance.now();
    let b = this.#budgets.get(session);
    if (b === undefined) this.#budgets.set(session, (b = { tokens: 2 * rate, at: now }));
    b.tokens = Math.min(2 * rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (--b.tokens >= 0) return;
    this.#options.onAbuse?.(`more than ${rate} streams per second reset before their first message: GOAWAY`, remoteOf(session));
    session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    session.close();
  }

  /** Ends calls that carried no message for the idle limit. */
  #sweep(): void {
    const tick = ++this.#clock.tick;
    const idleTicks = Math.ceil(this.#limits.streamIdleMs / this.#sweepMs);
    for (const call of this.#calls) {
      if (tick - call.lastTick > idleTicks) {
        this.#calls.delete(call);
        this.#options.onAbuse?.(`stream idle for more than ${this.#limits.streamIdleMs} ms: ended`, remoteOf(call.session));
        call.cancel(`ext_proc stream idle for more than ${this.#limits.streamIdleMs} ms`);
      }
    }
  }
}

function secureContextOptions(tls: TlsMaterial): { cert: Buffer; key: Buffer; minVersion?: TlsMaterial['minVersion']; ciphers?: string } {
  return { cert: tls.cert, key: tls.key, ...(tls.minVersion ? { minVersion: tls.minVersion } : {}), ...(tls.ciphers ? { ciphers: tls.ciphers } : {}) };
}

function remoteOf(session: http2.Http2Session | undefined): string {
  const sock = session?.socket;
  return sock ? `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}` : '?';
}
