/**
 * What every JSON parser plugin shares: the one JSON.parse of the body, and the type checks upstream gets
 * from decoding the same bytes into its typed Go structs (a field of the wrong JSON type fails the decode,
 * so the request gets 400). The checks walk the already-parsed object: no second pass over the text.
 * JSON null is accepted wherever Go accepts it (a null decodes to the zero value).
 */
import type { LLMRequest } from '../../../framework/request.ts';
import { RequestParseError } from '../../../framework/parser.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-span.ts';

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object; 400 when it is not JSON, not an object, or nested deeper than MAX_JSON_DEPTH. */
export function parseJsonObject(text: string, what: string): JsonObject {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new RequestParseError(`${what} body is nested deeper than ${MAX_JSON_DEPTH} levels (the limit for JSON objects and arrays)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RequestParseError(`${what} body is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestParseError(`${what} body must be a JSON object`);
  }
  return parsed as JsonObject;
}

/** model (a string, else '' as upstream's `bodyMap["model"].(string)`), stream (true only when boolean true), cache_salt. */
export function readCommon(obj: JsonObject, req: LLMRequest): void {
  const model = obj['model'];
  req.model = typeof model === 'string' ? model : '';
  req.stream = obj['stream'] === true;
  const salt = obj['cache_salt'];
  req.cacheSalt = typeof salt === 'string' ? salt : '';
}

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go decodes null into any field; otherwise the JSON type must match. */
export const nullOr = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || v === null || check(v);
export const isString = (v: unknown): boolean => typeof v === 'string';
export const isBool = (v: unknown): boolean => typeof v === 'boolean';
export const isArray = (v: unknown): boolean => Array.isArray(v);
export const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
/** A token id: an integer in uint32 range. */
export const isTokenId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** Field name -> JSON type check, built once per API (a list: no key iteration per request). */
export type FieldChecks = readonly (readonly [string, (v: unknown) => boolean])[];

export function fieldChecks(checks: Readonly<Record<string, (v: unknown) => boolean>>): FieldChecks {
  return Object.entries(checks);
}

/** Fails with `message` unless every named field of `obj` passes its check (absent and null pass). */
export function checkFields(obj: JsonObject, checks: FieldChecks, message: string): void {
  for (let i = 0; i < checks.length; i++) {
    const [key, check] = checks[i]!;
    const v = obj[key];
    if (v !== undefined && v !== null && !check(v)) throw new RequestParseError(`${message}: field ${key} has the wrong JSON type`, key);
  }
}

/**
 * upstream `parseArrayInput` (prompt, embeddings input): an array of strings or of token ids, judged by the
 * first element. Returns the number of elements; throws on mixed or other types.
 */
export function checkArrayInput(v: readonly unknown[], what: string, field = what): number {
  if (v.length === 0) return 0;
  const first = v[0];
  if (typeof first === 'string') {
    for (const x of v) if (typeof x !== 'string') throw new RequestParseError(`${what}: mixed types in array`, field);
  } else if (typeof first === 'number') {
    for (const x of v) {
      if (typeof x !== 'number') throw new RequestParseError(`${what}: mixed types in array`, field);
      if (!isTokenId(x)) throw new RequestParseError(`${what}: floating-point number ${x} is not a valid token ID`, field);
    }
  } else {
    throw new RequestParseError(`${what}: unsupported array element type`, field);
  }
  return v.length;
}

/**
 * upstream `request.MatchPathSuffix`: the path without a trailing slash ends with the suffix (the suffix
 * without leading or trailing slashes). A plain string suffix, as upstream: "completions" matches
 * "/v1/chat/completions" too; callers test longer suffixes first.
 */
export function matchPathSuffix(path: string, suffix: string): boolean {
  const end = path.charCodeAt(path.length - 1) === 0x2f /* / */ ? path.length - 1 : path.length; // Go TrimSuffix: one slash
  return end >= suffix.length && path.startsWith(suffix, end - suffix.length);
}
