/**
 * The OpenAI wire format as vLLM's server speaks it: request parsing (completions and chat), response and
 * SSE chunk bodies, errors. Pure functions; the server does the I/O.
 */
import { Rng } from './rng.ts';
import { cyrb53, tokenCount } from './tokens.ts';

export type ApiKind = 'completion' | 'chat';

export interface ParsedRequest {
  kind: ApiKind;
  model: string;
  /** Text the prompt tokens are counted and prefix-hashed from (chat: the rendered template). */
  promptText: string;
  /** Chat messages (role, concatenated text); null for completions. */
  messages: { role: string; text: string }[] | null;
  promptTokens: number;
  /** max_tokens / max_completion_tokens; 0 = not given (defaults to the room left in max_model_len). */
  maxTokens: number;
  ignoreEos: boolean;
  stream: boolean;
  includeUsage: boolean;
  cacheSalt: string;
  /**
   * vLLM kv_transfer_params (NIXL connector): 'remote-decode' = this server prefills and hands its KV to a decode
   * server (do_remote_decode); 'remote-prefill' = this server decodes with KV a prefill server computed
   * (do_remote_prefill); '' = neither.
   */
  kvTransfer: '' | 'remote-decode' | 'remote-prefill';
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export function parseRequest(kind: ApiKind, raw: string): ParsedRequest {
  let body: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(raw);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    body = v as Record<string, unknown>;
  } catch {
    throw new ApiError(400, 'BadRequestError', 'request body is not a JSON object');
  }
  const model = typeof body.model === 'string' ? body.model : '';
  let promptText: string;
  let promptTokens: number;
  let chat: { role: string; text: string }[] | null = null;
  if (kind === 'completion') {
    const p = body.prompt;
    if (typeof p === 'string') promptText = p;
    else if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') promptText = p[0];
    else if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x))) {
      // Token ids: count them exactly; hash their decimal form.
      promptText = p.join(' ');
      promptTokens = p.length;
    } else throw new ApiError(400, 'BadRequestError', 'prompt must be a string, a one-element list of strings, or token ids');
  } else {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) throw new ApiError(400, 'BadRequestError', 'messages must be a non-empty list');
    promptText = renderChat(messages);
    chat = messages.map((m) => {
      const msg = m as { role?: unknown; content?: unknown };
      return { role: typeof msg.role === 'string' ? msg.role : 'user', text: contentText(msg.content) };
    });
  }
  promptTokens ??= tokenCount(promptText);
  const max = kind === 'chat' ? (body.max_completion_tokens ?? body.max_tokens) : body.max_tokens;
  if (max !== undefined && max !== null && (!Number.isInteger(max) || (max as number) < 1)) {
    throw new ApiError(400, 'BadRequestError', 'max_tokens must be a positive integer');
  }
  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
  return {
    kind,
    model,
    promptText,
    messages: chat,
    promptTokens,
    maxTokens: typeof max === 'number' ? max : 0,
    ignoreEos: body.ignore_eos === true,
    stream: body.stream === true,
    includeUsage: body.stream === true && streamOptions?.include_usage === true,
    cacheSalt: typeof body.cache_salt === 'string' ? body.cache_salt : '',
    kvTransfer: kvTransferOf(body.kv_transfer_params),
  };
}

function kvTransferOf(v: unknown): ParsedRequest['kvTransfer'] {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'BadRequestError', 'kv_transfer_params must be an object');
  const p = v as Record<string, unknown>;
  if (p.do_remote_decode === true && p.do_remote_prefill === true) {
    throw new ApiError(400, 'BadRequestError', 'kv_transfer_params: do_remote_decode and do_remote_prefill are exclusive');
  }
  return p.do_remote_decode === true ? 'remote-decode' : p.do_remote_prefill === true ? 'remote-prefill' : '';
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  let out = '';
  if (Array.isArray(content)) {
    for (const part of content) {
      const t = (part as { text?: unknown }).text;
      if (typeof t === 'string') out += t;
    }
  }
  return out;
}

/** A stand-in chat template: role markers around each message, then the assistant turn. */
export function renderChat(messages: unknown[]): string {
  let out = '';
  for (const m of messages) {
    const msg = m as { role?: unknown; content?: unknown };
    const role = typeof msg.role === 'string' ? msg.role : 'user';
    let content = '';
    if (typeof msg.content === 'string') content = msg.content;
    else if (Array.isArray(msg.content)) {
      for (const part of msg.content) {
        const t = (part as { text?: unknown }).text;
        if (typeof t === 'string') content += t;
      }
    }
    out += `<|${role}|>\n${content}\n`;
  }
  return out + '<|assistant|>\n';
}

/**
 * Output length when the client does not set ignore_eos: a per-prompt "natural" answer length drawn from the
 * ShareGPT output fit (log-normal μ=5.10, σ=1.30, within [4, 1024]), deterministic for a given prompt.
 */
export function naturalLength(promptText: string): number {
  const rng = new Rng(cyrb53(promptText, 0, promptText.length, 7) % 4294967296);
  for (let i = 0; i < 100; i++) {
    const n = Math.round(Math.exp(rng.normal(5.1, 1.3)));
    if (n >= 4 && n <= 1024) return n;
  }
  return 144;
}

const VOCAB = [' the', ' sim', ' and', ' for', ' you', ' can', ' llm', ' kv ', ' gpu', ' tok', ' ans', ' yes'];

/** Text of output token `i` (1-based): always 4 characters (tokens.ts CHARS_PER_TOKEN), so the ratio holds. */
export function tokenText(i: number): string {
  return VOCAB[i % VOCAB.length] as string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function usage(promptTokens: number, completionTokens: number, cachedTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: Math.max(0, cachedTokens) },
  };
}

/** One SSE `data:` line for an output token (`first` adds the assistant role to a chat delta). */
export function tokenChunk(kind: ApiKind, id: string, created: number, model: string, text: string, first: boolean, finish: string | null): string {
  const obj =
    kind === 'completion'
      ? { id, object: 'text_completion', created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }] }
      : {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta: first ? { role: 'assistant', content: text } : { content: text }, logprobs: null, finish_reason: finish }],
        };
  return `data: ${JSON.stringify(obj)}\n\n`;
}

export function usageChunk(kind: ApiKind, id: string, created: number, model: string, u: Usage): string {
  const object = kind === 'completion' ? 'text_completion' : 'chat.completion.chunk';
  return `data: ${JSON.stringify({ id, object, created, model, choices: [], usage: u })}\n\n`;
}

export const DONE_LINE = 'data: [DONE]\n\n';

/** `kvTransferParams`: what a prefill server returns for the decode server (vLLM adds it to the response). */
export function fullResponse(
  kind: ApiKind,
  id: string,
  created: number,
  model: string,
  text: string,
  finish: string,
  u: Usage,
  kvTransferParams: Record<string, unknown> | null = null,
): string {
  const extra = kvTransferParams === null ? {} : { kv_transfer_params: kvTransferParams };
  if (kind === 'completion') {
    return JSON.stringify({
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null, prompt_logprobs: null }],
      usage: u,
      ...extra,
    });
  }
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, tool_calls: [] }, logprobs: null, finish_reason: finish, stop_reason: null }],
    usage: u,
    ...extra,
  });
}

export function errorBody(status: number, type: string, message: string): string {
  return JSON.stringify({ error: { message, type, param: null, code: status } });
}
