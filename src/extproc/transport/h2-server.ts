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
}

const STREAM_WINDOW = 1 << 20;
const SESSION_WINDOW = 16 << 20;
const { HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD, HTTP2_HEADER_CONTENT_TYPE } = http2.constants;

export class GrpcH2Server {
  readonly #options: GrpcH2ServerOptions;
  readonly #server: http2.Http2Server | http2.Http2SecureServer;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  #port = 0;

  constructor(options: GrpcH2ServerOptions) {
    this.#options = options;
    const settings: http2.Settings = { initialWindowSize: STREAM_WINDOW };
    const common = { settings, streamResetBurst: 2 ** 31 - 1, streamResetRate: 2 ** 31 - 1, maxSessionMemory: Number.MAX_SAFE_INTEGER };
    this.#server = options.tls
      ? http2.createSecureServer({ ...common, cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['h2'], allowHTTP1: false })
      : http2.createServer(common);
    this.#server.on('session', (session: http2.ServerHttp2Session) => this.#onSession(session));
    this.#server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => this.#onStream(stream, headers));
    this.#server.on('sessionError', () => {}); // a broken connection only affects its own streams
    this.#server.on('tlsClientError', () => {});
  }

  get port(): number {
    return this.#port;
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
    return this.#port;
  }

  /**
   * Stops accepting connections and sends GOAWAY on the open ones, so no new stream starts while open
   * streams finish. Resolves when every connection has closed, or after `graceMs`, when the rest are cut.
   */
  shutdown(graceMs: number): Promise<void> {
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
    this.#options.onCall(new GrpcCall(stream, this.#options.maxMessageBytes));
  }
}
