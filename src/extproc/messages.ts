/**
 * Builders for the ProcessingResponse messages the picker sends. Header values go in raw_value only: Envoy
 * reads only raw_value (a value-only header arrives empty) and rejects a header with both set (extproc.md §4).
 * `append` stays unset (= overwrite in Envoy's ext_proc); append_action OVERWRITE_IF_EXISTS_OR_ADD is ignored by
 * Envoy and honoured by other data planes.
 */
import type { CommonResponse, HeaderMutation, HeaderValueOption, ProcessingResponse, PbStruct } from './codec/proto.ts';
import { DROPPED_REASON_HEADER, errorBody, type EppError } from '../requestcontrol/errors.ts';
import { DESTINATION_HEADER, DESTINATION_SCORES_KEY } from '../requestcontrol/headers.ts';

export { DESTINATION_HEADER };
export const DESTINATION_SERVED_KEY = 'x-gateway-destination-endpoint-served';
export const LB_METADATA_NAMESPACE = 'envoy.lb';
export const SUBSET_HINT_NAMESPACE = 'envoy.lb.subset_hint';
export const SUBSET_HINT_KEY = 'x-gateway-destination-endpoint-subset';
/** Streamed body chunks stay under 64 KB: some data planes cap a streamed chunk there (upstream uses 62,000). */
export const MAX_STREAMED_CHUNK = 62_000;

export function setHeader(key: string, value: string): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value) }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

/**
 * envoy.lb {x-gateway-destination-endpoint: "ip:port,...", x-gateway-destination-endpoint-scores?: {"ip:port": score}}
 * (upstream handlers/request.go generateMetadata; the scores only with --emit-endpoint-scores).
 */
export function destinationMetadata(destination: string, scores: Readonly<Record<string, number>> | null = null): PbStruct {
  const lb: NonNullable<PbStruct['fields']> = { [DESTINATION_HEADER]: { stringValue: destination } };
  if (scores) {
    const fields: NonNullable<PbStruct['fields']> = {};
    for (const key in scores) fields[key] = { numberValue: scores[key]! };
    lb[DESTINATION_SCORES_KEY] = { structValue: { fields } };
  }
  return { fields: { [LB_METADATA_NAMESPACE]: { structValue: { fields: lb } } } };
}

/** The routing decision on the request-headers response (FULL_DUPLEX, header-only and non-body modes). */
export function routedHeadersResponse(
  setHeaders: HeaderValueOption[],
  destination: string,
  scores: Readonly<Record<string, number>> | null = null,
  removeHeaders: readonly string[] | null = null,
): ProcessingResponse {
  return {
    request_headers: { response: { clear_route_cache: true, header_mutation: mutation(setHeaders, removeHeaders) } },
    dynamic_metadata: destinationMetadata(destination, scores),
  };
}

/** The routing decision on the request-body response (BUFFERED mode: headers were already answered). */
export function routedBodyResponse(
  setHeaders: HeaderValueOption[],
  destination: string,
  newBody: Buffer | null,
  scores: Readonly<Record<string, number>> | null = null,
  removeHeaders: readonly string[] | null = null,
): ProcessingResponse {
  const response: CommonResponse = { clear_route_cache: true, header_mutation: mutation(setHeaders, removeHeaders) };
  if (newBody) response.body_mutation = { body: newBody };
  return { request_body: { response }, dynamic_metadata: destinationMetadata(destination, scores) };
}

function mutation(setHeaders: HeaderValueOption[], removeHeaders: readonly string[] | null): HeaderMutation {
  return removeHeaders === null ? { set_headers: setHeaders } : { set_headers: setHeaders, remove_headers: [...removeHeaders] };
}

const EMPTY: CommonResponse = {};
export const CONTINUE_REQUEST_HEADERS: ProcessingResponse = { request_headers: { response: EMPTY } };
export const CONTINUE_REQUEST_BODY: ProcessingResponse = { request_body: { response: EMPTY } };
export const CONTINUE_RESPONSE_HEADERS: ProcessingResponse = { response_headers: { response: EMPTY } };
export const CONTINUE_RESPONSE_BODY: ProcessingResponse = { response_body: { response: EMPTY } };
export const REQUEST_TRAILERS_RESPONSE: ProcessingResponse = { request_trailers: {} };
export const RESPONSE_TRAILERS_RESPONSE: ProcessingResponse = { response_trailers: {} };

export function streamedRequestBody(chunk: Buffer, endOfStream: boolean): ProcessingResponse {
  return { request_body: { response: { body_mutation: { streamed_response: { body: chunk, end_of_stream: endOfStream } } } } };
}

export function streamedResponseBody(chunk: Buffer, endOfStream: boolean): ProcessingResponse {
  return { response_body: { response: { body_mutation: { streamed_response: { body: chunk, end_of_stream: endOfStream } } } } };
}

/** The response-headers answer with headers for the client (set by ResponseReceived hooks). */
export function mutatedResponseHeaders(setHeaders: HeaderValueOption[]): ProcessingResponse {
  return { response_headers: { response: { header_mutation: { set_headers: setHeaders } } } };
}

/** Dynamic metadata of number values, namespace -> key -> value (upstream plugins' DynamicMetadata). */
export function numberMetadata(md: ReadonlyMap<string, ReadonlyMap<string, number>>): PbStruct {
  const fields: Record<string, { structValue: PbStruct }> = {};
  for (const [ns, values] of md) {
    const inner: Record<string, { numberValue: number }> = {};
    for (const [key, value] of values) inner[key] = { numberValue: value };
    fields[ns] = { structValue: { fields: inner } };
  }
  return { fields };
}

export function replacedResponseBody(body: Buffer): ProcessingResponse {
  return { response_body: { response: { body_mutation: { body } } } };
}

const JSON_CONTENT_TYPE = setHeader('content-type', 'application/json');

/**
 * An OpenAI-style error answer; `dropReason` ('' = none) goes in x-llm-d-request-dropped-reason, `extra` headers
 * (the decision's explanation when asked for) go with it.
 */
export function immediateError(err: EppError, dropReason = '', extra: ReadonlyMap<string, string> | null = null): ProcessingResponse {
  const setHeaders = dropReason ? [JSON_CONTENT_TYPE, setHeader(DROPPED_REASON_HEADER, dropReason)] : [JSON_CONTENT_TYPE];
  if (extra !== null) for (const [name, value] of extra) setHeaders.push(setHeader(name, value));
  return {
    immediate_response: {
      status: { code: err.status },
      headers: { set_headers: setHeaders },
      body: errorBody(err),
      details: `inference_error_${err.code.toLowerCase()}`,
    },
  };
}

/** Splits `body` into streamed chunks of at most MAX_STREAMED_CHUNK bytes (views, no copies). */
export function chunkBody(body: Buffer): Buffer[] {
  if (body.length <= MAX_STREAMED_CHUNK) return [body];
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += MAX_STREAMED_CHUNK) out.push(body.subarray(off, off + MAX_STREAMED_CHUNK));
  return out;
}
