/**
 * One ext_proc Process stream = one HTTP request, driven exactly as Envoy drives it:
 *   request_headers -> request_body* -> request_trailers? -> response_headers -> response_body* -> response_trailers?
 * Every message gets one response of the matching kind, except in FULL_DUPLEX_STREAMED, where the picker holds
 * the headers response until the body is complete, decides, then answers headers and streams the body back.
 * Client half-close and CANCELLED both end the request normally; nothing is written after either.
 *
 * This file speaks the protocol only: what a request means (parsing, model, routing, accounting, response
 * metrics) is the director's (src/requestcontrol/director.ts).
 */
import type { Logger } from 'pino';
import type { TerminationCause } from '../framework/requestcontrol.ts';
import type { RequestBody } from '../requestcontrol/director.ts';
import type { ErrorDecision, RequestDecision, RouteDecision } from '../requestcontrol/decision.ts';
import { EppError } from '../requestcontrol/errors.ts';
import type { PendingDecision } from '../requestcontrol/flow-gate.ts';
import { RequestContext } from '../requestcontrol/request-context.ts';
import type { BodySendMode, HeaderValueOption, ProcessingRequest, ProcessingResponse } from './codec/proto.ts';
import * as msg from './messages.ts';
import { readHeaders, servedEndpoint, subsetHint } from './request-metadata.ts';
import { framedResponse, type CallHandler } from './transport/grpc-call.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD } from './codec/streamed-body.ts';

/** What a stream needs from request control (src/requestcontrol/director.ts). */
export interface StreamDirector {
  handleRequestHeaders(ctx: RequestContext): void;
  /** The decision now, or a pending one when flow control queues the request. */
  admit(ctx: RequestContext, body: RequestBody | null): RequestDecision | PendingDecision;
  handleError(ctx: RequestContext, err: EppError): ErrorDecision;
  handleResponseHeaders(ctx: RequestContext, headers: ReadonlyMap<string, string>, servedKey: string): void;
  handleResponseBody(ctx: RequestContext, chunk: Buffer): Buffer;
  handleResponseComplete(ctx: RequestContext, cause: TerminationCause): void;
}

export interface StreamOptions {
  director: StreamDirector;
  logger: Logger;
  /** Larger request bodies get 413. */
  maxBodyBytes: number;
  /** Body modes assumed when Envoy sends no protocol_config (Envoy < 1.34). */
  requestBodyMode: BodySendMode;
  responseBodyMode: BodySendMode;
  /** Called once when the stream ends, however it ends. */
  onClose?: () => void;
  /** Called once when the stream ends with the request body bytes it received (0 when none). */
  onBodyDone?: (bytes: number) => void;
}

/** What a stream needs from its transport (transport/grpc-call.ts). */
export interface ExtProcCall {
  /** A response object, or one already encoded by framedResponse(). */
  write(m: ProcessingResponse | Buffer): void;
  /** A FULL_DUPLEX_STREAMED body chunk response (request_body = 3, response_body = 4), chunk not copied. */
  writeStreamedBody(field: typeof REQUEST_BODY_FIELD | typeof RESPONSE_BODY_FIELD, chunk: Buffer, endOfStream: boolean): void;
  /** Ends the call with OK. */
  end(): void;
  /** Ends the call with a gRPC error status. */
  fail(code: number, message: string): void;
}

/** gRPC INVALID_ARGUMENT: the client broke the ext_proc message order. */
const INVALID_ARGUMENT = 3;

// Where the stream is in Envoy's message order (one HTTP request per stream).
const AWAIT_REQUEST_HEADERS = 0;
const REQUEST = 1;
const RESPONSE = 2;
const RESPONSE_TRAILERS_SEEN = 3;

// The constant answers, encoded once (each write of these is a buffer write, no encoding).
const FRAMED_CONTINUE_REQUEST_HEADERS = framedResponse(msg.CONTINUE_REQUEST_HEADERS);
const FRAMED_CONTINUE_REQUEST_BODY = framedResponse(msg.CONTINUE_REQUEST_BODY);
const FRAMED_CONTINUE_RESPONSE_HEADERS = framedResponse(msg.CONTINUE_RESPONSE_HEADERS);
const FRAMED_CONTINUE_RESPONSE_BODY = framedResponse(msg.CONTINUE_RESPONSE_BODY);
const FRAMED_REQUEST_TRAILERS_RESPONSE = framedResponse(msg.REQUEST_TRAILERS_RESPONSE);
const FRAMED_RESPONSE_TRAILERS_RESPONSE = framedResponse(msg.RESPONSE_TRAILERS_RESPONSE);

