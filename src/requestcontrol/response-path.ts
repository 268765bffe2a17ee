/**
 * The response half of a request (upstream Director.HandleResponse*): headers (served endpoint, status,
 * ResponseReceived), body chunks (TTFT, usage tail, model name restored), completion (in-flight -1,
 * ResponseComplete, metrics) exactly once. The director hands each response phase here.
 */
import type { Clock } from '../framework/clock.ts';
import { endpointKey } from '../framework/endpoint.ts';
import type { TerminationCause } from '../framework/requestcontrol.ts';
import type { PickerMetrics, ServedRequest } from '../observability/metrics.ts';
import { abandoned, answered, dispatched } from './answer-watch.ts';
import { restoreModelName } from './body.ts';
import type { DirectorDatastore } from './director-options.ts';
import { MODEL_SERVER_ERROR } from './errors.ts';
import type { FlowGate } from './flow-gate.ts';
import type { HookRunner } from './hooks.ts';
import type { RequestContext } from './request-context.ts';
import { parseUsage, TailBuffer } from './usage.ts';

export interface ResponsePathDeps {
  readonly datastore: DirectorDatastore;
  readonly hooks: HookRunner;
  readonly metrics: PickerMetrics | undefined;
  readonly metricsClock: Clock;
  readonly now: () => number;
  readonly flow: FlowGate | null;
}

export class ResponsePath {
  readonly #ds: DirectorDatastore;
  readonly #hooks: HookRunner;
  readonly #metrics: PickerMetrics | undefined;
  readonly #metricsClock: Clock;
  readonly #now: () => number;
  readonly #flow: FlowGate | null;

  constructor(d: ResponsePathDeps) {
    this.#ds = d.datastore;
    this.#hooks = d.hooks;
    this.#metrics = d.metrics;
    this.#metricsClock = d.metricsClock;
    this.#now = d.now;
    this.#flow = d.flow;
  }

  /**
   * Response headers arrived. `servedKey` is the endpoint the gateway reports it used ('' when it reports
   * none): when it retried down the fallback list, the in-flight count moves there.
   */
  headers(ctx: RequestContext, headers: ReadonlyMap<string, string>, servedKey: string): void {
    const from = ctx.endpoint;
    if (from === null) return;
    const startedAt = this.#now();
    ctx.responseHeadersAt = startedAt;
    // A rewritten destination port (data-parallel-profile-handler) comes back as the endpoint's address with that port.
    if (servedKey && servedKey !== from.key && !(ctx.destinationPort > 0 && servedKey === endpointKey(from.address, ctx.destinationPort))) {
      const to = this.#ds.endpoint(servedKey);
      if (to && to !== from) {
        if (from.inflightRequests > 0) from.inflightRequests--;
        to.inflightRequests++;
        ctx.endpoint = to;
        abandoned(from); // the gateway retried elsewhere: `from` did not answer
        dispatched(to, this.#metricsClock.now());
      }
    }
    if (!ctx.answered) {
      ctx.answered = true;
      answered(ctx.endpoint!, this.#metricsClock.now(), this.#now() - ctx.receivedAt);
    }
    const res = ctx.response;
    res.servedEndpoint = servedKey;
    const status = headers.get(':status');
    res.status = status ? Number(status) || 0 : 0;
    res.streaming = (headers.get('content-type') ?? '').includes('text/event-stream');
    if (status && status !== '200') {
      const req = ctx.request;
      this.#metrics?.requestError(req.model, req.targetModel, req.fairnessId, req.priority, MODEL_SERVER_ERROR);
    }
    this.#hooks.responseReceived(ctx.request, res, ctx.endpoint!);
    ctx.responseProcessingMs += this.#now() - startedAt;
  }

  /** A response body chunk: returns the chunk to send on (the client's model name restored). */
  body(ctx: RequestContext, chunk: Buffer): Buffer {
    const res = ctx.response;
    if (chunk.length === 0) return chunk;
    const startedAt = this.#now();
    if (res.ttftMs < 0) res.ttftMs = startedAt - ctx.receivedAt;
    res.bytes += chunk.length;
    if (ctx.usageReader !== null) ctx.usageReader.push(chunk);
    else (ctx.tail ??= new TailBuffer()).push(chunk);
    const out = ctx.rewritten ? restoreModelName(chunk, ctx.request.targetModel, ctx.request.model) : chunk;
    // Upstream's llm_d_epp_response_processing_duration_seconds: per-chunk handler time when streamed.
    if (res.streaming) ctx.responseProcessingMs += this.#now() - startedAt;
    return out;
  }

  /** Ends the request's accounting once, however it ended; later calls do nothing. */
  complete(ctx: RequestContext, cause: TerminationCause): void {
    if (ctx.completed) return;
    ctx.completed = true;
    if (ctx.span !== null) ctx.span.end(cause, ctx.response.status);
    const ep = ctx.endpoint;
    if (ep === null) return; // never routed (rejected, or ended before a decision)
    if (ep.inflightRequests > 0) ep.inflightRequests--;
    if (!ctx.answered) abandoned(ep);
    this.#flow?.released(ctx);
    this.#flow?.poke();
    const req = ctx.request;
    const res = ctx.response;
    res.cause = cause;
    const now = this.#now();
    res.durationMs = now - ctx.receivedAt;
    // Upstream: per-chunk handler time for a streamed response, headers to completion otherwise; aborted
    // responses included, requests that never reached the response phase not.
    if (ctx.responseHeadersAt >= 0) {
      const ms = res.streaming ? ctx.responseProcessingMs : now - ctx.responseHeadersAt;
      if (ms > 0) this.#metrics?.responseProcessing.observe(ms / 1000);
    }
    const usage = ctx.usageReader !== null ? (ctx.usageReader.usage() ?? undefined) : ctx.tail ? parseUsage(ctx.tail.text()) : undefined;
    if (usage) {
      res.promptTokens = usage.promptTokens;
      res.completionTokens = usage.completionTokens;
      res.cachedTokens = usage.cachedTokens;
    }
    this.#hooks.responseComplete(req, res, ep);
    const c = ctx.modelMetrics;
    if (c === null) return;
    c.released();
    if (res.bytes === 0) return; // no response reached us (cancelled, or response phases not sent)
    const s = SERVED;
    s.seconds = res.durationMs / 1000;
    s.bytes = res.bytes;
    s.ttftSeconds = res.ttftMs < 0 ? -1 : res.ttftMs / 1000;
    s.streaming = res.streaming;
    s.usage = usage !== undefined;
    s.promptTokens = usage?.promptTokens ?? 0;
    s.completionTokens = usage?.completionTokens ?? 0;
    s.cachedTokens = usage?.cachedTokens ?? 0;
    c.served(s);
  }
}

/** Scratch for RequestMetrics.served: read synchronously, never kept. */
const SERVED: ServedRequest = { seconds: 0, bytes: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, ttftSeconds: -1, streaming: false, usage: false };
