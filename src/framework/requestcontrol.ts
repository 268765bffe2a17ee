/**
 * Request-control contracts: hooks the director runs around a scheduling cycle and on the way back
 * (upstream framework/interface/requestcontrol). Every hook list runs in the order the config loader derives
 * from what each plugin produces and consumes, then in config order.
 *
 *   Screener -> DataProducer -> Admitter -> (scheduler) -> PreRequest -> ... -> ResponseReceived -> ResponseComplete
 */
import type { Endpoint } from './endpoint.ts';
import type { Plugin } from './plugin.ts';
import type { LLMRequest } from './request.ts';
import type { SchedulingResult } from './scheduling.ts';

/**
 * Narrows the candidates before DataProducer, admission and the scheduling profiles run (upstream Screener), so
 * no filter, scorer or picker of any profile can undo it. Every screener sees the same candidates and the
 * director keeps their intersection: a screener sets `keep[i] = 0` for each candidate it screens out and never
 * sets a 1 (`keep` is shared, one slot per candidate, all 1 before the first screener).
 */
export interface Screener extends Plugin {
  screen(request: LLMRequest, candidates: readonly Endpoint[], keep: Uint8Array): void;
}

/** Computes per-request data before scheduling (e.g. prefix-match info), for the candidates. */
export interface DataProducer extends Plugin {
  produce(request: LLMRequest, candidates: readonly Endpoint[]): void;
}

/**
 * A DataProducer that places requests jointly over a time window (burst-prefix-cache-producer): before the
 * request is scheduled it may hold it, and calls `release` once when its window is decided; produce() then
 * publishes what the window decided. The director holds nothing unless a configured producer asks to.
 */
export interface RequestHolder extends DataProducer {
  /** False: go on now. True: the request waits until `release()` (called once, asynchronously). */
  hold(request: LLMRequest, candidates: readonly Endpoint[], release: () => void): boolean;
  /** The held request was cancelled (client gone): forget it. */
  unhold(request: LLMRequest): void;
}

/**
 * A DataProducer whose data may come from I/O (e.g. upstream's latency-predictor sidecar), declared by a
 * prepareBudgetMs > 0. With one configured, the director runs the DataProducer list off the synchronous path, in
 * the same order: it awaits this producer's prepare() for at most prepareBudgetMs, then calls its produce()
 * whether prepare() finished, failed or ran out of time, so produce() must publish a fallback for whatever
 * prepare() did not bring (upstream: TimeoutAwareProducer.ProduceTimeout; its director waits, then moves on).
 * `signal` aborts when the budget ends or the request is cancelled: prepare() stops its work then and must not
 * publish anything after. A rejection is logged by the director and counts as finished.
 */
export interface AsyncDataProducer extends DataProducer {
  /** Milliseconds the director waits for prepare(); 0 = no preparation (plain DataProducer). */
  readonly prepareBudgetMs: number;
  prepare(request: LLMRequest, candidates: readonly Endpoint[], signal: AbortSignal): Promise<void>;
}

/** Admits or denies a request before scheduling: returns null to admit, else the reason for the denial. */
export interface Admitter extends Plugin {
  admit(request: LLMRequest, candidates: readonly Endpoint[]): string | null;
}

/** Runs after a pick, before the request is forwarded (e.g. record the prefix on the chosen endpoint). */
export interface PreRequest extends Plugin {
  preRequest(request: LLMRequest, result: SchedulingResult): void;
}

/** Runs when the response headers arrive from `endpoint` (the one that served, after any gateway retry). */
export interface ResponseReceived extends Plugin {
  responseReceived(request: LLMRequest, response: LLMResponse, endpoint: Endpoint): void;
}

/** Runs once when a routed request ends, however it ends; `response.cause` says how. */
export interface ResponseComplete extends Plugin {
  responseComplete(request: LLMRequest, response: LLMResponse, endpoint: Endpoint): void;
}

/** Admission: decides from the candidates' load whether the pool is saturated (>= 1.0). */
export interface SaturationDetector extends Plugin {
  saturation(candidates: readonly Endpoint[]): number;
}

