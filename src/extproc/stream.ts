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
import { RequestContext } from '../requestcontrol/request-context.ts';
import type { BodySendMode, HeaderValueOption, ProcessingRequest, ProcessingResponse } from './codec/proto.ts';
import * as msg from './messages.ts';
import { readHeaders, servedEndpoint, subsetHint } from './request-metadata.ts';
import { framedResponse, type CallHandler } from './transport/grpc-call.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD } from './codec/streamed-body.ts';

/** What a stream needs from request control (src/requestcontrol/director.ts). */
export interface StreamDirector {
  handleRequestHeaders(ctx: RequestContext): void;
  handleRequest(ctx: RequestContext, body: RequestBody | null): RequestDecision;
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
}

/** What a stream needs from its transport (transport/grpc-call.ts). */
export interface ExtProcCall {
  /** A response object, or one already encoded by framedResponse(). */
  write(m: ProcessingResponse | Buffer): void;
  /** A FULL_DUPLEX_STREAMED body chunk response (request_body = 3, response_body = 4), chunk not copied. */
  writeStreamedBody(field: typeof REQUEST_BODY_FIELD | typeof RESPONSE_BODY_FIELD, chunk: Buffer, endOfStream: boolean): void;
  /** Ends the call with OK. */
  end(): void;
}

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

  constructor(call: ExtProcCall, options: StreamOptions) {
    this.#call = call;
    this.#o = options;
    this.#reqBodyMode = options.requestBodyMode;
    this.#respBodyMode = options.responseBodyMode;
  }

  // ------------------------------------------------------------ stream lifecycle

  onEnd(): void {
    // Envoy half-closed: the request is over. Finish our side too.
    this.#complete('natural');
    if (!this.#closed) {
      this.#closed = true;
      this.#call.end();
    }
    this.#notifyClosed();
  }

  onClosed(): void {
    this.#closed = true;
    this.#complete('client-disconnect');
    this.#notifyClosed();
  }

  #notifyClosed(): void {
    if (this.#notified) return;
    this.#notified = true;
    this.#o.onClose?.();
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
          if (!observe) this.#write(FRAMED_RESPONSE_TRAILERS_RESPONSE);
          return this.#complete('natural');
        default:
          return; // unknown/empty oneof from a newer Envoy: nothing to answer
      }
    } catch (e) {
      // Never crash on input: anything unexpected becomes a 500 for this request only.
      this.#o.logger.error({ err: e, requestId: this.#ctx.request.requestId }, 'ext_proc stream failed');
      this.#reject(e instanceof EppError ? e : new EppError('INTERNAL', 'internal error while processing the request'));
    }
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
      const decision = this.#o.director.handleRequest(ctx, null);
      if (!decision.ok) return this.#answerError(decision);
      this.#write(msg.routedHeadersResponse(headerOptions(decision), decision.destination, decision.endpointScores));
    } else if (mode !== 'FULL_DUPLEX_STREAMED') {
      // BUFFERED: Envoy waits for this answer before it sends the body; the decision rides on the body response.
      this.#write(FRAMED_CONTINUE_REQUEST_HEADERS);
    }
  }

  #onRequestBody(m: ProcessingRequest, observe: boolean): void {
    const body = m.request_body;
    const eos = body?.end_of_stream === true;
    if (this.#decided) {
      // STREAMED/NONE-mode bodies after a headers-only decision: pass through unchanged.
      if (!observe && this.#reqBodyMode !== 'FULL_DUPLEX_STREAMED') this.#write(FRAMED_CONTINUE_REQUEST_BODY);
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
    this.#write(FRAMED_REQUEST_TRAILERS_RESPONSE);
  }

  #decideWithBody(endOfStream: boolean): void {
    this.#decided = true;
    const chunks = this.#bodyChunks;
    this.#bodyChunks = [];
    const decision = this.#o.director.handleRequest(this.#ctx, { chunks, bytes: this.#bodyBytes });
    if (!decision.ok) return this.#answerError(decision);
    this.#rewritesResponse = decision.body !== null;
    const headers = headerOptions(decision);
    if (this.#reqBodyMode === 'FULL_DUPLEX_STREAMED') {
      this.#write(msg.routedHeadersResponse(headers, decision.destination, decision.endpointScores));
      // Echo the body as it came (chunks are views of the received messages), or the rewritten one.
      const out = decision.body ? msg.chunkBody(decision.body) : echoChunks(chunks);
      for (let i = 0; i < out.length; i++) this.#call.writeStreamedBody(REQUEST_BODY_FIELD, out[i]!, endOfStream && i === out.length - 1);
    } else {
      this.#write(msg.routedBodyResponse(headers, decision.destination, decision.body, decision.endpointScores));
    }
  }

  /** Answers with an immediate response for an error the stream found itself (body too large, internal). */
  #reject(err: EppError): void {
    this.#decided = true;
    this.#answerError(this.#o.director.handleError(this.#ctx, err));
  }

  #answerError(decision: ErrorDecision): void {
    this.#write(msg.immediateError(decision.error, decision.dropReason));
    // An immediate response ends the HTTP request: whatever the director counted for it is released now.
    this.#complete('error');
  }

  // ------------------------------------------------------------ response path

  #onResponseHeaders(m: ProcessingRequest, observe: boolean): void {
    const headers = new Map<string, string>();
    readHeaders(m.response_headers?.headers, headers);
    this.#o.director.handleResponseHeaders(this.#ctx, headers, servedEndpoint(m));
    if (!observe) this.#write(FRAMED_CONTINUE_RESPONSE_HEADERS);
    if (m.response_headers?.end_of_stream === true) this.#complete('natural');
  }

  #onResponseBody(m: ProcessingRequest, observe: boolean): void {
    const body = m.response_body;
    const eos = body?.end_of_stream === true;
    const chunk = this.#o.director.handleResponseBody(this.#ctx, body?.body ?? EMPTY_BUFFER);
    if (!observe) {
      switch (this.#respBodyMode) {
        case 'FULL_DUPLEX_STREAMED':
          if (!this.#closed) this.#call.writeStreamedBody(RESPONSE_BODY_FIELD, chunk, eos);
          break;
        case 'BUFFERED':
        case 'BUFFERED_PARTIAL':
        case 'STREAMED':
          this.#write(this.#rewritesResponse ? msg.replacedResponseBody(chunk) : FRAMED_CONTINUE_RESPONSE_BODY);
          break;
        default:
          this.#write(FRAMED_CONTINUE_RESPONSE_BODY);
      }
    }
    if (eos) this.#complete('natural');
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
