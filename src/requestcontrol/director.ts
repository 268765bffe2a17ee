/**
 * The director owns a request from its parsed headers to the routing decision, and from the first response
 * byte to completion (upstream Director.HandleRequest / HandleResponse*). Synchronous: nothing here waits on
 * I/O. The ext_proc stream only speaks the protocol and calls in here.
 *
 *   handleRequest:  parse body -> resolve model -> candidates (subset hint) -> DataProducer -> admission
 *                   (saturation, Admitter) -> scheduler -> in-flight +1 -> PreRequest -> body rewrite
 *   handleResponse: headers (served endpoint, status, ResponseReceived) -> body chunks (TTFT, usage tail,
 *                   model name restored) -> complete (in-flight -1, ResponseComplete, metrics), exactly once
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Endpoint } from '../framework/endpoint.ts';
import type { EndpointLookup, PluginDurationHook } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { RequestControlPlugins, SaturationDetector, TerminationCause } from '../framework/requestcontrol.ts';
import type { Scheduler, SchedulingResult } from '../framework/scheduling.ts';
import type { RequestTracer } from '../framework/tracing.ts';
import type { PoolSpec } from '../datastore/resources.ts';
import type { PickerMetrics } from '../observability/metrics.ts';
import { bodyText, restoreModelName } from './body.ts';
import { locateCandidates } from './candidates.ts';
import type { ErrorDecision, HeaderMutation, RequestDecision } from './decision.ts';
import { EppError } from './errors.ts';
import { DESTINATION_HEADER, HEADER_REQUEST_ID } from './headers.ts';
import { resolveModel, type ModelStore } from './model-resolution.ts';
import { parseOpenAIBody, rewriteModel } from './openai-body.ts';
import type { RequestContext } from './request-context.ts';
import { parseUsage, TailBuffer } from './usage.ts';

export const DATA_PRODUCER_POINT = 'DataProducer';
export const ADMISSION_POINT = 'Admission';
export const PRE_REQUEST_POINT = 'PreRequest';
export const RESPONSE_RECEIVED_POINT = 'ResponseReceived';
export const RESPONSE_COMPLETE_POINT = 'ResponseComplete';

/** What the director reads from the datastore. */
export interface DirectorDatastore extends ModelStore, EndpointLookup {
  pool(): PoolSpec | undefined;
}

/** The request body as the stream gathered it: chunks (views of the received messages) and their size. */
export interface RequestBody {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
}

export interface DirectorOptions {
  datastore: DirectorDatastore;
  scheduler: Scheduler;
  saturation: SaturationDetector;
  /** Request-control hooks in run order (the config loader's requestControl). */
  plugins: RequestControlPlugins;
  metrics: PickerMetrics | undefined;
  logger: Logger;
  /** Reject models that no InferenceModel or rewrite names (404) instead of routing them as sheddable. */
  strictModels: boolean;
  /** Ignore the gateway's subset hint (--disable-endpoint-subset-filter). */
  disableSubsetFilter: boolean;
  /** Per-plugin timing of the hooks; off when absent. */
  onPluginDuration?: PluginDurationHook | undefined;
  random?: () => number;
  /** Time source for request timings (ms); performance.now by default. */
  now?: () => number;
  /** One span per request (--tracing with an exporter); absent = no tracing work at all. */
  tracer?: RequestTracer | undefined;
}

export class Director {
  readonly #o: DirectorOptions;
  readonly #ds: DirectorDatastore;
  readonly #plugins: RequestControlPlugins;
  readonly #hook: PluginDurationHook | null;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #subsetScratch: Endpoint[] = [];
  readonly #debug: boolean;
  readonly #tracer: RequestTracer | null;

  constructor(options: DirectorOptions) {
    this.#o = options;
    this.#ds = options.datastore;
    this.#plugins = options.plugins;
    this.#hook = options.onPluginDuration ?? null;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
    this.#debug = options.logger.isLevelEnabled('debug');
    this.#tracer = options.tracer ?? null;
  }

  // ------------------------------------------------------------ request path

