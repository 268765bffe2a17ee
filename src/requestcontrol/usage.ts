/**
 * Token usage from a response body, read from its tail: the non-streamed JSON ends with `usage`, and a streamed
 * (SSE) response carries it in the last data chunk (with stream_options.include_usage). Scanning the tail keeps
 * memory bounded whatever the response size.
 */

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

const NUM = (name: string) => new RegExp(`"${name}"\\s*:\\s*(\\d+)`);
const PROMPT = [NUM('prompt_tokens'), NUM('input_tokens')];
const COMPLETION = [NUM('completion_tokens'), NUM('output_tokens')];
const CACHED = NUM('cached_tokens');

/** Parses the last `"usage"` object in `tail`; undefined when there is none. */
export function parseUsage(tail: string): Usage | undefined {
  const at = tail.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const s = tail.slice(at);
  if (/^"usage"\s*:\s*null/.test(s)) return undefined;
  const prompt = firstMatch(s, PROMPT);
  const completion = firstMatch(s, COMPLETION);
  if (prompt < 0 && completion < 0) return undefined;
  const cached = CACHED.exec(s);
  return { promptTokens: Math.max(prompt, 0), completionTokens: Math.max(completion, 0), cachedTokens: cached ? Number(cached[1]) : 0 };
}

function firstMatch(s: string, res: RegExp[]): number {
  for (const re of res) {
    const m = re.exec(s);
    if (m) return Number(m[1]);
  }
  return -1;
}

/** Keeps the last `limit` bytes of a response as text. */
export class TailBuffer {
  #text = '';
  readonly limit: number;
  constructor(limit = 8192) {
    this.limit = limit;
  }
  push(chunk: Buffer): void {
    const add = chunk.length > this.limit ? chunk.subarray(chunk.length - this.limit) : chunk;
    const t = this.#text + add.toString('utf8');
    this.#text = t.length > this.limit ? t.slice(t.length - this.limit) : t;
  }
  text(): string {
    return this.#text;
  }
}