/** The request-control hooks of a config, each list in run order. */
export interface RequestControlPlugins {
  readonly screeners: readonly Screener[];
  readonly dataProducers: readonly DataProducer[];
  readonly admitters: readonly Admitter[];
  readonly preRequest: readonly PreRequest[];
  readonly responseReceived: readonly ResponseReceived[];
  readonly responseComplete: readonly ResponseComplete[];
}

/** How a routed request's response ended (upstream TerminationCause). */
export type TerminationCause = 'natural' | 'client-disconnect' | 'error' | 'evicted';

/**
 * What a request learned on the way back, filled by the director as the response passes. Times are in ms
 * from the request's arrival at the picker. Every field is assigned up front (stable shape).
 */
export class LLMResponse {
  /** HTTP status from the response headers; 0 until they arrive. */
  status = 0;
  /** content-type text/event-stream. */
  streaming = false;
  /** First response body byte; -1 when no body arrived. */
  ttftMs = -1;
  /** Request end (complete, cancelled or failed). */
  durationMs = 0;
  /** Response body bytes seen. */
  bytes = 0;
  /** Token usage from the response body; -1 when the body reported none. */
  promptTokens = -1;
  completionTokens = -1;
  cachedTokens = -1;
  cause: TerminationCause = 'natural';
  /**
   * The endpoint the gateway reports it served from (`envoy.lb` / `x-gateway-destination-endpoint-served` in
   * the response's metadata), '' when it reported none. Set by the director before ResponseReceived hooks.
   */
  servedEndpoint = '';
  /**
   * Headers ResponseReceived hooks add to the response sent to the client (upstream Response.Headers written by a
   * ResponseHeaderProcessor); null until one is set. The ext_proc stream sends them with the response headers.
   */
  headers: Map<string, string> | null = null;
  /**
   * Dynamic metadata for the proxy (upstream Response.DynamicMetadata): namespace -> key -> number; null until
   * one is set. The ext_proc stream sends it with the last response message.
   */
  dynamicMetadata: Map<string, Map<string, number>> | null = null;

  setHeader(name: string, value: string): void {
    (this.headers ??= new Map()).set(name, value);
  }

  setDynamicMetadata(namespace: string, key: string, value: number): void {
    const all = (this.dynamicMetadata ??= new Map());
    let ns = all.get(namespace);
    if (ns === undefined) all.set(namespace, (ns = new Map()));
    ns.set(key, value);
  }
}

export function isScreener(p: Plugin): p is Screener {
  return typeof (p as Partial<Screener>).screen === 'function';
}
export function isDataProducer(p: Plugin): p is DataProducer {
  return typeof (p as Partial<DataProducer>).produce === 'function';
}
export function isRequestHolder(p: Plugin): p is RequestHolder {
  return isDataProducer(p) && typeof (p as Partial<RequestHolder>).hold === 'function';
}
/** A DataProducer that asks to be awaited (prepareBudgetMs > 0). */
export function isAsyncDataProducer(p: Plugin): p is AsyncDataProducer {
  const a = p as Partial<AsyncDataProducer>;
  return isDataProducer(p) && typeof a.prepare === 'function' && (a.prepareBudgetMs ?? 0) > 0;
}
export function isAdmitter(p: Plugin): p is Admitter {
  return typeof (p as Partial<Admitter>).admit === 'function';
}
export function isPreRequest(p: Plugin): p is PreRequest {
  return typeof (p as Partial<PreRequest>).preRequest === 'function';
}
export function isResponseReceived(p: Plugin): p is ResponseReceived {
  return typeof (p as Partial<ResponseReceived>).responseReceived === 'function';
}
export function isResponseComplete(p: Plugin): p is ResponseComplete {
  return typeof (p as Partial<ResponseComplete>).responseComplete === 'function';
}
export function isSaturationDetector(p: Plugin): p is SaturationDetector {
  return typeof (p as Partial<SaturationDetector>).saturation === 'function';
}