  /** The headers are in ctx.request.headers: takes the request id (or makes one) and the path. */
  handleRequestHeaders(ctx: RequestContext): void {
    const req = ctx.request;
    ctx.receivedAt = this.#now();
    req.path = req.headers.get(':path') ?? '';
    const id = req.headers.get(HEADER_REQUEST_ID);
    if (id) {
      req.requestId = id;
    } else {
      req.requestId = randomUUID();
      ctx.requestIdGenerated = true;
    }
    if (this.#tracer !== null) ctx.span = this.#tracer.start(req.headers);
  }

  /**
   * Decides where the request goes. `body` null = headers only (no body will come before the headers go
   * upstream): no parsing, no model resolution, routed on the headers alone.
   */
  handleRequest(ctx: RequestContext, body: RequestBody | null): RequestDecision {
    try {
      return this.#handleRequest(ctx, body);
    } catch (e) {
      if (e instanceof EppError) return this.handleError(ctx, e);
      throw e;
    }
  }

  #handleRequest(ctx: RequestContext, body: RequestBody | null): RequestDecision {
    const req = ctx.request;
    let parsed: Record<string, unknown> | null = null;
    if (body !== null) {
      req.bodySize = body.bytes;
      parsed = parseOpenAIBody(bodyText(body.chunks, body.bytes), req);
      const model = resolveModel(req, this.#ds, this.#o.strictModels, this.#random);
      if (req.targetModel !== req.model) this.#o.metrics?.rewriteDecisions.labels(model?.name ?? '', req.model, req.targetModel).inc();
    }
    const t0 = this.#debug ? performance.now() : 0;
    const result = this.#schedule(ctx);
    const endpoints = result.primary.endpoints.slice(0, result.primary.count);
    const primary = endpoints[0]!;
    primary.inflightRequests++;
    ctx.endpoint = primary;
    this.#runPreRequest(req, result);
    // Only the scheduling cycle and PreRequest read the prompt. For chat it is a slice that holds the whole
    // body text, and a request lives for seconds: kept, every prompt was copied by scavenges and promoted
    // (BUFFERED 32 KB cost 6 us more per request, bench/README.md).
    req.promptText = '';

    let destination = primary.key;
    for (let i = 1; i < endpoints.length; i++) destination += `,${endpoints[i]!.key}`;
    ctx.rewritten = parsed !== null && req.targetModel !== req.model;
    const newBody = ctx.rewritten ? rewriteModel(parsed!, req.targetModel) : null;
    const headers: HeaderMutation[] = [{ name: DESTINATION_HEADER, value: destination }];
    if (ctx.requestIdGenerated) headers.push({ name: HEADER_REQUEST_ID, value: req.requestId });
    if (newBody) headers.push({ name: 'content-length', value: String(newBody.length) });
    if (ctx.span !== null) ctx.span.routed(req, destination);

    const metrics = this.#o.metrics;
    if (metrics) {
      const c = (ctx.modelMetrics = metrics.forModel(req.model, req.targetModel));
      c.requests.inc();
      c.requestSize.observe(req.bodySize);
      c.running.inc();
    }
    if (this.#debug) {
      this.#o.logger.debug(
        { requestId: req.requestId, model: req.model, targetModel: req.targetModel, endpoint: destination, schedulingMs: performance.now() - t0 },
        'request routed',
      );
    }
    return { ok: true, destination, endpoints, headers, body: newBody };
  }

  /** Candidates, data producers, admission and the scheduling cycle. Throws EppError. */
  #schedule(ctx: RequestContext): SchedulingResult {
    const req = ctx.request;
    const ds = this.#ds;
    const all = ds.endpoints();
    const candidates = locateCandidates(all, this.#o.disableSubsetFilter ? null : ctx.subset, this.#subsetScratch);
    if (candidates.length === 0) {
      const why = all.length === 0 ? (ds.pool() ? 'the pool has no ready endpoints' : 'the pool is not known yet') : 'no endpoint matches the gateway subset hint';
      throw new EppError('NO_ENDPOINT', `failed to find endpoint candidates for serving the request: ${why}`);
    }
    this.#runDataProducers(req, candidates);
    if (req.sheddable && this.#o.saturation.saturation(candidates) >= 1) {
      this.#o.metrics?.shed.labels(req.model).inc();
      throw new EppError('SHED', 'system saturated, sheddable request dropped');
    }
    this.#runAdmitters(req, candidates);
    const outcome = this.#o.scheduler.schedule(req, candidates);
    if (ctx.span !== null) ctx.span.candidates(candidates.length);
    if (!outcome.ok) throw new EppError('SCHEDULING_FAILED', `failed to find target endpoint: ${outcome.reason}`);
    if (outcome.primary.count === 0) throw new EppError('INTERNAL', 'scheduler returned no endpoint');
    return outcome;
  }

