/**
 * openai-parser: OpenAI API request bodies (upstream parsers/openai). The API is chosen by path suffix:
 * conversations, responses, chat/completions (+ /render), completions (+ /render), embeddings,
 * images/generations; any other path is read as completions, as upstream. Validation follows upstream:
 * the one field each API needs (prompt, messages, input, items, prompt) and the JSON types of the fields its
 * typed decode reads. One JSON.parse per request; chat messages are hashed as a slice of the body text.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { RequestParseError, type Parser } from '../../../../framework/parser.ts';
import { topLevelMemberText } from '../json-span.ts';
import {
  checkArrayInput,
  checkFields,
  fieldChecks,
  isArray,
  isBool,
  isInt,
  isObject,
  isString,
  matchPathSuffix,
  nullOr,
  parseJsonObject,
  readCommon,
  type JsonObject,
} from '../json-body.ts';

export const OPENAI_PARSER_TYPE = 'openai-parser';

const Api = { Completions: 0, Chat: 1, Responses: 2, Conversations: 3, Embeddings: 4, Images: 5 } as const;
type Api = (typeof Api)[keyof typeof Api];

/** upstream `determineAPITypeFromPath`, in its order. */
function apiOf(path: string): Api {
  if (matchPathSuffix(path, 'conversations')) return Api.Conversations;
  if (matchPathSuffix(path, 'responses')) return Api.Responses;
  if (matchPathSuffix(path, 'chat/completions') || matchPathSuffix(path, 'chat/completions/render')) return Api.Chat;
  if (matchPathSuffix(path, 'completions') || matchPathSuffix(path, 'completions/render')) return Api.Completions;
  if (matchPathSuffix(path, 'embeddings')) return Api.Embeddings;
  if (matchPathSuffix(path, 'images/generations')) return Api.Images;
  return Api.Completions;
}

export class OpenAIParser implements Parser {
  readonly type = OPENAI_PARSER_TYPE;
  readonly name: string;
  readonly paths = ['chat/completions', 'completions', 'embeddings', 'responses', 'conversations', 'chat/completions/render', 'completions/render', 'images/generations'];

  constructor(name: string) {
    this.name = name;
  }

  parseRequest(text: string, path: string, req: LLMRequest): JsonObject {
    const obj = parseJsonObject(text, 'request');
    readCommon(obj, req);
    req.promptText = promptOf(apiOf(path), obj, text);
    return obj;
  }
}

/** Validates the body for its API and returns the text prefix affinity hashes. */
function promptOf(api: Api, obj: JsonObject, text: string): string {
  switch (api) {
    case Api.Chat: {
      checkFields(obj, CHAT_FIELDS, 'invalid chat completions request');
      const messages = obj['messages'];
      if (!Array.isArray(messages) || messages.length === 0) {
        throw new RequestParseError('invalid chat completions request: must have valid messages field', 'messages');
      }
      for (const m of messages) checkChatMessage(m);
      // The client's own text of the array: a conversation that grows keeps its leading bytes, as upstream's
      // re-serialisation does. JSON.stringify(messages) took 8% of the picker's CPU on 32 KB bodies (bench/README.md).
      return topLevelMemberText(text, 'messages') ?? JSON.stringify(messages);
    }
    case Api.Completions:
      checkFields(obj, SALT_FIELD, 'invalid completions request');
      return arrayInputText(obj, 'prompt', 'prompt', 'completions');
    case Api.Responses: {
      checkFields(obj, SALT_FIELD, 'invalid responses request');
      const input = obj['input'];
      if (input === undefined || input === null) throw new RequestParseError('invalid responses request: must have input field', 'input');
      return JSON.stringify([obj['instructions'] ?? null, obj['tools'] ?? null, input]);
    }
    case Api.Conversations: {
      checkFields(obj, CONVERSATIONS_FIELDS, 'invalid conversations request');
      const items = obj['items'];
      if (!Array.isArray(items) || items.length === 0) throw new RequestParseError('invalid conversations request: must have items field', 'items');
      for (const it of items) {
        if (!nullOr(it, isObject) || (isObject(it) && !nullOr(it['type'], isString)) || (isObject(it) && !nullOr(it['role'], isString))) {
          throw new RequestParseError('invalid conversations request: must have items field', 'items');
        }
      }
      return topLevelMemberText(text, 'items') ?? JSON.stringify(items);
    }
    case Api.Embeddings:
      checkFields(obj, SALT_FIELD, 'invalid embeddings request');
      return arrayInputText(obj, 'input', 'embeddings input', 'embeddings');
    case Api.Images: {
      checkFields(obj, IMAGES_FIELDS, 'invalid images generations request');
      const prompt = obj['prompt'];
      if (typeof prompt !== 'string' || prompt === '') throw new RequestParseError('invalid images generations request: must have prompt field', 'prompt');
      return prompt;
    }
  }
}

/**
 * upstream `Prompt` / `EmbeddingsInput`: a non-empty string, or a non-empty array of strings (joined) or of
 * token ids (their JSON text).
 */
function arrayInputText(obj: JsonObject, field: string, what: string, api: string): string {
  const v = obj[field];
  if (typeof v === 'string' && v !== '') return v;
  if (Array.isArray(v) && checkArrayInput(v, what, field) > 0) return typeof v[0] === 'string' ? v.join('') : JSON.stringify(v);
  if (v !== undefined && v !== null && typeof v !== 'string' && !Array.isArray(v)) throw new RequestParseError(`${what}: must be a string or an array`, field);
  throw new RequestParseError(`invalid ${api} request: must have ${field} field`, field);
}

const SALT_FIELD = fieldChecks({ cache_salt: isString });
const CHAT_FIELDS = fieldChecks({
  messages: isArray,
  tools: isArray,
  documents: isArray,
  chat_template: isString,
  return_assistant_tokens_mask: isBool,
  continue_final_message: isBool,
  add_generation_prompt: isBool,
  chat_template_kwargs: isObject,
  cache_salt: isString,
});
const CONVERSATIONS_FIELDS = fieldChecks({ items: isArray, metadata: isObject, cache_salt: isString });
const IMAGES_FIELDS = fieldChecks({ prompt: isString, n: isInt, size: isString, num_inference_steps: isInt });

/** upstream `Message`: role a string, content a string or an array of content blocks, tool_calls an array. */
function checkChatMessage(m: unknown): void {
  if (m === null) return;
  if (!isObject(m) || !nullOr(m['role'], isString) || !nullOr(m['tool_calls'], isArray) || !isChatContent(m['content'])) {
    throw new RequestParseError('invalid chat completions request: must have valid messages field', 'messages');
  }
}

function isChatContent(c: unknown): boolean {
  if (c === undefined || c === null || typeof c === 'string') return true;
  if (!Array.isArray(c)) return false;
  for (const b of c) {
    if (b === null) continue;
    if (!isObject(b) || !nullOr(b['type'], isString) || !nullOr(b['text'], isString)) return false;
    if (!urlBlock(b['image_url']) || !urlBlock(b['video_url'])) return false;
    const audio = b['input_audio'];
    if (!nullOr(audio, isObject) || (isObject(audio) && (!nullOr(audio['data'], isString) || !nullOr(audio['format'], isString)))) return false;
  }
  return true;
}

const urlBlock = (v: unknown): boolean => nullOr(v, isObject) && (!isObject(v) || nullOr(v['url'], isString));

/** Takes no parameters; like upstream's factory it does not read them. */
export function createOpenAIParser(name: string, _params: unknown, _handle: PluginHandle): OpenAIParser {
  return new OpenAIParser(name);
}
