/** Turns a parsed OpenAI request into the engine's SimRequest; shared by the HTTP server and the fast simulation. */
import { SimRequest } from './engine.ts';
import { naturalLength, type ParsedRequest } from './openai.ts';
import type { EngineConfig } from './profile.ts';
import { blockHashes, tokenBlockHashes } from './tokens.ts';

/**
 * Output length: max_tokens with ignore_eos (default: the room left in max_model_len); without ignore_eos
 * the shorter of that and the prompt's natural answer length (finish_reason "stop").
 * `lora` is the adapter name ('' = base model); it and cache_salt seed the block-hash chain, as in vLLM.
 * `tokens` (KV events mode): the prompt's token ids, which then set its length and block hashes.
 */
export function toSimRequest(p: ParsedRequest, config: EngineConfig, lora: string, id: string, tokens: ArrayLike<number> | null = null): SimRequest {
  const promptTokens = tokens === null ? p.promptTokens : Math.max(1, tokens.length);
  const max = p.maxTokens > 0 ? p.maxTokens : Math.max(1, config.maxModelLen - promptTokens);
  let outputTokens = max;
  let stopReason: 'stop' | 'length' = 'length';
  if (!p.ignoreEos) {
    const natural = naturalLength(p.promptText);
    if (natural < max) {
      outputTokens = natural;
      stopReason = 'stop';
    }
  }
  const extraKey = lora || p.cacheSalt ? `${lora}\u0000${p.cacheSalt}` : '';
  const hashes = tokens === null ? blockHashes(p.promptText, p.promptTokens, config.blockSize, extraKey) : tokenBlockHashes(tokens, config.blockSize, extraKey);
  const req = new SimRequest(id, promptTokens, outputTokens, hashes, lora, stopReason);
  req.tokens = tokens;
  return req;
}
