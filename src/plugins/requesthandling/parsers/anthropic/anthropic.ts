/**
 * anthropic-parser: the Anthropic Messages API (upstream parsers/anthropic). `/v1/messages` needs at least
 * one message, with the JSON types upstream's typed decode checks; `/v1/messages/count_tokens` is forwarded
 * as is (no model read, no rewrite), as upstream.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError, type Parser } from '../../../../framework/parser.ts';
import { topLevelMemberText } from '../json-span.ts';
import { isArray, isBool, isObject, isString, nullOr, parseJsonObject, readCommon, type JsonObject } from '../json-body.ts';

export const ANTHROPIC_PARSER_TYPE = 'anthropic-parser';

export class AnthropicParser implements Parser {
  readonly type = ANTHROPIC_PARSER_TYPE;
  readonly name: string;
  readonly paths = ['messages', 'messages/count_tokens'];

  constructor(name: string) {
    this.name = name;
  }

  parseRequest(text: string, path: string, req: LLMRequest): JsonObject | null {
    if (path.endsWith('/messages/count_tokens')) return null;
    if (!path.endsWith('/messages')) throw new RequestParseError(`unsupported API endpoint: ${path}`);
    const obj = parseJsonObject(text, 'request');
    const bad = (field: string) => new RequestParseError(`error parsing messages request: field ${field} has the wrong JSON type`, field);
    if (!nullOr(obj['messages'], isArray)) throw bad('messages');
    if (!isContent(obj['system'])) throw bad('system');
    if (!nullOr(obj['tools'], isArray) || !(obj['tools'] as unknown[] | null ?? []).every(isTool)) throw bad('tools');
    if (!nullOr(obj['cache_salt'], isString)) throw bad('cache_salt');
    const messages = (obj['messages'] ?? []) as unknown[];
    for (const m of messages) {
      if (m !== null && (!isObject(m) || !nullOr(m['role'], isString) || !isContent(m['content']))) throw bad('messages');
    }
    if (messages.length === 0) throw new RequestParseError('invalid messages request: must have at least one message', 'messages');
    readCommon(obj, req);
    const system = obj['system'] === undefined ? '' : (topLevelMemberText(text, 'system') ?? '');
    req.promptText = system + (topLevelMemberText(text, 'messages') ?? JSON.stringify(messages));
    return obj;
  }
}

/** upstream `AnthropicContent`: a string or an array of content blocks (tool_result blocks nest content). */
function isContent(c: unknown): boolean {
  if (c === undefined || c === null || typeof c === 'string') return true;
  if (!Array.isArray(c)) return false;
  for (const b of c) {
    if (b === null) continue;
    if (!isObject(b)) return false;
    for (const k of BLOCK_STRINGS) if (!nullOr(b[k], isString)) return false;
    const src = b['source'];
    if (!nullOr(src, isObject)) return false;
    if (isObject(src)) for (const k of SOURCE_STRINGS) if (!nullOr(src[k], isString)) return false;
    if (!isContent(b['content'])) return false;
  }
  return true;
}

const BLOCK_STRINGS = ['type', 'text', 'id', 'name', 'tool_use_id', 'thinking'];
const SOURCE_STRINGS = ['type', 'media_type', 'data', 'url'];

function isTool(t: unknown): boolean {
  if (t === null) return true;
  return isObject(t) && nullOr(t['name'], isString) && nullOr(t['description'], isString) && nullOr(t['strict'], isBool) && nullOr(t['defer_loading'], isBool);
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createAnthropicParser(name: string, _params: unknown, _handle: PluginHandle): AnthropicParser {
  return new AnthropicParser(name);
}
