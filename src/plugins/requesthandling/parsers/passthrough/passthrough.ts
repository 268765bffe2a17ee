/**
 * passthrough-parser: forwards any body without reading it (upstream parsers/passthrough). It claims no
 * path, so it takes every path the other parsers do not; requests are scheduled without a model or prompt
 * (no prefix affinity, no model rewrite).
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Parser } from '../../../../framework/parser.ts';

export const PASSTHROUGH_PARSER_TYPE = 'passthrough-parser';

export class PassthroughParser implements Parser {
  readonly type = PASSTHROUGH_PARSER_TYPE;
  readonly name: string;
  readonly paths: readonly string[] = [];
  readonly readsBody = false;

  constructor(name: string) {
    this.name = name;
  }

  parseRequest(_text: string, _path: string, req: LLMRequest): null {
    req.model = '';
    req.promptText = '';
    return null;
  }
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createPassthroughParser(name: string, _params: unknown, _handle: PluginHandle): PassthroughParser {
  return new PassthroughParser(name);
}
