/**
 * vllmhttp-parser: vLLM's native `/inference/v1/generate` (upstream parsers/vllmhttp): pre-tokenized
 * `token_ids` (non-empty, each an integer in uint32 range), optional `cache_salt` and multimodal `features`.
 * The body keeps its `model`, which the picker may rewrite. It claims only this path: configure
 * openai-parser beside it for the OpenAI paths.
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { MULTIMODAL_FEATURES_KEY, type MultiModalFeature, type MultiModalFeatures } from '../../../../framework/data-keys.ts';
import { RequestParseError, type Parser } from '../../../../framework/parser.ts';
import { topLevelMemberText } from '../json-span.ts';
import { isInt, isObject, isString, isTokenId, nullOr, parseJsonObject, readCommon, type JsonObject } from '../json-body.ts';

export const VLLM_HTTP_PARSER_TYPE = 'vllmhttp-parser';
const GENERATE_PATH = 'inference/v1/generate';

export class VllmHttpParser implements Parser {
  readonly type = VLLM_HTTP_PARSER_TYPE;
  readonly name: string;
  readonly paths = [GENERATE_PATH];

  constructor(name: string) {
    this.name = name;
  }

  parseRequest(text: string, path: string, req: LLMRequest): JsonObject {
    if (!path.endsWith(GENERATE_PATH)) throw new RequestParseError(`unsupported path: ${path}`);
    const obj = parseJsonObject(text, 'generate request');
    const ids = obj['token_ids'];
    if (!nullOr(ids, Array.isArray)) throw new RequestParseError('invalid generate request: token_ids must be an array', 'token_ids');
    const list = (ids ?? []) as unknown[];
    for (let i = 0; i < list.length; i++) {
      if (!isTokenId(list[i])) throw new RequestParseError(`token_ids[${i}]: invalid value ${JSON.stringify(list[i])}`, 'token_ids');
    }
    if (!nullOr(obj['cache_salt'], isString)) throw new RequestParseError('invalid generate request: cache_salt must be a string', 'cache_salt');
    if (!isFeatures(obj['features'])) throw new RequestParseError('invalid generate request: features has the wrong JSON type', 'features');
    if (list.length === 0) throw new RequestParseError('invalid generate request: must have non-empty token_ids field', 'token_ids');
    readCommon(obj, req);
    req.promptText = topLevelMemberText(text, 'token_ids') ?? JSON.stringify(list);
    publishFeatures(obj['features'], req);
    return obj;
  }
}

/** `features`: { mm_hashes: { modality: [string] }, mm_placeholders: { modality: [{ offset, length }] } }. */
function isFeatures(f: unknown): boolean {
  if (f === undefined || f === null) return true;
  if (!isObject(f)) return false;
  const hashes = f['mm_hashes'];
  if (!nullOr(hashes, isObject)) return false;
  if (isObject(hashes)) for (const k in hashes) if (!nullOr(hashes[k], (v) => Array.isArray(v) && v.every((x) => nullOr(x, isString)))) return false;
  const ph = f['mm_placeholders'];
  if (!nullOr(ph, isObject)) return false;
  if (isObject(ph)) {
    for (const k in ph) {
      const ok = nullOr(ph[k], (v) => Array.isArray(v) && v.every((x) => nullOr(x, (p) => isObject(p) && nullOr(p['offset'], isInt) && nullOr(p['length'], isInt))));
      if (!ok) return false;
    }
  }
  return true;
}

/**
 * The request's multimodal items for mm-embeddings-cache-producer (upstream convertMMFeaturesToUpstream): per
 * modality, the first min(hashes, placeholders) hashes; a modality without placeholders is left out.
 */
function publishFeatures(f: unknown, req: LLMRequest): void {
  if (!isObject(f) || !isObject(f['mm_hashes']) || !isObject(f['mm_placeholders'])) return;
  const hashes = f['mm_hashes'];
  const placeholders = f['mm_placeholders'];
  const items: MultiModalFeature[] = [];
  for (const modality in hashes) {
    const hs = hashes[modality];
    const ph = placeholders[modality];
    if (!Array.isArray(hs) || !Array.isArray(ph)) continue;
    const n = Math.min(hs.length, ph.length);
    for (let i = 0; i < n; i++) items.push({ modality, hash: typeof hs[i] === 'string' ? (hs[i] as string) : '' });
  }
  if (items.length > 0) req.data.set(MULTIMODAL_FEATURES_KEY, { request: req, items } satisfies MultiModalFeatures);
}

/** Takes no parameters; like upstream's factory it does not read them. */
export function createVllmHttpParser(name: string, _params: unknown, _handle: PluginHandle): VllmHttpParser {
  return new VllmHttpParser(name);
}
