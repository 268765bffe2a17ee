/** What the director decides for a request: where it goes and how to change it, or how to answer it now. */
import type { Endpoint } from '../framework/endpoint.ts';
import type { EppError } from './errors.ts';

export interface HeaderMutation {
  readonly name: string;
  readonly value: string;
}

export interface RouteDecision {
  readonly ok: true;
  /** Comma-joined "ip:port" list for x-gateway-destination-endpoint and envoy.lb metadata, primary first. */
  readonly destination: string;
  /** Primary first, then fallbacks. */
  readonly endpoints: readonly Endpoint[];
  /** Request headers to set (destination, generated x-request-id, content-length of a rewritten body). */
  readonly headers: readonly HeaderMutation[];
  /**
   * Client request headers to remove: picker-owned routing headers (PICKER_OWNED_HEADERS) the client sent and no
   * plugin set, so a client cannot name the decode sidecar's prefill host. null when none.
   */
  readonly removeHeaders: readonly string[] | null;
  /** The request body to send instead of the client's (model rewrite); null = unchanged. */
  readonly body: Buffer | null;
  /**
   * "ip:port" -> weighted total score of every endpoint the primary profile scored, for the envoy.lb
   * x-gateway-destination-endpoint-scores metadata; null unless --emit-endpoint-scores and scorers ran.
   */
  readonly endpointScores: Readonly<Record<string, number>> | null;
}

export interface ErrorDecision {
  readonly ok: false;
  /** HTTP status of the immediate response. */
  readonly status: number;
  readonly error: EppError;
  /** x-llm-d-request-dropped-reason value; '' when the error is not a drop. */
  readonly dropReason: string;
}

export type RequestDecision = RouteDecision | ErrorDecision;
