/** Request and response body bytes as the director reads and rewrites them. */

/**
 * Scratch space to join a body that came in several chunks, for decoding: grown up to JOIN_BUFFER_MAX, never
 * shrunk. A larger body is joined in a buffer of its own, dropped after decoding: grown to fit, eight 30 MB
 * bodies left a 30 MB scratch buffer held for good (bench/overhead/large-bodies.bench.ts).
 */
const JOIN_BUFFER_MAX = 1024 * 1024;
let joinBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * The body as text. Several chunks are joined in a reused buffer, not a new one per request: at 32 KB
 * bodies a per-request Buffer.concat was a large share of the external memory that drives major GCs.
 */
export function bodyText(chunks: readonly Buffer[], bytes: number): string {
  if (chunks.length === 0) return '';
  if (chunks.length === 1) return chunks[0]!.toString('utf8');
  if (bytes > JOIN_BUFFER_MAX) return Buffer.concat(chunks as Buffer[], bytes).toString('utf8');
  if (joinBuffer.length < bytes) joinBuffer = Buffer.allocUnsafe(Math.ceil(bytes / 65_536) * 65_536);
  let off = 0;
  for (const c of chunks) off += c.copy(joinBuffer, off);
  return joinBuffer.toString('utf8', 0, off);
}

/** Puts the client's model name back into a response chunk (byte replace, as upstream; no JSON parse). */
export function restoreModelName(chunk: Buffer, target: string, original: string): Buffer {
  if (chunk.indexOf(target) < 0) return chunk;
  const text = chunk.toString('utf8');
  const replaced = text.split(`"model":"${target}"`).join(`"model":"${original}"`).split(`"model": "${target}"`).join(`"model": "${original}"`);
  return replaced === text ? chunk : Buffer.from(replaced);
}

/** Serialises a parsed body with a new model name (model rewrite; upstream re-marshals the payload map). */
export function rewriteModel(obj: Record<string, unknown>, model: string): Buffer {
  obj.model = model;
  return Buffer.from(JSON.stringify(obj));
}
