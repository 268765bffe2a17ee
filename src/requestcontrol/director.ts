/**
 * The director owns a request from its parsed headers to the routing decision, and from the first response
 * byte to completion (upstream Director.HandleRequest / HandleResponse*). Synchronous: nothing here waits on
 * I/O, except a DataProducer that asks to be awaited (awaited-producers.ts: within its budget, before the cycle).
 * The ext_proc stream only speaks the protocol and calls in here.
 *
 *   handleRequest:  parse body -> resolve model -> candidates (subset hint, answering) -> Screener -> DataProducer -> admission
 *                   (saturation, Admitter) -> scheduler -> in-flight +1 -> PreRequest -> body rewrite
 *   handleResponse: (response-path.ts) headers (served endpoint, status, ResponseReceived) -> body chunks (TTFT, usage tail,
 *                   model name restored) -> complete (in-flight -1, ResponseComplete, metrics), exactly once
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../framework/clock.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import type { Explanation } from '../framework/explain.ts';
import type { PluginDurationHook } from '../framework/plugin.ts';
import { isRequestHolder, type RequestHolder, type TerminationCause } from '../framework/requestcontrol.ts';
import type { SchedulingResult } from '../framework/scheduling.ts';
import type { RequestTracer } from '../framework/tracing.ts';
import { rewriteModel } from './body.ts';
import { answeringCandidates, locateCandidates } from './candidates.ts';
import { dispatched } from './answer-watch.ts';
import type { ErrorDecision, HeaderMutation, RequestDecision } from './decision.ts';
import { HookRunner } from './hooks.ts';
import { holdsCachedPrefix, isConditionalDecode } from './conditional-decode.ts';
import { EXPLAIN_REQUEST_HEADER, EXPLAIN_RESPONSE_HEADER, explanationHeader, explanationOf, newRecorder, scoresOf, type DecisionSink } from './explain.ts';
import { EppError } from './errors.ts';
import {
  aliasedHeader,
  clientSentOwnedHeaders,
  DEFAULT_FAIRNESS_ID,
  DESTINATION_HEADER,
  HEADER_FAIRNESS_ID,
  HEADER_FAIRNESS_ID_OLD,
  HEADER_REQUEST_ID,
  HEADER_SLO_TPOT,
  HEADER_SLO_TPOT_OLD,
  HEADER_SLO_TTFT,
  HEADER_SLO_TTFT_OLD,
  destinationOf,
  msHeader,
} from './headers.ts';
import { FlowGate } from './flow-gate.ts';
import type { PendingDecision } from './later-decision.ts';
import { AwaitedProducers } from './awaited-producers.ts';
import { holdRequest } from './request-hold.ts';
import type { FlowController } from '../flowcontrol/controller.ts';
import { resolveModel } from './model-resolution.ts';
import { ParserTable, usageReaderOf } from './parser-table.ts';
import { RequestContext } from './request-context.ts';
import { ResponsePath } from './response-path.ts';

export { REQUEST_PARSING_POINT } from './parser-table.ts';

/** What the director reads from the datastore. */
import type { DirectorDatastore, DirectorOptions, RequestBody } from './director-options.ts';

export type { DirectorDatastore, DirectorOptions, RequestBody } from './director-options.ts';

export class Director {
  readonly #o: DirectorOptions;
  readonly #ds: DirectorDatastore;
  readonly #hooks: HookRunner;
  readonly #parsers: ParserTable;
  readonly #hook: PluginDurationHook | null;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #subsetScratch: Endpoint[] = [];
  readonly #answeringScratch: Endpoint[] = [];
  readonly #screenedScratch: Endpoint[] = [];
  readonly #metricsClock: Clock;
  readonly #debug: boolean;
  readonly #tracer: RequestTracer | null;
  readonly #explainHeader: boolean;
  readonly #sink: DecisionSink | null;
  readonly #flow: FlowGate | null;
  /** Producers that may hold a request for a window before it is scheduled (usually none). */
  readonly #holders: readonly RequestHolder[];
  /** Null unless a DataProducer asks to be awaited: then every decision comes later (a PendingDecision). */
  readonly #awaited: AwaitedProducers | null;
  readonly #response: ResponsePath;

