/**
 * One gRPC bidirectional-streaming call carried by one HTTP/2 stream, as the ext_proc Process method needs
 * it: length-prefixed messages in both directions (gRPC over HTTP/2 spec), response headers on the first
 * write, the status in trailers, Trailers-Only for a call that ends before any message.
 *
 * Incoming bytes are cut into messages and decoded with the codec; a message that sits whole in one DATA
 * chunk (the usual case) is decoded from a view of that chunk, without a copy. Messages over
 * `maxMessageBytes` end the call with RESOURCE_EXHAUSTED; undecodable ones with INTERNAL; compressed ones
 * (flag 1) with UNIMPLEMENTED: Envoy never compresses ext_proc messages, and inflating a client's message was
 * synchronous work it chose the size of (1.2 MB of gzip stalled the event loop 9 s).
 */
import { constants as http2constants, type ServerHttp2Stream } from 'node:http2';
import type { ProcessingRequest, ProcessingResponse } from '../codec/proto.ts';
import { decodeProcessingRequest } from '../codec/decode-request.ts';
import { encodeProcessingResponse } from '../codec/encode-response.ts';
import { streamedBodyHead, type REQUEST_BODY_FIELD, type RESPONSE_BODY_FIELD } from '../codec/streamed-body.ts';

/** What the call delivers to whoever handles it. */
export interface CallHandler {
  onMessage(m: ProcessingRequest): void;
  /** The client half-closed: no more messages. */
  onEnd(): void;
  /** The stream is gone (finished, reset by the client, or failed). Called once; nothing may be written after. */
  onClosed(): void;
}

