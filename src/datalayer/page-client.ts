/**
 * A minimal HTTP/1.1 client for one job: GET a metrics page, one request at a time, over one keep-alive
 * connection (plain TCP, or TLS for https) to one model server. Handles Content-Length, chunked and read-until-close bodies, interim 1xx
 * responses and `connection: close`; asks for no compression.
 *
 * Why not undici: at 4,000 pages of 60 KB per second (200 endpoints every 50 ms) the picker spent most of its
 * scrape CPU on copies and GC: every socket read allocated a new ArrayBuffer (external memory, which kept
 * triggering major GCs), undici copied each read into llhttp's wasm memory, and the body went through a
 * stream. Here every socket reads into one shared buffer (net `onread`: no allocation per read), and a page
 * that arrives in one read is handed to the caller where it lies. bench/overhead/scrape-fleet.bench.ts: 157 -> 64 us of CPU per
 * scrape (figures in bench/overhead/README.md, "scrape").
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { NO_BODY, ResponseParser } from './response-parser.ts';

/**
 * Called once per get(): an error, or the status and (for 200) the page as body[start, end). The bytes are
 * valid only during the call (they sit in the shared read buffer); decode what is needed before returning.
 */
export type PageCallback = (err: Error | null, status: number, body: Buffer, start: number, end: number) => void;


/**
 * Shared by every connection: Node calls an onread callback synchronously per read, and each callback has
 * consumed its bytes before the next read can land in the buffer. 256 KB: a whole 60 KB page usually
 * arrives in one read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * TLS for an https page (metrics-data-source scheme https): CA, client certificate and key (mTLS), and
 * whether the server certificate is verified. null = plain HTTP.
 */
export type PageTls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;

export class PageClient {
  readonly #host: string;
  readonly #port: number;
  readonly #request: Buffer;
  readonly #parser: ResponseParser;
  readonly #onRead: (n: number) => boolean;
  readonly #tls: PageTls | null;
  /** TLS reads: node:tls has no `onread`, so each decrypted chunk is pushed as it comes. */
  readonly #onData: (chunk: Buffer) => void;
  #socket: Socket | null = null;
  #callback: PageCallback | null = null;
  #closed = false;
  /** Told when the server closes the idle keep-alive connection (a killed server's kernel does at once). */
  onIdleClose: (() => void) | null = null;

  /** `host` is an IP (v4 or v6, no brackets); `hostHeader` the authority ("ip:port", IPv6 in brackets). */
  constructor(host: string, port: number, hostHeader: string, path: string, maxBytes: number, tls: PageTls | null = null) {
    this.#host = host;
    this.#tls = tls;
    this.#port = port;
    this.#request = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: ${hostHeader}\r\naccept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\nuser-agent: epp\r\n\r\n`, 'latin1');
    this.#parser = new ResponseParser(maxBytes, (status, body, start, end, keepAlive) => this.#complete(status, body, start, end, keepAlive));
    this.#onRead = (n) => {
      if (!this.#parser.push(READ_BUFFER, 0, n)) this.#fail(this.#parser.error ?? new Error('unexpected bytes'));
      return true;
    };
    this.#onData = (chunk) => {
      if (!this.#parser.push(chunk, 0, chunk.length)) this.#fail(this.#parser.error ?? new Error('unexpected bytes'));
    };
  }

  /** Sends the GET; `callback` gets the outcome. One request at a time. */
  get(callback: PageCallback): void {
    if (this.#callback) throw new Error('PageClient: a request is already in flight');
    if (this.#closed) {
      callback(new Error('PageClient: closed'), 0, NO_BODY, 0, 0);
      return;
    }
    this.#callback = callback;
    this.#parser.expectResponse();
    (this.#socket ?? this.#open()).write(this.#request);
  }

  /** Fails the request in flight with `reason` and drops the connection (the next get reconnects). */
  abort(reason: Error): void {
    if (this.#callback) this.#fail(reason);
  }

  /** Fails a request in flight, closes the connection; resolves once the socket is closed. */
  close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    if (!socket) {
      if (this.#callback) this.#fail(new Error('PageClient: closed'));
      return Promise.resolve();
    }
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (this.#callback) this.#fail(new Error('PageClient: closed'));
    else this.#drop();
    return closed;
  }

  #open(): Socket {
    let socket: Socket;
    if (this.#tls === null) {
      socket = connect({ host: this.#host, port: this.#port, noDelay: true, onread: { buffer: READ_BUFFER, callback: this.#onRead } });
    } else {
      // Writes before the handshake completes are queued by the TLS socket.
      socket = connectTls({ host: this.#host, port: this.#port, ...this.#tls, ALPNProtocols: ['http/1.1'] });
      socket.setNoDelay(true);
      socket.on('data', this.#onData);
    }
    socket.unref(); // like the scrape timers: an idle scrape loop does not keep the process alive
    socket.on('error', (err) => {
      if (this.#socket === socket && this.#callback) this.#fail(err);
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      // A body without length ends with the connection; anything else cut short is a failure.
      if (this.#callback && !this.#parser.endOfInput()) this.#fail(this.#parser.error ?? new Error('connection closed before the response ended'));
      else if (this.#callback === null && !this.#closed) this.onIdleClose?.();
    });
    this.#socket = socket;
    return socket;
  }

  /** Drops the connection: the next get() opens a fresh one. */
  #drop(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.destroy();
  }

  #fail(err: Error): void {
    const cb = this.#callback;
    this.#callback = null;
    this.#parser.reset();
    this.#drop();
    cb?.(err, 0, NO_BODY, 0, 0);
  }

  #complete(status: number, body: Buffer, start: number, end: number, keepAlive: boolean): void {
    const cb = this.#callback;
    this.#callback = null;
    if (!keepAlive || this.#closed) this.#drop();
    cb?.(null, status, body, start, end);
  }
}
