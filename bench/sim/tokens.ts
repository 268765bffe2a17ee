/**
 * Token accounting without a tokenizer. The simulator, the workload generators and the report all count
 * 4 characters as 1 token (the ratio the reference picker's prefix plugin assumes, and the usual rule of
 * thumb for English BPE vocabularies), so a KV block of 16 tokens is 64 characters of prompt text.
 */
export const CHARS_PER_TOKEN = 4;

/** Prompt tokens for `text`: ceil(chars / 4), at least 1. */
export function tokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}

/**
 * Hash chain over the full KV blocks of a prompt, as vLLM's automatic prefix caching keys them: the hash of
 * block i covers block i's text and the hash of block i-1, so equal hashes mean equal prefixes. `extraKey`
 * (LoRA adapter, cache salt) seeds the chain, as vLLM's extra keys do. Only full blocks are hashed.
 * Hashes are 53-bit integers (cyrb53); a collision would only fake one cache hit.
 */
export function blockHashes(text: string, promptTokens: number, blockSize: number, extraKey: string): number[] {
  const full = Math.floor(promptTokens / blockSize);
  const chars = blockSize * CHARS_PER_TOKEN;
  const out = new Array<number>(full);
  let prev = extraKey ? cyrb53(extraKey, 0, extraKey.length, 0x5eed) : 0;
  for (let i = 0; i < full; i++) {
    const start = i * chars;
    prev = cyrb53(text, start, Math.min(text.length, start + chars), (prev ^ Math.floor(prev / 4294967296)) >>> 0);
    out[i] = prev;
  }
  return out;
}

/** cyrb53 (public domain, bryc) over text[start, end). */
export function cyrb53(text: string, start: number, end: number, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The block-hash chain over token ids (KV events mode: the sim counts and caches real or packed tokens). */
export function tokenBlockHashes(tokens: ArrayLike<number>, blockSize: number, extraKey: string): number[] {
  const full = Math.floor(tokens.length / blockSize);
  const out = new Array<number>(full);
  let prev = extraKey ? cyrb53(extraKey, 0, extraKey.length, 0x5eed) : 0;
  for (let i = 0; i < full; i++) {
    let h1 = 0xdeadbeef ^ prev;
    let h2 = 0x41c6ce57 ^ Math.floor(prev / 4294967296);
    for (let j = i * blockSize, end = j + blockSize; j < end; j++) {
      const t = tokens[j] as number;
      h1 = Math.imul(h1 ^ t, 2654435761);
      h2 = Math.imul(h2 ^ t, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    prev = 4294967296 * (2097151 & h2) + (h1 >>> 0);
    out[i] = prev;
  }
  return out;
}

/**
 * Token ids without a tokenizer, as the picker's token-producer estimates them (upstream estimate.go
 * packBytes): UTF-8 bytes, zero-padded to a multiple of 4, read as little-endian uint32.
 */
export function packBytes(text: string): Uint32Array {
  const raw = new TextEncoder().encode(text);
  const n = Math.ceil(raw.length / 4);
  const padded = new Uint8Array(n * 4);
  padded.set(raw);
  return new Uint32Array(padded.buffer, 0, n).slice();
}
