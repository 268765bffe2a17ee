/**
 * Conditional decode (RFC 7240 `Prefer: if-available`, upstream director): the request goes to the chosen
 * (decode) endpoint only when it already holds part of the prompt's KV cache.
 */
import type { Endpoint } from '../framework/endpoint.ts';
import { PREFIX_CACHE_MATCH_INFO_KEY, type PrefixCacheMatchInfo } from '../framework/data-keys.ts';
import type { LLMRequest } from '../framework/request.ts';

/** Upstream routing.IsConditionalDecode: the Prefer header lists the `if-available` token (any case, any parameters). */
export function isConditionalDecode(prefer: string | undefined): boolean {
  if (prefer === undefined || prefer === '') return false;
  for (const pref of prefer.split(',')) {
    const semi = pref.indexOf(';');
    if ((semi < 0 ? pref : pref.slice(0, semi)).trim().toLowerCase() === 'if-available') return true;
  }
  return false;
}

/** Upstream primaryEndpointHasCachedPrefix: a prefix-cache producer's match for this request has >= 1 block. */
export function holdsCachedPrefix(req: LLMRequest, endpoint: Endpoint): boolean {
  for (const [key, v] of req.data) {
    if (!key.startsWith(`${PREFIX_CACHE_MATCH_INFO_KEY}/`)) continue;
    const info = v as PrefixCacheMatchInfo;
    if (info.request === req && info.totalBlocks > 0 && info.matchBlocks(endpoint) > 0) return true;
  }
  return false;
}
