/**
 * What a token producer tokenizes for a request, and upstream's tokenizer-free estimate
 * (tokenizer/estimate.go): the input's UTF-8 bytes, zero-padded to a multiple of 4, read as little-endian
 * uint32 pseudo-tokens (≈4 bytes per token). Chat requests: the estimate concatenates each message's role and
 * text (upstream appendChatMessage); a real tokenizer gets the messages rendered with the ChatML template
 * (`<|im_start|>role\ncontent<|im_end|>\n` ... `<|im_start|>assistant\n`, Qwen's and many others' template)
 * because no Jinja engine runs in the picker; the model server's /tokenize applies the model's own template.
 */
import type { LLMRequest } from '../../../../framework/request.ts';

export const BYTES_PER_TOKEN = 4;

const ENCODER = new TextEncoder();

export interface ChatMessage {
  readonly role: string;
  readonly text: string;
}

/** The chat messages of `request`, or null when it is not a chat request (or they do not parse). */
export function chatMessages(request: LLMRequest): ChatMessage[] | null {
  if (!request.path.includes('chat/completions')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(request.promptText);
  } catch {
    return null;
  }
  if (!Array.isArray(raw)) return null;
  return raw.map((m) => {
    const msg = (m ?? {}) as { role?: unknown; content?: unknown };
    return { role: typeof msg.role === 'string' ? msg.role : '', text: contentText(msg.content) };
  });
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    const t = (part as { text?: unknown } | null)?.text;
    if (typeof t === 'string') out += t;
  }
  return out;
}

/** Upstream estimate's byte stream for chat: role then text, per message. */
export function estimateChatText(messages: readonly ChatMessage[]): string {
  let out = '';
  for (const m of messages) out += m.role + m.text;
  return out;
}

/** ChatML rendering with the generation prompt. */
export function renderChatML(messages: readonly ChatMessage[]): string {
  let out = '';
  for (const m of messages) out += `<|im_start|>${m.role}\n${m.text}<|im_end|>\n`;
  return out + '<|im_start|>assistant\n';
}

/** Upstream packBytes over the UTF-8 of `text`. */
export function packBytes(text: string): Uint32Array {
  const raw = ENCODER.encode(text);
  const n = Math.ceil(raw.length / BYTES_PER_TOKEN);
  const padded = new Uint8Array(n * BYTES_PER_TOKEN);
  padded.set(raw);
  const view = new DataView(padded.buffer);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getUint32(i * BYTES_PER_TOKEN, true);
  return out;
}

/** The estimate backend's tokens for a request. */
export function estimateTokens(request: LLMRequest): Uint32Array {
  const chat = chatMessages(request);
  return packBytes(chat === null ? request.promptText : estimateChatText(chat));
}