  constructor(options: DirectorOptions) {
    this.#o = options;
    this.#ds = options.datastore;
    this.#hooks = new HookRunner(options.plugins, options.onPluginDuration ?? null);
    this.#holders = options.plugins.dataProducers.filter(isRequestHolder);
    this.#parsers = new ParserTable(options.parsers);
    this.#hook = options.onPluginDuration ?? null;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
    this.#metricsClock = options.metricsClock ?? systemClock;
    this.#debug = options.logger.isLevelEnabled('debug');
    this.#tracer = options.tracer ?? null;
    this.#explainHeader = options.explainHeader === true;
    this.#sink = options.decisionSink ?? null;
    this.#awaited = AwaitedProducers.of(options.plugins.dataProducers, options.logger);
    const hasEndpoints = () => this.#ds.endpoints().length > 0;
    const fc = options.flowControl?.(() => this.#poolHasRoom(), { saturation: () => this.#poolSaturation(), hasEndpoints });
    this.#flow = fc === undefined ? null : new FlowGate(fc, { fail: (ctx, e) => this.handleError(ctx, e), hasEndpoints });
    this.#response = new ResponsePath({ datastore: this.#ds, hooks: this.#hooks, metrics: options.metrics, metricsClock: this.#metricsClock, now: this.#now, flow: this.#flow });
  }

  /** The flow controller, when flow control is on. */
  get flowController(): FlowController | null {
    return this.#flow?.controller ?? null;
  }

  /** Capacity may have freed (a scrape landed): queued requests that can go now are dispatched. */
  capacityChanged(): void {
    this.#flow?.poke();
  }

  /** The saturation detector over the answering endpoints is below 1. */
  #poolHasRoom(): boolean {
    return this.#poolSaturation() < 1;
  }

