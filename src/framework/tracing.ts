/**
 * The request span the director opens and closes (one per request, upstream's `gateway.request`). Absent
 * when tracing is off: the director checks one field per request and does nothing else.
 */
import type { LLMRequest } from './request.ts';

export interface RequestTracer {
  /** Opens the span at the request headers; joins the caller's trace when they carry a W3C traceparent. */
  start(headers: ReadonlyMap<string, string>): RequestSpan;
}

export interface RequestSpan {
  /** How many endpoints the scheduler chose among. */
  candidates(count: number): void;
  /** The scheduling decision: model, priority, the endpoints picked ("ip:port" list). */
  routed(req: LLMRequest, destination: string): void;
  /** Answered with an error (ImmediateResponse): status ERROR with the code and message. */
  failed(code: string, httpStatus: number, message: string): void;
  /** The request is over (response complete, cancelled or failed). */
  end(cause: string, httpStatus: number): void;
}
