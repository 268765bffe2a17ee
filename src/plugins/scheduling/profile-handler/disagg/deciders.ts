/**
 * The deciders of disagg-profile-handler (upstream profilehandler/disagg, mirror commit ebab68792): whether a
 * request runs the prefill (or encode) stage for the decode endpoint chosen.
 * - prefix-based-pd-decider: disaggregate when the prompt's tokens not cached on the decode endpoint reach
 *   nonCachedTokens (0 = never), and the prompt has at least promptTokens tokens.
 * - always-disagg-pd-decider: always.
 * - always-disagg-multimodal-decider: when the request carries multimodal content (encode stage).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { Plugin, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, dataKey, PREFIX_CACHE_MATCH_INFO_KEY, requestData, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';

export const PREFIX_BASED_PD_DECIDER_TYPE = 'prefix-based-pd-decider';
export const ALWAYS_DISAGG_PD_DECIDER_TYPE = 'always-disagg-pd-decider';
export const ALWAYS_DISAGG_MULTIMODAL_DECIDER_TYPE = 'always-disagg-multimodal-decider';

/** Characters per token of the prompt estimate (as the in-flight load producer and prefix hashing). */
const CHARS_PER_TOKEN = 4;

export interface Decider extends Plugin {
  disaggregate(request: LLMRequest, endpoint: Endpoint | null): boolean;
}

export function isDecider(p: Plugin): p is Decider {
  return typeof (p as Partial<Decider>).disaggregate === 'function';
}

/** Which stages a cycle ran (upstream DisaggDecisionType). */
/** prefix-based-pd-decider (upstream PrefixBasedPDDecider). */
export class PrefixBasedPDDecider implements Decider {
  readonly type = PREFIX_BASED_PD_DECIDER_TYPE;
  readonly name: string;
  readonly nonCachedTokens: number;
  readonly promptTokens: number;
  readonly consumes: { readonly required: readonly string[] };
  readonly #key: string;

  constructor(name: string, nonCachedTokens: number, promptTokens: number, producerName: string = APPROX_PREFIX_CACHE_PRODUCER_TYPE) {
    this.name = name;
    this.nonCachedTokens = nonCachedTokens;
    this.promptTokens = promptTokens;
    this.#key = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, producerName);
    this.consumes = { required: [this.#key] };
  }

  /**
   * Prompt tokens are estimated from the prompt text (4 characters a token, the estimate prefix hashing and
   * the in-flight load producer use; upstream reads the tokenizer's count), the cached ones are the decode
   * endpoint's matched blocks x block size from the prefix-cache producer.
   */
  disaggregate(request: LLMRequest, endpoint: Endpoint | null): boolean {
    if (this.nonCachedTokens === 0 || endpoint === null) return false;
    const inputTokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    if (this.promptTokens > 0 && inputTokens < this.promptTokens) return false;
    if (inputTokens < this.nonCachedTokens) return false;
    const info = requestData<PrefixCacheMatchInfo>(request, this.#key);
    if (info === null) return false; // upstream: "unable to read prefix cache state"
    const hit = info.totalBlocks > 0 ? info.matchBlocks(endpoint) * info.blockSizeTokens : 0;
    return inputTokens - hit >= this.nonCachedTokens;
  }
}

export function createPrefixBasedPDDecider(name: string, params: unknown, _handle: PluginHandle): PrefixBasedPDDecider {
  const p = readParams(name, params, ['nonCachedTokens', 'promptTokens']);
  return new PrefixBasedPDDecider(name, intParam(name, p, 'nonCachedTokens', 0, 0), intParam(name, p, 'promptTokens', 0, 0));
}

/** always-disagg-pd-decider (upstream AlwaysDisaggPDDecider). */
export class AlwaysDisaggPDDecider implements Decider {
  readonly type = ALWAYS_DISAGG_PD_DECIDER_TYPE;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  disaggregate(): boolean {
    return true;
  }
}

export function createAlwaysDisaggPDDecider(name: string, params: unknown, _handle: PluginHandle): AlwaysDisaggPDDecider {
  readParams(name, params, []);
  return new AlwaysDisaggPDDecider(name);
}

/**
 * always-disagg-multimodal-decider (upstream AlwaysDisaggMultimodalDecider): run the encode stage when the
 * request carries multimodal content. Upstream reads the tokenizer's multimodal features; this picker has
 * no tokenizer, so it looks for OpenAI image/video/audio content blocks in the prompt's JSON text.
 */
export class AlwaysDisaggMultimodalDecider implements Decider {
  readonly type = ALWAYS_DISAGG_MULTIMODAL_DECIDER_TYPE;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  disaggregate(request: LLMRequest): boolean {
    const t = request.promptText;
    return t.includes('"image_url"') || t.includes('"video_url"') || t.includes('"input_audio"');
  }
}

export function createAlwaysDisaggMultimodalDecider(name: string, _params: unknown, _handle: PluginHandle): AlwaysDisaggMultimodalDecider {
  return new AlwaysDisaggMultimodalDecider(name); // upstream's factory ignores parameters
}