export class ExtProcStream implements CallHandler {
  readonly #call: ExtProcCall;
  readonly #o: StreamOptions;
  readonly #ctx = new RequestContext();
  #reqBodyMode: BodySendMode;
  #respBodyMode: BodySendMode;
  #bodyChunks: Buffer[] = [];
  #bodyBytes = 0;
  /** Routing decided (or answered with an immediate response). */
  #decided = false;
  /** Body chunks were rewritten by the director: answered with a body mutation in non-streamed modes. */
  #rewritesResponse = false;
  #closed = false;
  /** The request is over for the director (completed, rejected or cancelled). */
  #completed = false;
  #notified = false;
  /** Position in the message order (AWAIT_REQUEST_HEADERS, REQUEST, RESPONSE, RESPONSE_TRAILERS_SEEN). */
  #phase = AWAIT_REQUEST_HEADERS;
  /** response_headers arrived (response_body may come without them when Envoy skips the headers phase). */
  #responseHeadersSeen = false;
  #responseBodySeen = false;
  #requestTrailersSeen = false;
  /** Queued by flow control: cancelled if the stream ends first. */
  #pending: PendingDecision | null = null;
  /** request_trailers arrived while queued: answered after the decision. */
  #trailersOwed = false;
  /** request_body chunks that came while queued (after a headers-only decision): answered after it. */
  #bodyContinuesOwed = 0;

  constructor(call: ExtProcCall, options: StreamOptions) {
    this.#call = call;
    this.#o = options;
    this.#reqBodyMode = options.requestBodyMode;
    this.#respBodyMode = options.responseBodyMode;
    this.#ctx.evict = () => this.#evict();
  }

  // ------------------------------------------------------------ stream lifecycle

  onEnd(): void {
    // Envoy half-closed: the request is over. Finish our side too.
    this.#leaveQueue();
    this.#complete('natural');
    if (!this.#closed) {
      this.#closed = true;
      this.#call.end();
    }
    this.#notifyClosed();
  }

  onClosed(): void {
    this.#closed = true;
    this.#leaveQueue();
    this.#complete('client-disconnect');
    this.#notifyClosed();
  }

