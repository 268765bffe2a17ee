/**
 * Incremental HTTP/1.x response parser for PageClient: status line and headers, then a Content-Length,
 * chunked or read-until-close body, fed with socket reads of any size and split anywhere. Keeps only a 200's
 * body; other bodies are read and dropped so the connection stays usable. Interim 1xx responses are skipped.
 */

/**
 * Called once per response, synchronously from push() or endOfInput(). The page is body[start, end) (empty
 * unless the status is 200), valid only during the call: it is the socket's read buffer or the parser's own.
 */
export type ResponseHandler = (status: number, body: Buffer, start: number, end: number, keepAlive: boolean) => void;

/** The body of a response that has none (and of failures): one shared empty buffer. */
export const NO_BODY = Buffer.alloc(0);

export class PageTooLargeError extends Error {
  override name = 'PageTooLargeError';
}

export class HttpProtocolError extends Error {
  override name = 'HttpProtocolError';
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
const PAGE_BUFFER_STEP = 64 * 1024;

// States.
const IDLE = 0;
const HEAD = 1;
const BODY_LENGTH = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const TRAILERS = 6;
const BODY_UNTIL_CLOSE = 7;

export class ResponseParser {
  /** Why push() or endOfInput() returned false. */
  error: Error | null = null;
  readonly #maxBytes: number;
  readonly #onResponse: ResponseHandler;
  #state = IDLE;
  #status = 0;
  #keepAlive = true;
  #head = Buffer.allocUnsafe(1024);
  #headLen = 0;
  /**
   * A page that spans several reads is joined here: allocated at the first such page, grown in 64 KB steps
   * to the largest seen, reused. (Most pages arrive in one read and are decoded in place.)
   */
  #page = Buffer.alloc(0);
  #pageLen = 0;
  /** Bytes left in the Content-Length body or in the current chunk. */
  #remaining = 0;
  /** The chunk-size, chunk-end or trailer line being read. */
  #line = '';

  constructor(maxBytes: number, onResponse: ResponseHandler) {
    this.#maxBytes = maxBytes;
    this.#onResponse = onResponse;
  }

  /** A request went out: the next bytes start its response. */
  expectResponse(): void {
    this.#state = HEAD;
    this.#status = 0;
    this.#headLen = 0;
    this.#pageLen = 0;
    this.#line = '';
    this.error = null;
  }

  /** Forget the response in progress (the connection is being dropped). */
  reset(): void {
    this.#state = IDLE;
  }