  /** Answers the request with `err` now (records it; releases nothing: a rejected request holds nothing). */
  handleError(ctx: RequestContext, err: EppError): ErrorDecision {
    const req = ctx.request;
    this.#o.metrics?.requestErrors.labels(req.model, req.targetModel || req.model, err.code).inc();
    if (err.status >= 500) this.#o.logger.warn({ requestId: req.requestId, code: err.code }, err.message);
    else if (this.#debug) this.#o.logger.debug({ requestId: req.requestId, code: err.code }, err.message);
    if (ctx.span !== null) ctx.span.failed(err.code, err.status, err.message);
    return { ok: false, status: err.status, error: err, dropReason: err.dropReason };
  }

  // ------------------------------------------------------------ response path

  /**
   * Response headers arrived. `servedKey` is the endpoint the gateway reports it used ('' when it reports
   * none): when it retried down the fallback list, the in-flight count moves there.
   */
  handleResponseHeaders(ctx: RequestContext, headers: ReadonlyMap<string, string>, servedKey: string): void {
    const from = ctx.endpoint;
    if (from === null) return;
    if (servedKey && servedKey !== from.key) {
      const to = this.#ds.endpoint(servedKey);
      if (to && to !== from) {
        if (from.inflightRequests > 0) from.inflightRequests--;
        to.inflightRequests++;
        ctx.endpoint = to;
      }
    }
    const res = ctx.response;
    const status = headers.get(':status');
    res.status = status ? Number(status) || 0 : 0;
    res.streaming = (headers.get('content-type') ?? '').includes('text/event-stream');
    if (status && status !== '200') {
      const req = ctx.request;
      this.#o.metrics?.requestErrors.labels(req.model, req.targetModel, 'MODEL_SERVER_ERROR').inc();
    }
    const plugins = this.#plugins.responseReceived;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.responseReceived(ctx.request, res, ctx.endpoint!);
      if (this.#hook !== null) this.#hook(RESPONSE_RECEIVED_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }

  /** A response body chunk: returns the chunk to send on (the client's model name restored). */
  handleResponseBody(ctx: RequestContext, chunk: Buffer): Buffer {
    const res = ctx.response;
    if (chunk.length === 0) return chunk;
    if (res.ttftMs < 0) res.ttftMs = this.#now() - ctx.receivedAt;
    res.bytes += chunk.length;
    (ctx.tail ??= new TailBuffer()).push(chunk);
    return ctx.rewritten ? restoreModelName(chunk, ctx.request.targetModel, ctx.request.model) : chunk;
  }

  /** Ends the request's accounting once, however it ended; later calls do nothing. */
  handleResponseComplete(ctx: RequestContext, cause: TerminationCause): void {
    if (ctx.completed) return;
    ctx.completed = true;
    if (ctx.span !== null) ctx.span.end(cause, ctx.response.status);
    const ep = ctx.endpoint;
    if (ep === null) return; // never routed (rejected, or ended before a decision)
    if (ep.inflightRequests > 0) ep.inflightRequests--;
    const req = ctx.request;
    const res = ctx.response;
    res.cause = cause;
    res.durationMs = this.#now() - ctx.receivedAt;
    const usage = ctx.tail ? parseUsage(ctx.tail.text()) : undefined;
    if (usage) {
      res.promptTokens = usage.promptTokens;
      res.completionTokens = usage.completionTokens;
      res.cachedTokens = usage.cachedTokens;
    }
    const plugins = this.#plugins.responseComplete;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.responseComplete(req, res, ep);
      if (this.#hook !== null) this.#hook(RESPONSE_COMPLETE_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
    const c = ctx.modelMetrics;
    if (c === null) return;
    c.running.dec();
    if (res.bytes === 0) return; // no response reached us (cancelled, or response phases not sent)
    const seconds = res.durationMs / 1000;
    c.duration.observe(seconds);
    c.responseSize.observe(res.bytes);
    if (usage) {
      c.inputTokens.observe(usage.promptTokens);
      c.outputTokens.observe(usage.completionTokens);
      c.cachedTokens.observe(usage.cachedTokens);
      if (usage.completionTokens > 0) c.ntpot.observe(seconds / usage.completionTokens);
    }
  }

  // ------------------------------------------------------------ hooks

  #runDataProducers(req: LLMRequest, candidates: readonly Endpoint[]): void {
    const plugins = this.#plugins.dataProducers;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.produce(req, candidates);
      if (this.#hook !== null) this.#hook(DATA_PRODUCER_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }

  #runAdmitters(req: LLMRequest, candidates: readonly Endpoint[]): void {
    const plugins = this.#plugins.admitters;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      const denied = p.admit(req, candidates);
      if (this.#hook !== null) this.#hook(ADMISSION_POINT, p.type, p.name, (performance.now() - t0) / 1000);
      if (denied !== null) throw new EppError('INTERNAL', `request denied by admission plugin "${p.name}": ${denied}`);
    }
  }

  #runPreRequest(req: LLMRequest, result: SchedulingResult): void {
    const plugins = this.#plugins.preRequest;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.preRequest(req, result);
      if (this.#hook !== null) this.#hook(PRE_REQUEST_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }
}
