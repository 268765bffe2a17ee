/**
 * sglanghttp-parser: SGLang's native `/generate` (upstream parsers/sglanghttp): pre-tokenized `input_ids`
 * (required, a non-empty array of uint32 integers), `extra_key` (a string: the cache salt), `stream`.
 * The body is forwarded as is: no model is read or rewritten, as upstream (RawPayload).
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError, type Parser } from '../../../../framework/parser.ts';
import { topLevelMemberText } from '../json-span.ts';
import { isTokenId, parseJsonObject } from '../json-body.ts';

export const SGLANG_HTTP_PARSER_TYPE = 'sglanghttp-parser';

export class SglangHttpParser implements Parser {
  readonly type = SGLANG_HTTP_PARSER_TYPE;
  readonly name: string;
  readonly paths = ['generate'];

  constructor(name: string) {
    this.name = name;
  }

  parseRequest(text: string, path: string, req: LLMRequest): null {
    const p = path.trim().replace(/\/$/, '');
    if (p !== 'generate' && p !== '/generate') throw new RequestParseError(`unsupported path: ${p}`);
    const obj = parseJsonObject(text, 'generate request');
    const stream = obj['stream'];
    if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw new RequestParseError('invalid generate request: stream must be a boolean', 'stream');
    const ids = obj['input_ids'];
    if (ids === undefined || ids === null) throw new RequestParseError('invalid generate request: input_ids must be provided', 'input_ids');
    const salt = obj['extra_key'];
    if (salt !== undefined && salt !== null && typeof salt !== 'string') throw new RequestParseError('unsupported generate request: extra_key must be a string', 'extra_key');
    if (!Array.isArray(ids) || !ids.every(isTokenId)) throw new RequestParseError('invalid generate request: input_ids must be an array of uint32 integers', 'input_ids');
    if (ids.length === 0) throw new RequestParseError('invalid generate request: input_ids cannot be empty', 'input_ids');
    req.model = '';
    req.stream = stream === true;
    req.cacheSalt = typeof salt === 'string' ? salt : '';
    req.promptText = topLevelMemberText(text, 'input_ids') ?? JSON.stringify(ids);
    return null;
  }
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createSglangHttpParser(name: string, _params: unknown, _handle: PluginHandle): SglangHttpParser {
  return new SglangHttpParser(name);
}
