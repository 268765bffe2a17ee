/**
 * One ext_proc Process stream = one HTTP request, driven exactly as Envoy drives it:
 *   request_headers -> request_body* -> request_trailers? -> response_headers -> response_body* -> response_trailers?
 * Every message gets one response of the matching kind, except in FULL_DUPLEX_STREAMED, where the picker holds
 * the headers response until the body is complete, decides, then answers headers and streams the body back.
 * Client half-close and CANCELLED both end the request normally; nothing is written after either.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Endpoint } from '../datastore/endpoint.ts';
import { LLMRequest } from '../framework/request.ts';
import { EppError } from '../requestcontrol/errors.ts';
import { parseOpenAIBody, rewriteModel } from '../requestcontrol/openai-body.ts';
import type { RouteDecision } from '../requestcontrol/director.ts';
import type { ModelMetrics, PickerMetrics } from '../observability/metrics.ts';
import type { BodySendMode, HeaderValueOption, ProcessingRequest, ProcessingResponse } from './proto.ts';
import * as msg from './messages.ts';
import { readHeaders, servedEndpoint, subsetHint } from './request-metadata.ts';
import { parseUsage, TailBuffer } from './usage.ts';
import { framedResponse, type CallHandler } from './transport/grpc-call.ts';
import { REQUEST_BODY_FIELD, RESPONSE_BODY_FIELD } from './codec/streamed-body.ts';

/** What a stream needs from request control. */
export interface StreamDirector {
  resolveModel(req: LLMRequest): void;
  route(req: LLMRequest, subset: readonly string[] | null): RouteDecision;
  finished(req: LLMRequest, endpoint: Endpoint): void;
  served(from: Endpoint, toKey: string): Endpoint;
}

export interface StreamOptions {
  director: StreamDirector;
  logger: Logger;
  metrics: PickerMetrics | undefined;
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

const HEADER_REQUEST_ID = 'x-request-id';

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
  readonly #req = new LLMRequest();
  #reqBodyMode: BodySendMode;
  #respBodyMode: BodySendMode;
  #requestIdGenerated = false;
  #subset: string[] | null = null;
  #bodyChunks: Buffer[] = [];
  #bodyBytes = 0;
  /** Routing decided (or answered with an immediate response). */
  #decided = false;
  #endpoint: Endpoint | null = null;
  /** This request's metric label children, looked up once when it is routed. */
  #modelMetrics: ModelMetrics | null = null;
  /** Target model differs from the client's: responses carry the client's name back. */
  #rewritten = false;
  #tail: TailBuffer | null = null;
  #responseBytes = 0;
  #startedAt = performance.now();
  #closed = false;
  #completed = false;
  #notified = false;
  readonly #debug: boolean;

  constructor(call: ExtProcCall, options: StreamOptions) {
    this.#call = call;
    this.#o = options;
    this.#reqBodyMode = options.requestBodyMode;
    this.#respBodyMode = options.responseBodyMode;
    this.#debug = options.logger.isLevelEnabled('debug');
  }

  // ------------------------------------------------------------ stream lifecycle

  onEnd(): void {
    // Envoy half-closed: the request is over. Finish our side too.
    this.#complete();
    if (!this.#closed) {
      this.#closed = true;
      this.#call.end();
    }
    this.#notifyClosed();
  }