  /** The saturation detector over the answering endpoints; 1 with none (flow control's usage limit reads it). */
  #poolSaturation(): number {
    const all = this.#ds.endpoints();
    if (all.length === 0) return 1;
    return this.#o.saturation.saturation(answeringCandidates(all, this.#metricsClock.now(), this.#answeringScratch));
  }

  // ------------------------------------------------------------ request path

  /** The headers are in ctx.request.headers: takes the request id (or makes one), the path, fairness id and SLOs. */
  handleRequestHeaders(ctx: RequestContext): void {
    this.#readHeaders(ctx);
    if (this.#explainHeader && ctx.request.headers.has(EXPLAIN_REQUEST_HEADER)) {
      ctx.explain = newRecorder();
      ctx.explainReply = true;
    } else if (this.#sink !== null && this.#sink.want()) {
      ctx.explain = newRecorder();
    }
    if (this.#tracer !== null) ctx.span = this.#tracer.start(ctx.request.headers);
  }

  #readHeaders(ctx: RequestContext): void {
    const req = ctx.request;
    const h = req.headers;
    ctx.receivedAt = this.#now();
    req.path = h.get(':path') ?? '';
    req.fairnessId = aliasedHeader(h, HEADER_FAIRNESS_ID, HEADER_FAIRNESS_ID_OLD) || DEFAULT_FAIRNESS_ID;
    req.sloTtftMs = msHeader(aliasedHeader(h, HEADER_SLO_TTFT, HEADER_SLO_TTFT_OLD));
    req.sloTpotMs = msHeader(aliasedHeader(h, HEADER_SLO_TPOT, HEADER_SLO_TPOT_OLD));
    const id = req.headers.get(HEADER_REQUEST_ID);
    if (id) {
      req.requestId = id;
    } else {
      req.requestId = randomUUID();
      ctx.requestIdGenerated = true;
    }
  }

  /**
   * Decides where the request goes. `body` null = headers only (no body will come before the headers go
   * upstream): no parsing, no model resolution, routed on the headers alone.
   */
  handleRequest(ctx: RequestContext, body: RequestBody | null): RequestDecision {
    const d = this.admit(ctx, body);
    if (d.ok === 'queued') throw new Error('handleRequest: the decision comes later (flow control, awaited data producers); use admit()');
    return d;
  }

  /**
   * handleRequest, or a decision that comes later: with flow control on and the pool saturated, when the request
   * leaves the queue; with an awaited DataProducer, when its preparation is over (at most its budget).
   */
  admit(ctx: RequestContext, body: RequestBody | null): RequestDecision | PendingDecision {
    let decision: RequestDecision;
    try {
      const parsed = this.#prepare(ctx, body);
      if (this.#holders.length > 0) {
        const held = holdRequest(this.#holders, ctx.request, this.#ds.endpoints(), () => this.#afterHold(ctx, parsed));
        if (held !== null) return held;
      }
      // Flow control: while anything waits or the pool is saturated, the request queues and is routed later.
      if (this.#flow !== null && !this.#flow.bypass()) return this.#flow.enqueue(ctx, () => this.#routeNow(ctx, parsed, true));
      if (this.#awaited !== null) return this.#prepareThenRoute(ctx, parsed, this.#awaited, true);
      decision = this.#route(ctx, parsed);
    } catch (e) {
      if (!(e instanceof EppError)) throw e;
      decision = this.handleError(ctx, e);
    }
    // Routed or rejected alike, as upstream (rejections included so the histogram is not biased low).
    this.#o.metrics?.requestProcessing.observe((this.#now() - ctx.receivedAt) / 1000);
    return decision;
  }

  /** The rest of admit() for a request a RequestHolder released. */
  #afterHold(ctx: RequestContext, parsed: Record<string, unknown> | null): RequestDecision | PendingDecision {
    if (this.#flow !== null && !this.#flow.bypass()) return this.#flow.enqueue(ctx, () => this.#routeNow(ctx, parsed, true));
    const decision = this.#routeNow(ctx, parsed, true);
    this.#o.metrics?.requestProcessing.observe((this.#now() - ctx.receivedAt) / 1000);
    return decision;
  }

  /** Parses the body and resolves the model (priority included). Returns the body's JSON when it may be rewritten. */
  #prepare(ctx: RequestContext, body: RequestBody | null): Record<string, unknown> | null {
    const req = ctx.request;
    if (body === null) return null;
    req.bodySize = body.bytes;
    const parsed = this.#parsers.parseBody(req, body, this.#hook);
    ctx.usageReader = usageReaderOf(this.#parsers, req);
    const { rewrite } = resolveModel(req, this.#ds, this.#o.strictModels && parsed !== null, this.#random);
    // Upstream counts every decision a rewrite rule makes, labelled with the InferenceModelRewrite's name.
    if (rewrite !== '') this.#o.metrics?.rewriteDecision(rewrite, req.model, req.targetModel);
    return parsed;
  }

  /** A dispatched request is routed now (after its awaited data producers when `prepare`); errors are answered. */
  #routeNow(ctx: RequestContext, parsed: Record<string, unknown> | null, prepare: boolean): RequestDecision | PendingDecision {
    try {
      return prepare && this.#awaited !== null ? this.#prepareThenRoute(ctx, parsed, this.#awaited, false) : this.#route(ctx, parsed);
    } catch (e) {
      if (!(e instanceof EppError)) throw e;
      return this.handleError(ctx, e);
    }
  }

  /**
   * Awaits the async data producers (each within its budget), then routes in one synchronous cycle. `observe`:
   * the processing histogram counts the wait (not after a flow-control queue, as for queued requests).
   */
  #prepareThenRoute(ctx: RequestContext, parsed: Record<string, unknown> | null, awaited: AwaitedProducers, observe: boolean): PendingDecision {
    // A copy: the scratch array is the next request's while this one waits.
    return awaited.decideLater(ctx.request, this.#candidates(ctx).slice(), {
      route: () => {
        const d = this.#routeNow(ctx, parsed, false);
        if (observe) this.#o.metrics?.requestProcessing.observe((this.#now() - ctx.receivedAt) / 1000);
        return d;
      },
      fail: (err) => this.handleError(ctx, err instanceof EppError ? err : new EppError('INTERNAL', `data producer failed: ${String(err)}`)),
    });
  }

  #route(ctx: RequestContext, parsed: Record<string, unknown> | null): RequestDecision {
    const req = ctx.request;
    const t0 = this.#debug ? performance.now() : 0;
    const result = this.#schedule(ctx);
    const endpoints = result.primary.endpoints.slice(0, result.primary.count);
    const primary = endpoints[0]!;
    primary.inflightRequests++;
    dispatched(primary, this.#metricsClock.now());
    ctx.endpoint = primary;
    this.#flow?.routed(ctx);
    this.#hooks.preRequest(req, result);
    // Only the scheduling cycle and PreRequest read the prompt. For chat it is a slice that holds the whole
    // body text, and a request lives for seconds: kept, every prompt was copied by scavenges and promoted
    // (BUFFERED 32 KB cost 6 us more per request, bench/overhead/README.md).
    req.promptText = '';

    const port = (ctx.destinationPort = result.destinationPort ?? 0);
    const destination = destinationOf(endpoints, endpoints.length, port);
    const newBody = parsed !== null && req.targetModel !== req.model ? rewriteModel(parsed, req.targetModel) : null;
    // The client's model name goes back into the response only when the client sent one.
    ctx.rewritten = newBody !== null && req.model !== '';
    const headers: HeaderMutation[] = [{ name: DESTINATION_HEADER, value: destination }];
    if (ctx.requestIdGenerated) headers.push({ name: HEADER_REQUEST_ID, value: req.requestId });
    if (newBody) headers.push({ name: 'content-length', value: String(newBody.length) });
    // Headers PreRequest hooks asked for (e.g. x-prefiller-host-port for the decode pod's sidecar).
    if (req.outHeaders !== null) for (const [name, value] of req.outHeaders) headers.push({ name, value });
    const removeHeaders = clientSentOwnedHeaders(req);
    if (ctx.span !== null) ctx.span.routed(req, destination);

    const metrics = this.#o.metrics;
    if (metrics) {
      metrics.schedulingAttempt(req.targetModel, primary);
      const c = (ctx.modelMetrics = metrics.forRequest(req.model, req.targetModel, req.fairnessId, req.priority));
      c.routed(req.bodySize);
    }
    if (this.#debug) {
      this.#o.logger.debug(
        { requestId: req.requestId, model: req.model, targetModel: req.targetModel, endpoint: destination, schedulingMs: performance.now() - t0 },
        'request routed',
      );
    }
    if (ctx.explain !== null) this.#explained(ctx, 'routed', '', result.primaryProfileName, destination);
    const endpointScores = this.#o.emitEndpointScores ? scoresOf(result) : null;
    return { ok: true, destination, endpoints, headers, removeHeaders, body: newBody, endpointScores };
  }

  /**
   * /debug/explain: the decision this request would get now, without routing it: no in-flight count, no
   * PreRequest hooks, no metrics. Synchronous like the request path, so no request interleaves with it.
   */
  explain(headers: ReadonlyMap<string, string>, body: Buffer | null): Explanation {
    const ctx = new RequestContext();
    for (const [name, value] of headers) ctx.request.headers.set(name.toLowerCase(), value);
    this.#readHeaders(ctx);
    ctx.explain = newRecorder(true);
    const req = ctx.request;
    try {
      if (body !== null) {
        req.bodySize = body.length;
        const parsed = this.#parsers.parseBody(req, { chunks: [body], bytes: body.length }, this.#hook);
        resolveModel(req, this.#ds, this.#o.strictModels && parsed !== null, this.#random);
      }
      const result = this.#schedule(ctx, true);
      const destination = destinationOf(result.primary.endpoints, result.primary.count, result.destinationPort ?? 0);
      return explanationOf(req, ctx.explain, 'routed', '', result.primaryProfileName, destination);
    } catch (e) {
      if (!(e instanceof EppError)) throw e;
      return explanationOf(req, ctx.explain, e.code, e.message, '', '');
    }
  }

  #explained(ctx: RequestContext, outcome: string, reason: string, primaryProfile: string, destination: string): void {
    const e = explanationOf(ctx.request, ctx.explain!, outcome, reason, primaryProfile, destination);
    if (ctx.explainReply) ctx.response.setHeader(EXPLAIN_RESPONSE_HEADER, explanationHeader(e));
    this.#sink?.add(e);
  }

  /** Candidates, data producers, admission and the scheduling cycle. Throws EppError. `dry`: no metrics. */
  #schedule(ctx: RequestContext, dry = false): SchedulingResult {
    const req = ctx.request;
    const answering = this.#candidates(ctx);
    // Screeners (upstream: after Locate, before DataProducer): every later stage and profile sees only what they keep.
    const candidates = this.#hooks.screen(req, answering, this.#screenedScratch, ctx.explain);
    if (candidates.length === 0) throw new EppError('NO_ENDPOINT', 'screeners eliminated all endpoint candidates');
    this.#hooks.produce(req, candidates);
    // Saturation is the pool's (upstream's admission controller runs before Locate and the screeners).
    if (req.sheddable && this.#flow === null && this.#o.saturation.saturation(answering) >= 1) {
      if (!dry) this.#o.metrics?.shed.labels(req.model).inc();
      throw new EppError('SHED', 'system saturated, sheddable request dropped');
    }
    this.#hooks.admit(req, candidates);
    const outcome = this.#o.scheduler.schedule(req, candidates, ctx.explain);
    if (ctx.span !== null) ctx.span.candidates(candidates.length);
    if (!outcome.ok && !dry) this.#o.metrics?.schedulingAttempt(req.targetModel, null);
    if (!outcome.ok) throw new EppError(outcome.filteredOut ? 'ALL_FILTERED' : 'SCHEDULING_FAILED', `failed to find target endpoint: ${outcome.reason}`);
    if (outcome.primary.count === 0) throw new EppError('INTERNAL', 'scheduler returned no endpoint');
    // Conditional decode (RFC 7240 `Prefer: if-available`, upstream director): forward only when the chosen
    // (decode) endpoint already holds part of the prompt's KV cache, else 412 so the coordinator prefills.
    if (isConditionalDecode(req.headers.get('prefer')) && !holdsCachedPrefix(req, outcome.primary.endpoints[0]!)) {
      throw new EppError('PRECONDITION_FAILED', 'no decode worker has the requested KV cache');
    }
    return outcome;
  }

  /** The answering endpoints the request may go to (a scratch array, valid until the next call). Throws EppError. */
  #candidates(ctx: RequestContext): readonly Endpoint[] {
    const ds = this.#ds;
    const all = ds.endpoints();
    const located = locateCandidates(all, this.#o.disableSubsetFilter ? null : ctx.subset, this.#subsetScratch);
    if (located.length === 0) {
      const why = all.length === 0 ? (ds.pool() ? 'the pool has no ready endpoints' : 'the pool is not known yet') : 'no endpoint matches the gateway subset hint';
      throw new EppError('NO_ENDPOINT', `failed to find endpoint candidates for serving the request: ${why}`);
    }
    // Before every plugin, so that no configuration can route to a server that stopped answering.
    return answeringCandidates(located, this.#metricsClock.now(), this.#answeringScratch);
  }

  /** Answers the request with `err` now (records it; releases nothing: a rejected request holds nothing). */
  handleError(ctx: RequestContext, err: EppError): ErrorDecision {
    const req = ctx.request;
    this.#o.metrics?.requestError(req.model, req.targetModel, req.fairnessId, req.priority, err.upstreamCode);
    if (err.status >= 500) this.#o.logger.warn({ requestId: req.requestId, code: err.code }, err.message);
    else if (this.#debug) this.#o.logger.debug({ requestId: req.requestId, code: err.code }, err.message);
    if (ctx.span !== null) ctx.span.failed(err.code, err.status, err.message);
    if (ctx.explain !== null) this.#explained(ctx, err.code, err.message, '', '');
    return { ok: false, status: err.status, error: err, dropReason: err.dropReason };
  }

  // ------------------------------------------------------------ response path (response-path.ts)

  /**
   * Response headers arrived. `servedKey` is the endpoint the gateway reports it used ('' when it reports
   * none): when it retried down the fallback list, the in-flight count moves there.
   */
  handleResponseHeaders(ctx: RequestContext, headers: ReadonlyMap<string, string>, servedKey: string): void {
    this.#response.headers(ctx, headers, servedKey);
  }

  /** A response body chunk: returns the chunk to send on (the client's model name restored). */
  handleResponseBody(ctx: RequestContext, chunk: Buffer): Buffer {
    return this.#response.body(ctx, chunk);
  }

  /** Ends the request's accounting once, however it ended; later calls do nothing. */
  handleResponseComplete(ctx: RequestContext, cause: TerminationCause): void {
    this.#response.complete(ctx, cause);
  }
}
