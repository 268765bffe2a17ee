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
  | 'INTERNAL';

interface CodeInfo {
  status: number;
  /** OpenAI error `type`. */
  type: string;
  /** llm-d's x-llm-d-request-dropped-reason for requests dropped before dispatch ('' = not a drop). */
  dropReason?: string;
}

/** The response header naming why a request was dropped (llm-d Router pkg/common/error). */
export const DROPPED_REASON_HEADER = 'x-llm-d-request-dropped-reason';

// Status and drop reason as llm-d Router sets them (pkg/epp/requestcontrol/{director,admission}.go,
// scheduling/scheduler_profile.go, pkg/common/error/error.go):
const CODES: Record<ErrorCode, CodeInfo> = {
  BAD_REQUEST: { status: 400, type: 'invalid_request_error' },
  MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error' },
  BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error' },
  // The legacy admission controller (sheddable request, pool saturated): 429 without a drop reason. Upstream
  // sets rejected-saturated only on flow control's capacity rejection and on filters draining the candidates.
  SHED: { status: 429, type: 'rate_limit_exceeded' },
  // Every candidate filtered out: the pool is busy, not broken.
  ALL_FILTERED: { status: 429, type: 'rate_limit_exceeded', dropReason: 'rejected-saturated' },
  // Any other scheduler failure: 429 ResourceExhausted, no drop reason.
  SCHEDULING_FAILED: { status: 429, type: 'rate_limit_exceeded' },
  // No candidates (empty pool, or nothing matches the gateway's subset hint).
  NO_ENDPOINT: { status: 503, type: 'service_unavailable', dropReason: 'rejected-no-endpoints' },
  INTERNAL: { status: 500, type: 'internal_error' },
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
}

/** The JSON body an OpenAI client understands: {"error": {message, type, param, code}}. */
export function errorBody(err: EppError): Buffer {
  return Buffer.from(
    JSON.stringify({
      error: { message: err.message, type: CODES[err.code].type, param: err.param, code: err.code.toLowerCase() },
    }),
  );
}

export function statusOf(code: ErrorCode): number {
  return CODES[code].status;
}