  /**
   * Parses buf[off, end). Returns false on a protocol error, a page over the limit, or bytes that arrive
   * when no response is expected (`error` says which); the connection must then be dropped.
   */
  push(buf: Buffer, off: number, end: number): boolean {
    while (off < end) {
      switch (this.#state) {
        case IDLE:
          return this.#failed(new HttpProtocolError('bytes received outside a response'));
        case HEAD:
          off = this.#readHead(buf, off, end);
          break;
        case BODY_LENGTH: {
          const take = Math.min(this.#remaining, end - off);
          if (take === this.#remaining && this.#pageLen === 0) {
            // The whole body is in this read (the common case): handed out where it lies, no copy.
            this.#remaining = 0;
            if (this.#status === 200) this.#finishWith(buf, off, off + take);
            else this.#finish();
            off += take;
            break;
          }
          if (!this.#append(buf, off, take)) return false;
          off += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case CHUNK_SIZE:
          off = this.#readLine(buf, off, end);
          if (this.#line.endsWith('\n')) this.#onChunkSize();
          break;
        case CHUNK_DATA: {
          const take = Math.min(this.#remaining, end - off);
          if (!this.#append(buf, off, take)) return false;
          off += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_END;
          break;
        }
        case CHUNK_DATA_END:
          off = this.#readLine(buf, off, end);
          if (this.#line.endsWith('\n')) {
            if (this.#line.trim() !== '') return this.#failed(new HttpProtocolError('malformed chunk ending'));
            this.#line = '';
            this.#state = CHUNK_SIZE;
          }
          break;
        case TRAILERS:
          off = this.#readLine(buf, off, end);
          if (this.#line.endsWith('\n')) {
            const blank = this.#line.trim() === '';
            this.#line = '';
            if (blank) this.#finish();
          }
          break;
        case BODY_UNTIL_CLOSE:
          if (!this.#append(buf, off, end - off)) return false;
          off = end;
          break;
      }
      if (this.error) return false;
    }
    return true;
  }

  /**
   * The connection ended. Completes a read-until-close body and returns true; returns true when no response
   * was in progress; otherwise false (`error` set).
   */
  endOfInput(): boolean {
    if (this.#state === BODY_UNTIL_CLOSE) {
      this.#finish();
      return true;
    }
    if (this.#state === IDLE) return true;
    return this.#failed(new HttpProtocolError('connection closed before the response ended'));
  }

  #failed(err: Error): false {
    this.error = err;
    this.#state = IDLE;
    return false;
  }

  /** Ends the response with the body joined in #page (empty unless 200). */
  #finish(): void {
    if (this.#status === 200) this.#finishWith(this.#page, 0, this.#pageLen);
    else this.#finishWith(NO_BODY, 0, 0);
  }

  #finishWith(body: Buffer, start: number, end: number): void {
    this.#state = IDLE;
    this.#onResponse(this.#status, body, start, end, this.#keepAlive);
  }

  /** Copies header bytes up to the blank line; parses the head once it is complete. */
  #readHead(buf: Buffer, off: number, end: number): number {
    let head = this.#head;
    let len = this.#headLen;
    for (; off < end; off++) {
      const c = buf[off]!;
      if (len === head.length) {
        if (len >= MAX_HEAD_BYTES) {
          this.#failed(new HttpProtocolError('response head too large'));
          return end;
        }
        const grown = Buffer.allocUnsafe(len * 2);
        head.copy(grown);
        this.#head = head = grown;
      }
      head[len++] = c;
      // End of head: "\r\n\r\n", or a bare "\n\n".
      if (c === 10 && len >= 2 && (head[len - 2] === 10 || (head[len - 2] === 13 && len >= 4 && head[len - 3] === 10 && head[len - 4] === 13))) {
        this.#headLen = len;
        this.#onHead();
        return off + 1;
      }
    }
    this.#headLen = len;
    return off;
  }

  #onHead(): void {
    const text = this.#head.toString('latin1', 0, this.#headLen);
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(text);
    if (!m) {
      this.#failed(new HttpProtocolError(`malformed status line ${JSON.stringify(text.slice(0, 40))}`));
      return;
    }
    const status = Number(m[2]);
    if (status < 200) {
      this.#headLen = 0; // interim response (100 Continue, 103 Early Hints): the final one follows
      return;
    }
    this.#status = status;
    let length = -1;
    let chunked = false;
    let connection = '';
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = /^\d+$/.test(value) ? Number(value) : -2;
      else if (name === 'transfer-encoding') chunked = value.endsWith('chunked');
      else if (name === 'connection') connection = value;
    }
    this.#keepAlive = m[1] === '1' ? connection !== 'close' : connection === 'keep-alive';
    if (status === 204 || status === 304) {
      this.#finishWith(NO_BODY, 0, 0); // never a body
    } else if (chunked) {
      this.#state = CHUNK_SIZE;
      this.#line = '';
    } else if (length === -2) {
      this.#failed(new HttpProtocolError('malformed content-length'));
    } else if (length >= 0) {
      if (status === 200 && length > this.#maxBytes) {
        this.#failed(new PageTooLargeError(`page of ${length} bytes exceeds ${this.#maxBytes}`));
        return;
      }
      this.#remaining = length;
      this.#state = BODY_LENGTH;
      if (length === 0) this.#finishWith(NO_BODY, 0, 0);
    } else {
      this.#keepAlive = false;
      this.#state = BODY_UNTIL_CLOSE;
    }
  }

  #onChunkSize(): void {
    const line = this.#line;
    const semi = line.indexOf(';');
    const hex = (semi >= 0 ? line.slice(0, semi) : line).trim();
    this.#line = '';
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) {
      this.#failed(new HttpProtocolError(`malformed chunk size ${JSON.stringify(hex)}`));
      return;
    }
    const size = parseInt(hex, 16);
    if (size === 0) {
      this.#state = TRAILERS;
    } else {
      this.#remaining = size;
      this.#state = CHUNK_DATA;
    }
  }

  /** Appends bytes to #line up to and including '\n'. Lines here are short: chunk sizes and trailers. */
  #readLine(buf: Buffer, off: number, end: number): number {
    const nl = buf.indexOf(10, off);
    const stop = nl >= 0 && nl < end ? nl + 1 : end;
    this.#line += buf.toString('latin1', off, stop);
    if (this.#line.length > MAX_LINE_BYTES) {
      this.#failed(new HttpProtocolError('line too long'));
      return end;
    }
    return stop;
  }

  /** Adds body bytes to the page (only a 200's body is kept). False when the page got too large. */
  #append(buf: Buffer, off: number, count: number): boolean {
    if (this.#status !== 200 || count === 0) return true;
    const need = this.#pageLen + count;
    if (need > this.#maxBytes) return this.#failed(new PageTooLargeError(`page exceeds ${this.#maxBytes} bytes`));
    if (need > this.#page.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#maxBytes, Math.ceil(need / PAGE_BUFFER_STEP) * PAGE_BUFFER_STEP));
      this.#page.copy(grown, 0, 0, this.#pageLen);
      this.#page = grown;
    }
    buf.copy(this.#page, this.#pageLen, off, off + count);
    this.#pageLen = need;
    return true;
  }
}
