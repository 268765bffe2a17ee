/**
 * Tokens from a model server's /tokenize endpoint (vLLM: POST {model, prompt} or {model, messages} ->
 * {tokens, count, max_model_len}). DataProducers run synchronously inside a scheduling cycle, so a prompt is
 * looked up in a cache of answers; a miss starts the call and returns null (the producer falls back to the
 * estimate for that request, and the next request with the same prompt gets the exact tokens).
 */
import type { ChatMessage } from './prompt-text.ts';

export interface TokenizeClientOptions {
  readonly timeoutMs: number;
  readonly cacheEntries: number;
}

export class TokenizeClient {
  readonly options: TokenizeClientOptions;
  readonly #cache = new Map<string, Uint32Array>();
  readonly #inflight = new Set<string>();
  /** Calls that failed (for logs and tests). */
  failures = 0;

  constructor(options: TokenizeClientOptions) {
    this.options = options;
  }

  /** Cached tokens for the prompt, else null after starting the call to `baseUrl`. */
  tokens(baseUrl: string, model: string, prompt: string, messages: readonly ChatMessage[] | null): Uint32Array | null {
    const key = `${model}\u0000${messages === null ? 'p' : 'm'}\u0000${prompt}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    if (!this.#inflight.has(key)) {
      this.#inflight.add(key);
      void this.#fetch(baseUrl, model, prompt, messages, key).finally(() => this.#inflight.delete(key));
    }
    return null;
  }

  /** Resolves when no call is in flight (tests). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await new Promise((r) => setImmediate(r));
  }

  async #fetch(baseUrl: string, model: string, prompt: string, messages: readonly ChatMessage[] | null, key: string): Promise<void> {
    const body = messages === null ? { model, prompt } : { model, messages: messages.map((m) => ({ role: m.role, content: m.text })) };
    try {
      const res = await fetch(`${baseUrl}/tokenize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const out = (await res.json()) as { tokens?: unknown };
      if (!Array.isArray(out.tokens)) throw new Error('no tokens in the answer');
      this.#cache.set(key, Uint32Array.from(out.tokens as number[]));
      if (this.#cache.size > this.options.cacheEntries) this.#cache.delete(this.#cache.keys().next().value as string);
    } catch {
      this.failures++;
    }
  }
}
