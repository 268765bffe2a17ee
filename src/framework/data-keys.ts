/**
 * Data keys in-tree plugins produce and consume (framework/plugin.ts DataKey). A key names a field of
 * LLMRequest, so a consumer reads it without a lookup; the key only tells the loader who must run first.
 */

/** LLMRequest.cachedPromptTokens: prompt tokens the primary pick is expected to hold in its prefix cache. */
export const PREFIX_CACHE_MATCH_KEY = 'prefix-cache-match';

/**
 * LLMRequest.prefixMatch: per-candidate prefix-cache match of this request's prompt (upstream
 * PrefixCacheMatchInfo, written by approx-prefix-cache-producer), set by a DataProducer before scheduling.
 * Read by prefix-cache-affinity-filter.
 */
export const PREFIX_CACHE_MATCH_INFO_KEY = 'prefix-cache-match-info';
