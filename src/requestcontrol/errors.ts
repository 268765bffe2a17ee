/**
 * Typed request errors with stable codes, mapped to HTTP status and an OpenAI-style error body in one place.
 */

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'MODEL_NOT_FOUND'
  | 'BODY_TOO_LARGE'
  | 'SHED'
  | 'NO_ENDPOINT'
  | 'ALL_FILTERED'
  | 'SCHEDULING_FAILED'
  | 'PRECONDITION_FAILED'
  | 'QUEUE_FULL'
  | 'QUEUE_TTL'
  | 'QUEUE_NO_ENDPOINTS'
  | 'QUEUE_CANCELLED'
  | 'SHUTTING_DOWN'
  | 'EVICTED'
  | 'INTERNAL';

interface CodeInfo {
  status: number;
  /** OpenAI error `type`. */
  type: string;
  /** llm-d's x-llm-d-request-dropped-reason for requests dropped before dispatch ('' = not a drop). */
  dropReason?: string;
  /** Upstream's errcommon code: the error_code label of request_error_total. */
  upstream: string;
}

/** The response header naming why a request was dropped (llm-d Router pkg/common/error). */
export const DROPPED_REASON_HEADER = 'x-llm-d-request-dropped-reason';

// Status and drop reason as llm-d Router sets them (pkg/epp/requestcontrol/{director,admission}.go,
// scheduling/scheduler_profile.go, pkg/common/error/error.go):
const CODES: Record<ErrorCode, CodeInfo> = {
  BAD_REQUEST: { status: 400, type: 'invalid_request_error', upstream: 'BadRequest' },
  MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', upstream: 'NotFound' },
  BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', upstream: 'BadRequest' },
  // The legacy admission controller (sheddable request, pool saturated): 429 without a drop reason. Upstream
  // sets rejected-saturated only on flow control's capacity rejection and on filters draining the candidates.
  SHED: { status: 429, type: 'rate_limit_exceeded', upstream: 'ResourceExhausted' },
  // Every candidate filtered out: the pool is busy, not broken.
  ALL_FILTERED: { status: 429, type: 'rate_limit_exceeded', dropReason: 'rejected-saturated', upstream: 'ResourceExhausted' },
  // Any other scheduler failure: 429 ResourceExhausted, no drop reason.
  SCHEDULING_FAILED: { status: 429, type: 'rate_limit_exceeded', upstream: 'ResourceExhausted' },
  // `Prefer: if-available` and the chosen decode endpoint holds none of the prompt (upstream director's
  // conditional-decode gate, errcommon.PreconditionFailed): the coordinator restarts at prefill.
  PRECONDITION_FAILED: { status: 412, type: 'precondition_failed', upstream: 'PreconditionFailed' },
  // No candidates (empty pool, or nothing matches the gateway's subset hint).
  NO_ENDPOINT: { status: 503, type: 'service_unavailable', dropReason: 'rejected-no-endpoints', upstream: 'ServiceUnavailable' },
  INTERNAL: { status: 500, type: 'internal_error', upstream: 'Internal' },
  // Flow control (upstream requestcontrol/admission.go translateFlowControlOutcome): a full band is
  // backpressure (429 rejected-saturated); a TTL spent in the queue is 429 while the pool has endpoints, 503
  // rejected-no-endpoints when it has none; a client gone while queued 503 rejected-context-cancelled.
  QUEUE_FULL: { status: 429, type: 'rate_limit_exceeded', dropReason: 'rejected-saturated', upstream: 'ResourceExhausted' },
  QUEUE_TTL: { status: 429, type: 'rate_limit_exceeded', dropReason: 'rejected-ttl-expired', upstream: 'ResourceExhausted' },
  QUEUE_NO_ENDPOINTS: { status: 503, type: 'service_unavailable', dropReason: 'rejected-no-endpoints', upstream: 'ServiceUnavailable' },
  QUEUE_CANCELLED: { status: 503, type: 'service_unavailable', dropReason: 'rejected-context-cancelled', upstream: 'ServiceUnavailable' },
  SHUTTING_DOWN: { status: 503, type: 'service_unavailable', dropReason: 'rejected-shutting-down', upstream: 'ServiceUnavailable' },
  // flowControl.enableEviction: a sheddable request ended mid-flight for higher-priority demand (upstream
  // ImmediateResponseEvictor: 429, RequestDroppedReasonEvicted).
  EVICTED: { status: 429, type: 'rate_limit_exceeded', dropReason: 'evicted', upstream: 'ResourceExhausted' },
};

export class EppError extends Error {
  readonly code: ErrorCode;
  /** Request body field the error is about, if any (OpenAI `param`). */
  readonly param: string | null;
  constructor(code: ErrorCode, message: string, param: string | null = null) {
    super(message);
    this.name = 'EppError';
    this.code = code;
    this.param = param;
  }
  get status(): number {
    return CODES[this.code].status;
  }
  get dropReason(): string {
    return CODES[this.code].dropReason ?? '';
  }
  /** Upstream's code for the same error (BadRequest, NotFound, ResourceExhausted, ServiceUnavailable, Internal). */
  get upstreamCode(): string {
    return CODES[this.code].upstream;
  }
}

/** The JSON body an OpenAI client understands: {"error": {message, type, param, code}}. */
export function errorBody(err: EppError): Buffer {
  return Buffer.from(
    JSON.stringify({
      error: { message: err.message, type: CODES[err.code].type, param: err.param, code: err.code.toLowerCase() },
    }),
  );
}

/** request_error_total's error_code for a model-server response other than 200 (upstream errcommon.ModelServerError). */
export const MODEL_SERVER_ERROR = 'ModelServerError';

export function statusOf(code: ErrorCode): number {
  return CODES[code].status;
}