  onClosed(): void {
    this.#closed = true;
    this.#complete();
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
          return this.#complete();
        default:
          return; // unknown/empty oneof from a newer Envoy: nothing to answer
      }
    } catch (e) {
      // Never crash on input: anything unexpected becomes a 500 for this request only.
      this.#o.logger.error({ err: e, requestId: this.#req.requestId }, 'ext_proc stream failed');
      this.#reject(e instanceof EppError ? e : new EppError('INTERNAL', 'internal error while processing the request'));
    }
  }

  // ------------------------------------------------------------ request path

  #onRequestHeaders(m: ProcessingRequest, observe: boolean): void {
    const req = this.#req;
    readHeaders(m.request_headers?.headers, req.headers);
    req.path = req.headers.get(':path') ?? '';
    const id = req.headers.get(HEADER_REQUEST_ID);
    if (id) {
      req.requestId = id;
    } else {
      req.requestId = randomUUID();
      this.#requestIdGenerated = true;
    }
    this.#subset = subsetHint(m);
    if (observe) return;
    const mode = this.#reqBodyMode;
    if (m.request_headers?.end_of_stream === true || !(mode === 'FULL_DUPLEX_STREAMED' || mode === 'BUFFERED' || mode === 'BUFFERED_PARTIAL')) {
      // No body will reach us before the headers go upstream: route on headers alone.
      this.#decideWithoutBody();
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

  #decideWithoutBody(): void {
    this.#decided = true;
    const decision = this.#tryRoute();
    if (!decision) return;
    this.#write(msg.routedHeadersResponse(this.#routingHeaders(decision, null), decision.destination));
  }

  #decideWithBody(endOfStream: boolean): void {
    this.#decided = true;
    const req = this.#req;
    const chunks = this.#bodyChunks;
    this.#bodyChunks = [];
    req.bodySize = this.#bodyBytes;
    let parsed: Record<string, unknown>;
    try {
      parsed = parseOpenAIBody(bodyText(chunks, this.#bodyBytes), req);
      this.#o.director.resolveModel(req);
    } catch (e) {
      if (e instanceof EppError) return this.#reject(e);
      throw e;
    }
    const decision = this.#tryRoute();
    if (!decision) return;
    this.#rewritten = req.targetModel !== req.model;
    const newBody = this.#rewritten ? rewriteModel(parsed, req.targetModel) : null;
    const headers = this.#routingHeaders(decision, newBody);
    if (this.#reqBodyMode === 'FULL_DUPLEX_STREAMED') {
      this.#write(msg.routedHeadersResponse(headers, decision.destination));
      // Echo the body as it came (chunks are views of the received messages), or the rewritten one.
      const out = newBody ? msg.chunkBody(newBody) : echoChunks(chunks);
      for (let i = 0; i < out.length; i++) this.#call.writeStreamedBody(REQUEST_BODY_FIELD, out[i]!, endOfStream && i === out.length - 1);
    } else {
      this.#write(msg.routedBodyResponse(headers, decision.destination, newBody));
    }
  }

  /** Routes the request; on failure answers with an immediate response and returns null. */
  #tryRoute(): RouteDecision | null {
    const req = this.#req;
    const t0 = this.#debug ? performance.now() : 0;
    let decision: RouteDecision;
    try {
      decision = this.#o.director.route(req, this.#subset);
    } catch (e) {
      if (e instanceof EppError) {
        this.#reject(e);
        return null;
      }
      throw e;
    }
    this.#endpoint = decision.endpoints[0]!;
    const metrics = this.#o.metrics;
    if (metrics) {
      const c = (this.#modelMetrics = metrics.forModel(req.model, req.targetModel));
      c.requests.inc();
      c.requestSize.observe(req.bodySize);
      c.running.inc();
    }
    if (this.#debug) {
      this.#o.logger.debug(
        { requestId: req.requestId, model: req.model, targetModel: req.targetModel, endpoint: decision.destination, schedulingMs: performance.now() - t0 },
        'request routed',
      );
    }
    return decision;
  }

  #routingHeaders(decision: RouteDecision, newBody: Buffer | null): HeaderValueOption[] {
    const set = [msg.setHeader(msg.DESTINATION_HEADER, decision.destination)];
    if (this.#requestIdGenerated) set.push(msg.setHeader(HEADER_REQUEST_ID, this.#req.requestId));
    if (newBody) set.push(msg.setHeader('content-length', String(newBody.length)));
    return set;
  }

  #reject(err: EppError): void {
    this.#decided = true;
    const req = this.#req;
    this.#o.metrics?.requestErrors.labels(req.model, req.targetModel || req.model, err.code).inc();
    if (err.status >= 500) this.#o.logger.warn({ requestId: req.requestId, code: err.code }, err.message);
    else if (this.#debug) this.#o.logger.debug({ requestId: req.requestId, code: err.code }, err.message);
    this.#write(msg.immediateError(err));
    this.#complete();
  }

  // ------------------------------------------------------------ response path

  #onResponseHeaders(m: ProcessingRequest, observe: boolean): void {
    const headers = new Map<string, string>();
    readHeaders(m.response_headers?.headers, headers);
    const served = servedEndpoint(m);
    if (served && this.#endpoint && served !== this.#endpoint.key) this.#endpoint = this.#o.director.served(this.#endpoint, served);
    const status = headers.get(':status');
    if (status && status !== '200' && this.#endpoint) {
      const req = this.#req;
      this.#o.metrics?.requestErrors.labels(req.model, req.targetModel, 'MODEL_SERVER_ERROR').inc();
    }
    if (!observe) this.#write(FRAMED_CONTINUE_RESPONSE_HEADERS);
    if (m.response_headers?.end_of_stream === true) this.#complete();
  }

  #onResponseBody(m: ProcessingRequest, observe: boolean): void {
    const body = m.response_body;
    let chunk = body?.body ?? EMPTY_BUFFER;
    const eos = body?.end_of_stream === true;
    this.#responseBytes += chunk.length;
    if (chunk.length > 0) (this.#tail ??= new TailBuffer()).push(chunk);
    if (!observe) {
      if (this.#rewritten) chunk = restoreModelName(chunk, this.#req.targetModel, this.#req.model);
      switch (this.#respBodyMode) {
        case 'FULL_DUPLEX_STREAMED':
          if (!this.#closed) this.#call.writeStreamedBody(RESPONSE_BODY_FIELD, chunk, eos);
          break;
        case 'BUFFERED':
        case 'BUFFERED_PARTIAL':
        case 'STREAMED':
          this.#write(this.#rewritten ? msg.replacedResponseBody(chunk) : FRAMED_CONTINUE_RESPONSE_BODY);
          break;
        default:
          this.#write(FRAMED_CONTINUE_RESPONSE_BODY);
      }
    }
    if (eos) this.#complete();
  }

  /** Ends the request's accounting once, whatever ended it. */
  #complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    const ep = this.#endpoint;
    if (!ep) return;
    const req = this.#req;
    this.#o.director.finished(req, ep);
    const c = this.#modelMetrics;
    if (!c) return;
    c.running.dec();
    if (this.#responseBytes === 0) return; // no response reached us (cancelled, or response phases not sent)
    const seconds = (performance.now() - this.#startedAt) / 1000;
    c.duration.observe(seconds);
    c.responseSize.observe(this.#responseBytes);
    const usage = this.#tail ? parseUsage(this.#tail.text()) : undefined;
    if (usage) {
      c.inputTokens.observe(usage.promptTokens);
      c.outputTokens.observe(usage.completionTokens);
      c.cachedTokens.observe(usage.cachedTokens);
      if (usage.completionTokens > 0) c.ntpot.observe(seconds / usage.completionTokens);
    }
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);

/** Scratch space to join a body that came in several chunks, for decoding: grown, never shrunk. */
let joinBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * The body as text. Several chunks are joined in a reused buffer, not a new one per request: at 32 KB
 * bodies a per-request Buffer.concat was a large share of the external memory that drives major GCs.
 */
function bodyText(chunks: readonly Buffer[], bytes: number): string {
  if (chunks.length === 0) return '';
  if (chunks.length === 1) return chunks[0]!.toString('utf8');
  if (joinBuffer.length < bytes) joinBuffer = Buffer.allocUnsafe(Math.ceil(bytes / 65_536) * 65_536);
  let off = 0;
  for (const c of chunks) off += c.copy(joinBuffer, off);
  return joinBuffer.toString('utf8', 0, off);
}

/** The received chunks, each split to at most MAX_STREAMED_CHUNK bytes (views, no copies). */
function echoChunks(chunks: Buffer[]): Buffer[] {
  for (const c of chunks) if (c.length > msg.MAX_STREAMED_CHUNK) return chunks.flatMap(msg.chunkBody);
  return chunks;
}

/** Puts the client's model name back into a response chunk (byte replace, as upstream; no JSON parse). */
export function restoreModelName(chunk: Buffer, target: string, original: string): Buffer {
  if (chunk.indexOf(target) < 0) return chunk;
  const text = chunk.toString('utf8');
  const replaced = text.split(`"model":"${target}"`).join(`"model":"${original}"`).split(`"model": "${target}"`).join(`"model": "${original}"`);
  return replaced === text ? chunk : Buffer.from(replaced);
}