  /** The client is gone while its request waits in flow control: it leaves the queue now. */
  #leaveQueue(): void {
    const p = this.#pending;
    if (p === null) return;
    this.#pending = null;
    p.cancel();
  }

  /** Runs `apply` with the decision once it is known; nothing when the stream ended before. */
  #await(pending: PendingDecision, apply: (d: RequestDecision) => void): void {
    this.#pending = pending;
    pending.onDecided((d) => {
      if (this.#pending !== pending) return;
      this.#pending = null;
      try {
        apply(d);
        if (!this.#completed) for (; this.#bodyContinuesOwed > 0; this.#bodyContinuesOwed--) this.#write(FRAMED_CONTINUE_REQUEST_BODY);
        if (this.#trailersOwed && !this.#completed) this.#write(FRAMED_REQUEST_TRAILERS_RESPONSE);
      } catch (err) {
        this.#o.logger.error({ err }, 'applying a queued decision failed');
      }
    });
  }

  #notifyClosed(): void {
    if (this.#notified) return;
    this.#notified = true;
    this.#bodyChunks = [];
    this.#o.onClose?.();
    this.#o.onBodyDone?.(this.#bodyBytes);
  }

  #write(m: ProcessingResponse | Buffer): void {
    if (!this.#closed) this.#call.write(m);
  }

  onMessage(m: ProcessingRequest): void {
    if (this.#closed) return;
    try {
      if (m.protocol_config) {
        this.#reqBodyMode = m.protocol_config.request_body_mode ?? 'NONE';
        this.#respBodyMode = m.protocol_config.response_body_mode ?? 'NONE';
      }
      const observe = m.observability_mode === true;
      const violation = this.#orderViolation(m.request);
      if (violation !== null) return this.#protocolError(violation);
      switch (m.request) {
        case 'request_headers':
          return this.#onRequestHeaders(m, observe);
        case 'request_body':
          return this.#onRequestBody(m, observe);
        case 'request_trailers':
          return this.#onRequestTrailers(observe);
        case 'response_headers':
          return this.#onResponseHeaders(m, observe);
        case 'response_body':
          return this.#onResponseBody(m, observe);
        case 'response_trailers':
          // Completion first: ResponseComplete hooks may leave dynamic metadata for this last answer.
          this.#complete('natural');
          if (!observe) this.#write(this.#withMetadata(FRAMED_RESPONSE_TRAILERS_RESPONSE, msg.RESPONSE_TRAILERS_RESPONSE));
          return;
        default:
          return; // unknown/empty oneof from a newer Envoy: nothing to answer
      }
    } catch (e) {
      // Never crash on input: anything unexpected becomes a 500 for this request only.
      this.#o.logger.error({ err: e, requestId: this.#ctx.request.requestId }, 'ext_proc stream failed');
      this.#reject(e instanceof EppError ? e : new EppError('INTERNAL', 'internal error while processing the request'));
    }
  }

  /**
   * Moves the stream along Envoy's order (request_headers once, request body and trailers, then the
   * response phases) and returns what a message out of that order broke, or null.
   */
  #orderViolation(kind: ProcessingRequest['request']): string | null {
    const phase = this.#phase;
    switch (kind) {
      case 'request_headers':
        if (phase !== AWAIT_REQUEST_HEADERS) return 'request_headers received twice on one stream';
        this.#phase = REQUEST;
        return null;
      // A STREAMED request body may still be flowing when the upstream answers: request messages after the
      // response started are in order; after the request's own trailers they are not.
      case 'request_body':
        if (phase === AWAIT_REQUEST_HEADERS) return 'request_body before request_headers';
        if (this.#requestTrailersSeen) return 'request_body after request_trailers';
        return null;
      case 'request_trailers':
        if (phase === AWAIT_REQUEST_HEADERS) return 'request_trailers before request_headers';
        if (this.#requestTrailersSeen) return 'request_trailers received twice on one stream';
        this.#requestTrailersSeen = true;
        return null;
      case 'response_headers':
        if (phase === AWAIT_REQUEST_HEADERS) return 'response_headers before request_headers';
        if (this.#responseHeadersSeen) return 'response_headers received twice on one stream';
        if (phase === RESPONSE_TRAILERS_SEEN) return 'response_headers after response_trailers';
        // A body without headers means Envoy skipped the headers phase: they never follow (a late one moved the
        // in-flight count of a completed request, found by test/protocol-fuzz.test.ts).
        if (this.#responseBodySeen) return 'response_headers after response_body';
        this.#responseHeadersSeen = true;
        this.#phase = RESPONSE;
        return null;
      case 'response_body':
        if (phase === AWAIT_REQUEST_HEADERS) return 'response_body before request_headers';
        if (phase === RESPONSE_TRAILERS_SEEN) return 'response_body after response_trailers';
        this.#responseBodySeen = true;
        this.#phase = RESPONSE;
        return null;
      case 'response_trailers':
        if (phase === AWAIT_REQUEST_HEADERS) return 'response_trailers before request_headers';
        if (phase === RESPONSE_TRAILERS_SEEN) return 'response_trailers received twice on one stream';
        this.#phase = RESPONSE_TRAILERS_SEEN;
        return null;
      default:
        return null;
    }
  }

  /** Ends the stream with INVALID_ARGUMENT naming the broken rule, releasing whatever the request held. */
  #protocolError(what: string): void {
    this.#o.logger.warn({ requestId: this.#ctx.request.requestId }, `ext_proc protocol violation: ${what}`);
    this.#closed = true;
    this.#leaveQueue();
    this.#complete('error');
    this.#call.fail(INVALID_ARGUMENT, `ext_proc protocol violation: ${what}`);
    this.#notifyClosed();
  }

  // ------------------------------------------------------------ request path

  #onRequestHeaders(m: ProcessingRequest, observe: boolean): void {
    const ctx = this.#ctx;
    readHeaders(m.request_headers?.headers, ctx.request.headers);
    ctx.subset = subsetHint(m);
    this.#o.director.handleRequestHeaders(ctx);
    if (observe) return;
    const mode = this.#reqBodyMode;
    if (m.request_headers?.end_of_stream === true || !(mode === 'FULL_DUPLEX_STREAMED' || mode === 'BUFFERED' || mode === 'BUFFERED_PARTIAL')) {
      // No body will reach us before the headers go upstream: route on headers alone.
      this.#decided = true;
      const decision = this.#o.director.admit(ctx, null);
      if (decision.ok === 'queued') return this.#await(decision, (d) => this.#routeHeaders(d));
      this.#routeHeaders(decision);
    } else if (mode !== 'FULL_DUPLEX_STREAMED') {
      // BUFFERED: Envoy waits for this answer before it sends the body; the decision rides on the body response.
      this.#write(FRAMED_CONTINUE_REQUEST_HEADERS);
    }
  }

  #routeHeaders(decision: RequestDecision): void {
    if (!decision.ok) return this.#answerError(decision);
    this.#write(msg.routedHeadersResponse(headerOptions(decision), decision.destination, decision.endpointScores, decision.removeHeaders));
  }

  #onRequestBody(m: ProcessingRequest, observe: boolean): void {
    const body = m.request_body;
    const eos = body?.end_of_stream === true;
    if (this.#decided) {
      // STREAMED/NONE-mode bodies after a headers-only decision: pass through unchanged.
      if (!observe && this.#reqBodyMode !== 'FULL_DUPLEX_STREAMED') {
        if (this.#pending !== null) this.#bodyContinuesOwed++;
        else this.#write(FRAMED_CONTINUE_REQUEST_BODY);
      }
      return;
    }
    const chunk = body?.body;
    if (chunk && chunk.length > 0) {
      this.#bodyBytes += chunk.length;
      if (this.#bodyBytes > this.#o.maxBodyBytes) {
        this.#bodyChunks = [];
        if (!observe) this.#reject(new EppError('BODY_TOO_LARGE', `request body exceeds the limit of ${this.#o.maxBodyBytes} bytes`));
        return;
      }
      this.#bodyChunks.push(chunk);
    }
    if (eos || this.#reqBodyMode === 'BUFFERED' || this.#reqBodyMode === 'BUFFERED_PARTIAL') {
      if (observe) return;
      this.#decideWithBody(true);
    }
  }

  #onRequestTrailers(observe: boolean): void {
    if (observe) return;
    if (!this.#decided && this.#reqBodyMode === 'FULL_DUPLEX_STREAMED') {
      // Trailers end the request body: decide now; the echoed body does not carry end_of_stream.
      this.#decideWithBody(false);
      if (this.#completed) return; // rejected with an immediate response
    }
    // Queued: the trailers' answer follows the decision's.
    if (this.#pending !== null) this.#trailersOwed = true;
    else this.#write(FRAMED_REQUEST_TRAILERS_RESPONSE);
  }

  #decideWithBody(endOfStream: boolean): void {
    this.#decided = true;
    const chunks = this.#bodyChunks;
    this.#bodyChunks = [];
    // The response phase already ended the request (messages out of Envoy's order that no rule above refuses,
    // e.g. request_headers, response_headers with end_of_stream, then the body): routing now would count an
    // in-flight request that nothing ever releases (found by test/protocol-fuzz.test.ts).
    if (this.#completed) return;
    const decision = this.#o.director.admit(this.#ctx, { chunks, bytes: this.#bodyBytes });
    if (decision.ok === 'queued') return this.#await(decision, (d) => this.#routeBody(d, chunks, endOfStream));
    this.#routeBody(decision, chunks, endOfStream);
  }

  #routeBody(decision: RequestDecision, chunks: Buffer[], endOfStream: boolean): void {
    if (!decision.ok) return this.#answerError(decision);
    this.#rewritesResponse = decision.body !== null;
    const headers = headerOptions(decision);
    if (this.#reqBodyMode === 'FULL_DUPLEX_STREAMED') {
      this.#write(msg.routedHeadersResponse(headers, decision.destination, decision.endpointScores, decision.removeHeaders));
      // Echo the body as it came (chunks are views of the received messages), or the rewritten one.
      const out = decision.body ? msg.chunkBody(decision.body) : echoChunks(chunks);
      for (let i = 0; i < out.length; i++) this.#call.writeStreamedBody(REQUEST_BODY_FIELD, out[i]!, endOfStream && i === out.length - 1);
    } else {
      this.#write(msg.routedBodyResponse(headers, decision.destination, decision.body, decision.endpointScores, decision.removeHeaders));
    }
  }

  /** Answers with an immediate response for an error the stream found itself (body too large, internal). */
  #reject(err: EppError): void {
    this.#decided = true;
    this.#answerError(this.#o.director.handleError(this.#ctx, err));
  }

  #answerError(decision: ErrorDecision): void {
    this.#write(msg.immediateError(decision.error, decision.dropReason, this.#ctx.response.headers));
    // An immediate response ends the HTTP request: whatever the director counted for it is released now.
    this.#complete('error');
  }

  // ------------------------------------------------------------ response path

  #onResponseHeaders(m: ProcessingRequest, observe: boolean): void {
    const headers = new Map<string, string>();
    readHeaders(m.response_headers?.headers, headers);
    this.#o.director.handleResponseHeaders(this.#ctx, headers, servedEndpoint(m));
    const eos = m.response_headers?.end_of_stream === true;
    if (eos) this.#complete('natural');
    if (observe) return;
    // Headers ResponseReceived hooks set for the client (e.g. a session token) ride on this answer.
    const added = this.#ctx.response.headers;
    if (added === null) return this.#write(eos ? this.#withMetadata(FRAMED_CONTINUE_RESPONSE_HEADERS, msg.CONTINUE_RESPONSE_HEADERS) : FRAMED_CONTINUE_RESPONSE_HEADERS);
    const set: HeaderValueOption[] = [];
    for (const [name, value] of added) set.push(msg.setHeader(name, value));
    const answer = msg.mutatedResponseHeaders(set);
    this.#write(eos ? this.#withMetadata(answer, answer) : answer);
  }

  #onResponseBody(m: ProcessingRequest, observe: boolean): void {
    const body = m.response_body;
    const eos = body?.end_of_stream === true;
    const chunk = this.#o.director.handleResponseBody(this.#ctx, body?.body ?? EMPTY_BUFFER);
    // Completion before the last answer: ResponseComplete hooks may leave dynamic metadata for it.
    if (eos) this.#complete('natural');
    if (observe) return;
    const metadata = eos ? this.#ctx.response.dynamicMetadata : null;
    switch (this.#respBodyMode) {
      case 'FULL_DUPLEX_STREAMED':
        if (metadata === null) {
          if (!this.#closed) this.#call.writeStreamedBody(RESPONSE_BODY_FIELD, chunk, eos);
        } else {
          this.#write({ ...msg.streamedResponseBody(chunk, eos), dynamic_metadata: msg.numberMetadata(metadata) });
        }
        break;
      case 'BUFFERED':
      case 'BUFFERED_PARTIAL':
      case 'STREAMED':
        this.#write(this.#rewritesResponse ? this.#withMetadata(msg.replacedResponseBody(chunk), null, eos) : this.#withMetadata(FRAMED_CONTINUE_RESPONSE_BODY, msg.CONTINUE_RESPONSE_BODY, eos));
        break;
      default:
        this.#write(this.#withMetadata(FRAMED_CONTINUE_RESPONSE_BODY, msg.CONTINUE_RESPONSE_BODY, eos));
    }
  }

  /**
   * The answer as it is, or, when this is the request's last answer and ResponseComplete hooks left dynamic
   * metadata, the same message with it (`plain` is the unencoded form of a framed constant).
   */
  #withMetadata(answer: ProcessingResponse | Buffer, plain: ProcessingResponse | null, last = true): ProcessingResponse | Buffer {
    const metadata = last ? this.#ctx.response.dynamicMetadata : null;
    if (metadata === null) return answer;
    const base = Buffer.isBuffer(answer) ? plain! : answer;
    return { ...base, dynamic_metadata: msg.numberMetadata(metadata) };
  }

  /**
   * Flow control evicted this routed request (flowControl.enableEviction), in whatever phase it is: an immediate
   * 429 with x-llm-d-request-dropped-reason: evicted, then the stream ends, as upstream's Process loop does.
   * Envoy sends it as a local reply, or resets the downstream stream when the response headers already went.
   * Nothing once the response is complete.
   */
  #evict(): void {
    if (this.#completed || this.#closed) return;
    const d = this.#o.director.handleError(this.#ctx, new EppError('EVICTED', 'request evicted by flow control'));
    this.#write(msg.immediateError(d.error, d.dropReason, this.#ctx.response.headers));
    this.#complete('evicted');
    this.#closed = true;
    this.#call.end();
    this.#notifyClosed();
  }

  /** Hands the request's end to the director once, whatever ended it. */
  #complete(cause: TerminationCause): void {
    if (this.#completed) return;
    this.#completed = true;
    this.#o.director.handleResponseComplete(this.#ctx, cause);
  }
}

/** The director's header mutations as ext_proc header options (raw_value). */
function headerOptions(decision: RouteDecision): HeaderValueOption[] {
  const out: HeaderValueOption[] = [];
  for (const h of decision.headers) out.push(msg.setHeader(h.name, h.value));
  return out;
}

const EMPTY_BUFFER = Buffer.alloc(0);

/** The received chunks, each split to at most MAX_STREAMED_CHUNK bytes (views, no copies). */
function echoChunks(chunks: Buffer[]): Buffer[] {
  for (const c of chunks) if (c.length > msg.MAX_STREAMED_CHUNK) return chunks.flatMap(msg.chunkBody);
  return chunks;
}
