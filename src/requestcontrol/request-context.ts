/**
 * One request's state from its headers to its completion, owned by the director. The ext_proc stream holds
 * it and hands it back on every call; it never reads the fields below `request` and `subset`.
 */
import type { Endpoint } from '../framework/endpoint.ts';
import type { ExplainRecorder } from '../framework/explain.ts';
import type { ResponseUsageReader } from '../framework/parser.ts';
import { LLMRequest } from '../framework/request.ts';
import { LLMResponse } from '../framework/requestcontrol.ts';
import type { RequestSpan } from '../framework/tracing.ts';
import type { InFlightLease } from '../flowcontrol/in-flight.ts';
import type { RequestMetrics } from '../observability/metrics.ts';
import type { TailBuffer } from './usage.ts';

export class RequestContext {
  /** Filled by the stream (headers) and the director (body, model, priority). */
  readonly request = new LLMRequest();
  /** Filled by the director as the response passes. */
  readonly response = new LLMResponse();
  /** The gateway's subset hint ("ip:port" list); null when it sent none. Set by the stream. */
  subset: readonly string[] | null = null;
  /** performance.now() when the request headers arrived. */
  receivedAt = 0;
  requestIdGenerated = false;
  /** The endpoint holding this request's in-flight count; null until routed, or when rejected. */
  endpoint: Endpoint | null = null;
  /** The port the destination named instead of the endpoints' own (SchedulingResult.destinationPort); 0 = their own. */
  destinationPort = 0;
  /** This request's metric label children, looked up once when it is routed. */
  modelMetrics: RequestMetrics | null = null;
  /** The target model differs from the client's: responses carry the client's name back. */
  rewritten = false;
  /** The response's last bytes, for its usage block. */
  tail: TailBuffer | null = null;
  /** Reads usage from a binary (gRPC) response instead of `tail`; null for JSON responses. */
  usageReader: ResponseUsageReader | null = null;
  /** Response headers arrived (the endpoint answered: answer-watch.ts). */
  answered = false;
  /** When response headers arrived (-1: not yet), and the picker's own time spent on the response so far. */
  responseHeadersAt = -1;
  responseProcessingMs = 0;
  /** handleResponseComplete ran. */
  completed = false;
  /** Set by the stream: ends this routed request with flow control's eviction answer (enableEviction). */
  evict: (() => void) | null = null;
  /** Flow control's hold on this routed request while it runs (eviction on); null otherwise. */
  lease: InFlightLease | null = null;
  /** The request's trace span; null when tracing is off. */
  span: RequestSpan | null = null;
  /** Decision explain: the scheduler records this request's cycle here; null on the normal path. */
  explain: ExplainRecorder | null = null;
  /** The client asked for the explanation (debug header, enabled): it goes back in a response header. */
  explainReply = false;
}
