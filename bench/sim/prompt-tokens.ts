/**
 * The token ids a simulated server caches and reports in its KV events, chosen to agree with the picker's
 * token-producer: with a tokenizer, the completion prompt or the chat rendered with ChatML; without one,
 * upstream's byte-packing estimate (chat: each message's role then text). A real vLLM uses the model's
 * tokenizer and chat template; only the agreement matters here.
 */
import type { ParsedRequest } from './openai.ts';
import { packBytes } from './tokens.ts';

export type Tokenize = (text: string) => ArrayLike<number>;

export function promptTokenIds(p: ParsedRequest, tokenize: Tokenize | null): ArrayLike<number> {
  if (p.messages === null) {
    return tokenize === null ? packBytes(p.promptText) : tokenize(p.promptText);
  }
  if (tokenize === null) return packBytes(p.messages.map((m) => m.role + m.text).join(''));
  let text = '';
  for (const m of p.messages) text += `<|im_start|>${m.role}\n${m.text}<|im_end|>\n`;
  return tokenize(text + '<|im_start|>assistant\n');
}

/** A tokenizer.json (file or directory) as a Tokenize function, via @huggingface/tokenizers. */
export async function loadTokenize(path: string): Promise<Tokenize> {
  const { readFileSync, statSync, existsSync } = await import('node:fs');
  const { join, dirname } = await import('node:path');
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const file = statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  const configFile = join(dirname(file), 'tokenizer_config.json');
  const config: object = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as object) : {};
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')) as object, config);
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
}
