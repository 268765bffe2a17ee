/**
 * Token usage from a vLLM gRPC response (upstream vllmgrpc ParseResponse): the body is a sequence of
 * length-prefixed frames, one GenerateResponse (a stream chunk or the complete result) or one EmbedResponse.
 * Frames are reassembled across body chunks; each message is decoded and the last one reporting token counts
 * wins. Compressed frames and frames over MAX_FRAME_BYTES are skipped.
 */
import type { ResponseUsage, ResponseUsageReader } from '../../../../framework/parser.ts';

const HEADER_LEN = 5;
/** A complete non-streamed result holds every output id (a few bytes each): 4 MiB covers ~1M tokens. */
const MAX_FRAME_BYTES = 4 << 20;

/** The decoded GenerateResponse fields read here (proto-loader: keepCase, oneofs). */
interface GenerateCounts {
  response?: 'chunk' | 'complete';
  chunk?: { prompt_tokens?: number; completion_tokens?: number; cached_tokens?: number };
  complete?: { prompt_tokens?: number; completion_tokens?: number; cached_tokens?: number };
}
interface EmbedCounts {
  embedding?: number[];
  prompt_tokens?: number;
}

export type Deserialize = (b: Buffer) => unknown;

/** The usage one decoded message reports, or null (upstream: counts only when prompt or completion > 0). */
export type UsageOf = (message: Buffer) => ResponseUsage | null;

export function generateUsage(deserialize: Deserialize): UsageOf {
  return (message) => {
    const r = deserialize(message) as GenerateCounts;
    const c = r.response === 'chunk' ? r.chunk : r.response === 'complete' ? r.complete : undefined;
    if (c === undefined) return null;
    const prompt = c.prompt_tokens ?? 0;
    const completion = c.completion_tokens ?? 0;
    return prompt > 0 || completion > 0 ? { promptTokens: prompt, completionTokens: completion, cachedTokens: c.cached_tokens ?? 0 } : null;
  };
}

export function embedUsage(deserialize: Deserialize): UsageOf {
  return (message) => {
    const prompt = (deserialize(message) as EmbedCounts).prompt_tokens ?? 0;
    return prompt > 0 ? { promptTokens: prompt, completionTokens: 0, cachedTokens: 0 } : null;
  };
}

export class GrpcUsageReader implements ResponseUsageReader {
  readonly #usageOf: UsageOf;
  readonly #header = Buffer.alloc(HEADER_LEN);
  #headerFill = 0;
  /** The message being reassembled; null between frames. */
  #message: Buffer | null = null;
  #messageFill = 0;
  /** Bytes left of a frame being skipped. */
  #skip = 0;
  #usage: ResponseUsage | null = null;

  constructor(usageOf: UsageOf) {
    this.#usageOf = usageOf;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
      } else if (this.#message === null) {
        const n = Math.min(HEADER_LEN - this.#headerFill, chunk.length - i);
        chunk.copy(this.#header, this.#headerFill, i, i + n);
        this.#headerFill += n;
        i += n;
        if (this.#headerFill === HEADER_LEN) this.#startFrame();
      } else {
        const n = Math.min(this.#message.length - this.#messageFill, chunk.length - i);
        chunk.copy(this.#message, this.#messageFill, i, i + n);
        this.#messageFill += n;
        i += n;
        if (this.#messageFill === this.#message.length) this.#endFrame();
      }
    }
  }

  usage(): ResponseUsage | null {
    return this.#usage;
  }

  #startFrame(): void {
    this.#headerFill = 0;
    const len = this.#header.readUInt32BE(1);
    if (this.#header[0] !== 0 || len > MAX_FRAME_BYTES) {
      this.#skip = len;
      return;
    }
    this.#message = Buffer.allocUnsafe(len);
    this.#messageFill = 0;
    if (len === 0) this.#endFrame();
  }

  #endFrame(): void {
    const message = this.#message!;
    this.#message = null;
    let usage: ResponseUsage | null;
    try {
      usage = this.#usageOf(message);
    } catch {
      usage = null; // upstream answers an undecodable response with an error; usage is then absent
    }
    if (usage !== null) this.#usage = usage;
  }
}
