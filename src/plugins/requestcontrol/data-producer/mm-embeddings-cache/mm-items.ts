/**
 * The unique multimodal items of a request (upstream multimodal ExtractMMItems over the tokenized prompt's
 * features). Two sources, first that has items wins:
 * - features a parser read with their server-side hashes (vllmgrpc `mm_inputs`, vllmhttp `features`);
 * - OpenAI chat content blocks, hashed as upstream's estimate tokenizer does (tokenizer/estimate.go
 *   appendChatMessage): `image_url` and `video_url` by their url, `input_audio` by data + format.
 * Repeats of one hash count once; every item has size 1.
 */
import { hash } from 'node:crypto';
import { MULTIMODAL_FEATURES_KEY, requestData, type MatchItem, type MultiModalFeatures } from '../../../../framework/data-keys.ts';
import type { LLMRequest } from '../../../../framework/request.ts';

const NONE: readonly MatchItem[] = [];

/** Content block types that carry media, as they appear in the messages' JSON text. */
const MEDIA_MARKERS = ['"image_url"', '"video_url"', '"input_audio"', '"audio_url"'] as const;

export function extractMMItems(request: LLMRequest): readonly MatchItem[] {
  const parsed = requestData<MultiModalFeatures>(request, MULTIMODAL_FEATURES_KEY);
  if (parsed !== null && parsed.items.length > 0) {
    const byHash = new Map<string, MatchItem>();
    for (const f of parsed.items) if (f.hash !== '') byHash.set(f.hash, { hash: f.hash, size: 1, modality: f.modality });
    return byHash.size === 0 ? NONE : [...byHash.values()];
  }
  return chatMediaItems(request.promptText);
}

/**
 * Items of an OpenAI chat `messages` array text. A text without a media block type is not parsed: text-only
 * chat pays one substring search per marker.
 */
export function chatMediaItems(messagesText: string): readonly MatchItem[] {
  if (messagesText.length === 0 || messagesText.charCodeAt(0) !== 0x5b /* [ */) return NONE;
  if (!MEDIA_MARKERS.some((m) => messagesText.includes(m))) return NONE;
  let messages: unknown;
  try {
    messages = JSON.parse(messagesText);
  } catch {
    return NONE;
  }
  if (!Array.isArray(messages)) return NONE;
  const byHash = new Map<string, MatchItem>();
  for (const m of messages) {
    const content = isObject(m) ? m['content'] : undefined;
    if (!Array.isArray(content)) continue;
    for (const block of content) {
      if (!isObject(block)) continue;
      const media = mediaOf(block);
      if (media === null) continue;
      const h = contentHash(media[1]);
      byHash.set(h, { hash: h, size: 1, modality: media[0] });
    }
  }
  return byHash.size === 0 ? NONE : [...byHash.values()];
}

/** [modality, the content that identifies it] of a media block, null for any other block. */
function mediaOf(block: Record<string, unknown>): [string, string] | null {
  switch (block['type']) {
    case 'image_url':
      return ['image', urlOf(block['image_url'])];
    case 'video_url':
      return ['video', urlOf(block['video_url'])];
    case 'input_audio': {
      const a = block['input_audio'];
      return ['audio', isObject(a) ? str(a['data']) + str(a['format']) : ''];
    }
    case 'audio_url':
      // Upstream hashes input_audio's (empty) fields here, so every audio_url is one item; the url is used instead.
      return ['audio', urlOf(block['audio_url'])];
    default:
      return null;
  }
}

/** `{url}` objects; a bare string is accepted too (some clients send it). */
function urlOf(v: unknown): string {
  if (typeof v === 'string') return v;
  return isObject(v) ? str(v['url']) : '';
}

/**
 * 64 bits of SHA-256 as hex. Upstream uses xxhash64; the keys never leave this process, so only stability and
 * collision odds matter. Runs only for media blocks (off the text-only path).
 */
export function contentHash(content: string): string {
  return hash('sha256', content, 'hex').slice(0, 16);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
