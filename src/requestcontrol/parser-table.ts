/**
 * Which parser reads a request (upstream handlers.ParserRegistry): the longest claimed path suffix wins,
 * whatever the order; a path no parser claims goes to the fallback (the first parser that claims no path),
 * else it is refused with 400. Built once at config load; resolve() is a loop over a few suffixes.
 */
import { RequestParseError, type Parser, type ResponseUsageReader } from '../framework/parser.ts';
import type { PluginDurationHook } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import { bodyText } from './body.ts';
import { EppError } from './errors.ts';
import { aliasedHeader, HEADER_MODEL_REWRITE, HEADER_MODEL_REWRITE_OLD } from './headers.ts';

/** The plugin-duration extension point of request parsing. */
export const REQUEST_PARSING_POINT = 'RequestParsing';

export class ParserTable {
  readonly #suffixes: string[] = [];
  readonly #owners: Parser[] = [];
  readonly #fallback: Parser | null;
  /** Parsers in use, one per type, in config order. */
  readonly parsers: readonly Parser[];
  /** Some parser reads binary responses itself (Parser.responseUsageReader). */
  readonly readsResponses: boolean;
  /** Duplicate types and parsers listed after the fallback (both skipped, as upstream). */
  readonly warnings: readonly string[];

  constructor(parsers: readonly Parser[]) {
    const used: Parser[] = [];
    const warnings: string[] = [];
    const types = new Set<string>();
    let fallback: Parser | null = null;
    for (let i = 0; i < parsers.length; i++) {
      const p = parsers[i]!;
      const duplicate = types.has(p.type);
      if (duplicate) warnings.push(`parser "${p.name}" skipped: a parser of type "${p.type}" is already in use`);
      else {
        types.add(p.type);
        used.push(p);
      }
      if (p.paths.length === 0) {
        // upstream takes the first path-less parser as the fallback even when its type is a duplicate.
        fallback = p;
        for (const s of parsers.slice(i + 1)) warnings.push(`parser "${s.name}" skipped: it comes after the fallback parser "${p.name}"`);
        break;
      }
      if (duplicate) continue;
      for (const path of p.paths) {
        this.#suffixes.push(path.trim().replace(/^\/+|\/+$/g, ''));
        this.#owners.push(p);
      }
    }
    this.#fallback = fallback;
    this.parsers = used;
    this.readsResponses = used.some((p) => p.responseUsageReader !== undefined) || (fallback?.responseUsageReader !== undefined);
    this.warnings = warnings;
  }

  /** The parser for `path` (query stripped), or null when none claims it and there is no fallback. */
  resolve(path: string): Parser | null {
    const end = path.charCodeAt(path.length - 1) === 0x2f /* / */ ? path.length - 1 : path.length;
    let best: Parser | null = null;
    let bestLen = 0;
    for (let i = 0; i < this.#suffixes.length; i++) {
      const s = this.#suffixes[i]!;
      if (s.length > bestLen && end >= s.length && path.startsWith(s, end - s.length)) {
        best = this.#owners[i]!;
        bestLen = s.length;
      }
    }
    return best ?? this.#fallback;
  }

  /**
   * Runs the parser the path selects. Returns the body's JSON object when its model may be rewritten (a
   * model is then required, unless the rewrite header names one), else null. Throws EppError(BAD_REQUEST).
   */
  parseBody(req: LLMRequest, body: { readonly chunks: readonly Buffer[]; readonly bytes: number }, hook: PluginDurationHook | null): Record<string, unknown> | null {
    const path = requestPath(req.headers);
    const parser = this.resolve(path);
    if (parser === null) throw new EppError('BAD_REQUEST', `no parser registered matching path suffix for: ${path}`);
    const t0 = hook === null ? 0 : performance.now();
    let parsed: Record<string, unknown> | null;
    try {
      if (parser.parseRequestBytes !== undefined) {
        parser.parseRequestBytes(body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks as Buffer[], body.bytes), path, req);
        parsed = null;
      } else {
        parsed = parser.parseRequest(parser.readsBody === false ? '' : bodyText(body.chunks, body.bytes), path, req);
      }
    } catch (e) {
      if (e instanceof RequestParseError) throw new EppError('BAD_REQUEST', e.message, e.field || null);
      throw e;
    }
    if (hook !== null) hook(REQUEST_PARSING_POINT, parser.type, parser.name, (performance.now() - t0) / 1000);
    if (parsed !== null && req.model === '' && !aliasedHeader(req.headers, HEADER_MODEL_REWRITE, HEADER_MODEL_REWRITE_OLD)) {
      throw new EppError('BAD_REQUEST', 'model not found in request body', 'model');
    }
    return parsed;
  }
}

/** The response usage reader of the parser that read this request, or null when it scans JSON usage. */
export function usageReaderOf(table: ParserTable, req: LLMRequest): ResponseUsageReader | null {
  if (!table.readsResponses) return null;
  const path = requestPath(req.headers);
  const parser = table.resolve(path);
  return parser?.responseUsageReader?.(path) ?? null;
}

/**
 * The path parsers route on (upstream request.GetRequestPath): `:path`, else `x-original-path`, else
 * `x-forwarded-path`, else "/v1/completions"; the query is stripped.
 */
export function requestPath(headers: ReadonlyMap<string, string>): string {
  const p = headers.get(':path') || headers.get('x-original-path') || headers.get('x-forwarded-path') || '/v1/completions';
  const q = p.indexOf('?');
  return q >= 0 ? p.slice(0, q) : p;
}