export const GRPC_STATUS = { OK: 0, CANCELLED: 1, INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

/** A tick the server advances now and then; a call notes it at each message (idle sweeps, no clock read per message). */
export interface CallClock {
  readonly tick: number;
}

const NO_CLOCK: CallClock = { tick: 0 };

/** Bytes of the gRPC message prefix: compressed flag + 32-bit big-endian length. */
export const FRAME_HEADER = 5;

/** A response encoded with its gRPC prefix, ready to write (for constant responses, encoded once). */
export function framedResponse(m: ProcessingResponse): Buffer {
  const buf = encodeProcessingResponse(m, FRAME_HEADER);
  buf[0] = 0;
  buf.writeUInt32BE(buf.length - FRAME_HEADER, 1);
  return buf;
}

/** Smaller chunks are copied behind their head (one write beats two). */
const COPY_BELOW = 4096;

export class GrpcCall {
  readonly #stream: ServerHttp2Stream;
  readonly #maxMessageBytes: number;
  #handler: CallHandler | null = null;
  /** Pieces of an incomplete message, their total size, and the full size once its prefix is known (else 0). */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #need = 0;
  #headersSent = false;
  #finished = false;
  #closed = false;
  /** Status and (percent-encoded) message the trailers will carry. */
  #status = 0;
  #message = '';
  readonly #clock: CallClock;
  /** The clock's tick at the last message (or at the start). */
  lastTick: number;
  /** A whole message arrived. */
  receivedAny = false;

  constructor(stream: ServerHttp2Stream, maxMessageBytes: number, clock: CallClock = NO_CLOCK) {
    this.#stream = stream;
    this.#maxMessageBytes = maxMessageBytes;
    this.#clock = clock;
    this.lastTick = clock.tick;
  }

  get session(): ServerHttp2Stream['session'] {
    return this.#stream.session;
  }

  /** Starts delivering messages and events to `handler`. */
  start(handler: CallHandler): void {
    this.#handler = handler;
    const s = this.#stream;
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
    s.on('end', () => {
      if (!this.#closed) handler.onEnd();
    });
    s.on('close', () => this.#onClose());
    s.on('error', () => this.#onClose()); // RST from the client, session torn down: 'close' follows
  }

  /** Sends a response: a ProcessingResponse, or a Buffer already framed by framedResponse(). */
  write(m: ProcessingResponse | Buffer): void {
    const s = this.#writable();
    if (s) s.write(Buffer.isBuffer(m) ? m : framedResponse(m));
  }

  /** Sends a streamed body chunk response; a large chunk is written as is, after its encoded head. */
  writeStreamedBody(field: typeof REQUEST_BODY_FIELD | typeof RESPONSE_BODY_FIELD, body: Buffer, endOfStream: boolean): void {
    const s = this.#writable();
    if (!s) return;
    const head = streamedBodyHead(field, body.length, endOfStream);
    if (body.length < COPY_BELOW) {
      s.write(Buffer.concat([head, body], head.length + body.length));
    } else {
      s.cork(); // one writev for head and body
      s.write(head);
      s.write(body);
      s.uncork();
    }
  }

  /** The stream, once response headers are out; null when the call is over. */
  #writable(): ServerHttp2Stream | null {
    if (this.#finished || this.#closed) return null;
    const s = this.#stream;
    if (s.destroyed) return null;
    if (!this.#headersSent) {
      this.#headersSent = true;
      s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' }, { waitForTrailers: true });
      s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': String(this.#status), 'grpc-message': this.#message }));
    }
    return s;
  }

  /** Finishes the call with OK. */
  end(): void {
    this.#finish(GRPC_STATUS.OK, '');
  }

  /** Finishes the call with an error status. */
  fail(code: number, message: string): void {
    this.#finish(code, message);
  }

  /** Ends the call with CANCELLED and resets the stream: the handler hears it as a close. */
  cancel(message: string): void {
    this.#finish(GRPC_STATUS.CANCELLED, message);
    const s = this.#stream;
    if (!s.destroyed) s.close(http2constants.NGHTTP2_CANCEL);
  }

  #finish(code: number, message: string): void {
    if (this.#finished || this.#closed) return;
    this.#finished = true;
    const s = this.#stream;
    if (s.destroyed) return;
    this.#status = code;
    this.#message = encodeURIComponent(message);
    if (this.#headersSent) {
      s.end(); // trailers go out on 'wantTrailers'
    } else {
      // Trailers-Only: one HEADERS frame carries the status.
      s.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity', 'grpc-status': String(code), 'grpc-message': this.#message },
        { endStream: true },
      );
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#parts = [];
    this.#partsBytes = 0;
    this.#handler?.onClosed();
  }

  #onData(chunk: Buffer): void {
    if (this.#finished || this.#closed) return; // after a failed message the rest is dropped
    if (this.#partsBytes > 0) {
      // An incomplete message is being collected: join its pieces once, when all are here (a large message
      // arrives in many DATA frames; joining at every frame would copy it over and over).
      this.#parts.push(chunk);
      this.#partsBytes += chunk.length;
      if (this.#need === 0 && this.#partsBytes >= FRAME_HEADER && !this.#learnLength()) return;
      if (this.#need === 0 || this.#partsBytes < this.#need) return;
      chunk = Buffer.concat(this.#parts, this.#partsBytes);
      this.#parts = [];
      this.#partsBytes = 0;
      this.#need = 0;
    }
    let off = 0;
    while (chunk.length - off >= FRAME_HEADER) {
      const compressed = chunk[off]!;
      const len = chunk.readUInt32BE(off + 1);
      if (len > this.#maxMessageBytes) return this.#tooLarge(len);
      const end = off + FRAME_HEADER + len;
      if (end > chunk.length) break;
      if (compressed !== 0) {
        return this.fail(GRPC_STATUS.UNIMPLEMENTED, 'compressed ext_proc messages are not supported (grpc-accept-encoding: identity)');
      }
      const bytes = chunk.subarray(off + FRAME_HEADER, end);
      off = end;
      let m: ProcessingRequest;
      try {
        m = decodeProcessingRequest(bytes);
      } catch (err) {
        return this.fail(GRPC_STATUS.INTERNAL, `error deserializing request: ${(err as Error).message}`);
      }
      this.receivedAny = true;
      this.lastTick = this.#clock.tick;
      this.#handler!.onMessage(m);
      if (this.#finished || this.#closed) return;
    }
    if (off < chunk.length) {
      this.#parts = [chunk.subarray(off)];
      this.#partsBytes = chunk.length - off;
      this.#need = 0;
      if (this.#partsBytes >= FRAME_HEADER) this.#learnLength();
    }
  }

  /** Reads the length of the message being collected from its first 5 bytes (possibly across pieces). */
  #learnLength(): boolean {
    let len = 0;
    let seen = 0;
    for (const p of this.#parts) {
      for (let i = 0; i < p.length && seen < FRAME_HEADER; i++, seen++) if (seen > 0) len = len * 256 + p[i]!;
      if (seen === FRAME_HEADER) break;
    }
    if (len > this.#maxMessageBytes) {
      this.#tooLarge(len);
      return false;
    }
    this.#need = FRAME_HEADER + len;
    return true;
  }

  #tooLarge(len: number): void {
    this.#parts = [];
    this.#partsBytes = 0;
    this.fail(GRPC_STATUS.RESOURCE_EXHAUSTED, `received message larger than max (${len} vs. ${this.#maxMessageBytes})`);
  }
}
