/**
 * Reads what routing needs from an OpenAI-style request body: model, the text prefix affinity hashes, stream,
 * cache_salt. Validation follows the upstream openai-parser: completions need a prompt, chat needs messages.
 */
import { EppError } from './errors.ts';
import { topLevelMemberText } from './json-span.ts';
import type { LLMRequest } from '../framework/request.ts';

/** Fills `req` from the body (bytes or its text). Throws EppError(BAD_REQUEST) with the field named. */
export function parseOpenAIBody(body: Buffer | string, req: LLMRequest): Record<string, unknown> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new EppError('BAD_REQUEST', `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EppError('BAD_REQUEST', 'request body must be a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  const model = obj.model;
  if (model === undefined || model === null || model === '') {
    throw new EppError('BAD_REQUEST', 'model not found in request body', 'model');
  }
  if (typeof model !== 'string') throw new EppError('BAD_REQUEST', 'model must be a string', 'model');
  req.model = model;
  req.stream = obj.stream === true;
  req.cacheSalt = typeof obj.cache_salt === 'string' ? obj.cache_salt : '';
  req.promptText = promptTextOf(obj, text, req.path);
  return obj;
}

/**
 * The text prefix affinity hashes. Chat messages are the client's own JSON text of the array (a slice of the
 * body); upstream hashes its re-serialisation, which has the same property for affinity: a conversation that
 * grows keeps its leading bytes.
 */
function promptTextOf(obj: Record<string, unknown>, text: string, path: string): string {
  const kind = apiKind(path, obj);
  switch (kind) {
    case 'chat': {
      const messages = obj.messages;
      if (!Array.isArray(messages) || messages.length === 0) {
        throw new EppError('BAD_REQUEST', 'messages must be a non-empty array', 'messages');
      }
      return topLevelMemberText(text, 'messages') ?? JSON.stringify(messages);
    }
    case 'completions': {
      const prompt = obj.prompt;
      if (typeof prompt === 'string') {
        if (prompt === '') throw new EppError('BAD_REQUEST', 'prompt must not be empty', 'prompt');
        return prompt;
      }
      if (Array.isArray(prompt) && prompt.length > 0) {
        return prompt.every((p) => typeof p === 'string') ? prompt.join('') : JSON.stringify(prompt);
      }
      throw new EppError('BAD_REQUEST', 'prompt must be a non-empty string, array of strings or token ids', 'prompt');
    }
    case 'responses':
      return obj.input === undefined ? '' : JSON.stringify([obj.instructions ?? null, obj.tools ?? null, obj.input]);
    case 'embeddings':
      return obj.input === undefined ? '' : typeof obj.input === 'string' ? obj.input : JSON.stringify(obj.input);
    default:
      // Any other body with a model field: route it, with affinity on whatever prompt-like field exists.
      if (typeof obj.prompt === 'string') return obj.prompt;
      return Array.isArray(obj.messages) ? JSON.stringify(obj.messages) : '';
  }
}

type ApiKind = 'chat' | 'completions' | 'responses' | 'embeddings' | 'other';

function apiKind(path: string, obj: Record<string, unknown>): ApiKind {
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  if (p.endsWith('/chat/completions')) return 'chat';
  if (p.endsWith('/completions')) return 'completions';
  if (p.endsWith('/responses')) return 'responses';
  if (p.endsWith('/embeddings')) return 'embeddings';
  if (p === '' && 'messages' in obj) return 'chat';
  if (p === '' && 'prompt' in obj) return 'completions';
  return 'other';
}

/** Serialises the body with a new model name (model rewrite). */
export function rewriteModel(obj: Record<string, unknown>, model: string): Buffer {
  obj.model = model;
  return Buffer.from(JSON.stringify(obj));
}
