import { endpointKey, type Endpoint } from '../framework/endpoint.ts';
import type { LLMRequest } from '../framework/request.ts';
/**
 * Header and metadata names of the gateway protocol (GIE / llm-d Router), shared by the director and ext_proc.
 * Request-control headers have a current `x-llm-d-*` name and a deprecated alias; the current name wins when
 * both are sent (llm-d Router pkg/epp/metadata/consts.go, GetLowerCaseHeaderValue).
 */

export const HEADER_REQUEST_ID = 'x-request-id';
export const HEADER_OBJECTIVE = 'x-llm-d-inference-objective';
export const HEADER_OBJECTIVE_OLD = 'x-gateway-inference-objective';
export const HEADER_MODEL_REWRITE = 'x-llm-d-model-name-rewrite';
export const HEADER_MODEL_REWRITE_OLD = 'x-gateway-model-name-rewrite';
export const HEADER_FAIRNESS_ID = 'x-llm-d-inference-fairness-id';
export const HEADER_FAIRNESS_ID_OLD = 'x-gateway-inference-fairness-id';
export const HEADER_SLO_TTFT = 'x-llm-d-slo-ttft-ms';
export const HEADER_SLO_TTFT_OLD = 'x-slo-ttft-ms';
export const HEADER_SLO_TPOT = 'x-llm-d-slo-tpot-ms';
export const HEADER_SLO_TPOT_OLD = 'x-slo-tpot-ms';
/** The fairness id of a request that names none (upstream metadata.DefaultFairnessID). */
export const DEFAULT_FAIRNESS_ID = 'default-flow';
/** The chosen endpoint(s), "ip:port" comma list, primary first: a request header and envoy.lb metadata key. */
export const DESTINATION_HEADER = 'x-gateway-destination-endpoint';
/** envoy.lb metadata key: {"ip:port": score} over every endpoint the primary profile scored (--emit-endpoint-scores). */
export const DESTINATION_SCORES_KEY = 'x-gateway-destination-endpoint-scores';

/** The DESTINATION_HEADER value for the first n endpoints; `port` > 0 replaces each one's own port. */
export function destinationOf(endpoints: readonly Endpoint[], n: number, port: number): string {
  let destination = '';
  for (let i = 0; i < n; i++) {
    const ep = endpoints[i]!;
    destination += `${i > 0 ? ',' : ''}${port > 0 ? endpointKey(ep.address, port) : ep.key}`;
  }
  return destination;
}

/**
 * Request headers only the picker may set for the model server side: the P/D routing sidecar calls the host
 * named in x-prefiller-host-port (and the encoders in x-encoder-hosts-ports), so a client's own value is removed
 * unless a plugin set it for this request (llm-d-router pkg/common/routing).
 */
export const PICKER_OWNED_HEADERS: readonly string[] = ['x-prefiller-host-port', 'x-encoder-hosts-ports'];

/** The value of a header under its current name, else its deprecated alias; undefined when neither is sent. */
export function aliasedHeader(headers: ReadonlyMap<string, string>, current: string, old: string): string | undefined {
  return headers.get(current) ?? headers.get(old);
}

/** An SLO header in ms (a float, as upstream's parseFloatHeader); 0 when absent, not a number or negative. */
export function msHeader(v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Picker-owned headers the client sent that no plugin set for this request; null (no allocation) when none. */
export function clientSentOwnedHeaders(req: LLMRequest): string[] | null {
  let out: string[] | null = null;
  for (let i = 0; i < PICKER_OWNED_HEADERS.length; i++) {
    const name = PICKER_OWNED_HEADERS[i]!;
    if (req.headers.has(name) && (req.outHeaders === null || !req.outHeaders.has(name))) (out ??= []).push(name);
  }
  return out;
}
