/**
 * Request parsing (upstream `requesthandling.Parser`): a parser reads what routing needs from one API's
 * request body. The director picks the parser by path (longest claimed suffix; a parser that claims no path
 * is the fallback) and calls it once per request, before model resolution.
 */
import type { Plugin } from './plugin.ts';
import type { LLMRequest } from './request.ts';

/** A body the parser refuses: the picker answers 400 with this message (upstream errcommon.BadRequest). */
export class RequestParseError extends Error {
  /** The body field at fault, '' when none. */
  readonly field: string;
  constructor(message: string, field = '') {
    super(message);
    this.name = 'RequestParseError';
    this.field = field;
  }
}

/** Token usage a response reported (upstream requesthandling.Usage); cachedTokens 0 when it gave none. */
export interface ResponseUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
}

/** Reads token usage from a binary response body as its chunks pass (upstream Parser.ParseResponse). */
export interface ResponseUsageReader {
  push(chunk: Buffer): void;
  /** The usage of the last message that reported any; null when none did. */
  usage(): ResponseUsage | null;
}

export interface Parser extends Plugin {
  /**
   * Path suffixes this parser claims, without leading or trailing slashes (upstream `Claims().Paths`, e.g.
   * "chat/completions"). Empty: the parser takes every path no other parser claims.
   */
  readonly paths: readonly string[];
  /** false: the parser never looks at the body, which is then not decoded to text ('' is passed). */
  readonly readsBody?: boolean;
  /**
   * Reads the body `text` of a request to `path` (query stripped) into `req`: model, stream, cacheSalt and
   * promptText (what prefix affinity hashes). Returns the body's JSON object when the forwarded body carries
   * a model the picker may rewrite (the director then requires a model), or null for a body forwarded as is.
   * Throws RequestParseError for a body upstream answers with 400.
   */
  parseRequest(text: string, path: string, req: LLMRequest): Record<string, unknown> | null;
  /**
   * For a binary API (gRPC over h2c: the body is a length-prefixed protobuf frame): when present the director
   * calls this with the raw body bytes instead of parseRequest. The body is forwarded as is (no model rewrite).
   * Throws RequestParseError for a body upstream answers with 400.
   */
  parseRequestBytes?(body: Buffer, path: string, req: LLMRequest): void;
  /**
   * For a binary API whose responses are not JSON: a reader of the response to a request to `path`, or null
   * when that path's responses carry no usage. The director then reads usage with it instead of scanning the
   * body's text for a JSON `usage` object.
   */
  responseUsageReader?(path: string): ResponseUsageReader | null;
}

export function isParser(p: Plugin): p is Parser {
  return typeof (p as Partial<Parser>).parseRequest === 'function' && Array.isArray((p as Partial<Parser>).paths);
}
