/**
 * load-aware-pd-decider (ours; upstream has only prefix-based-pd-decider and always-disagg-pd-decider): runs the
 * prefill stage only when it pays. Upstream's decider looks at the decode endpoint's uncached prompt alone, so
 * it keeps sending prompts to a prefill pool that is already queued (each waits there longer than it would take
 * to prefill locally) and disaggregates onto an idle decode pod whose batch a local prefill would not slow.
 * This one disaggregates when all of these hold:
 * - the prompt's tokens not cached on the decode endpoint reach `nonCachedTokens` (as upstream's);
 * - the decode endpoint is decoding for others (`minDecodeRunning` running requests): a local prefill would
 *   stall their tokens, which is what disaggregation saves;
 * - some prefill endpoint has at most `maxPrefillQueue` requests waiting (scraped): the prefill pool has room;
 * - moving the prompt's KV (`kvBytesPerToken` per token at `transferGBps`) takes at most `maxTransferMs`.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { EndpointLookup, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, dataKey, PREFIX_CACHE_MATCH_INFO_KEY, requestData, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import { intParam, numberParam, readParams } from '../../../../input/plugin-params.ts';
import type { Decider } from './deciders.ts';
import { PREFILL_ROLES } from '../../filter/role/role.ts';

export const LOAD_AWARE_PD_DECIDER_TYPE = 'load-aware-pd-decider';

const CHARS_PER_TOKEN = 4;
/** Pods that run a prefill stage: the prefill-filter's roles. */
const PREFILL_POD_ROLES: ReadonlySet<string> = new Set(PREFILL_ROLES);

export interface LoadAwarePDParams {
  nonCachedTokens: number;
  minDecodeRunning: number;
  maxPrefillQueue: number;
  /** K and V of one token over all layers; Llama-3-8B in bf16: 2·32 layers·8 KV heads·128·2 B = 131072. */
  kvBytesPerToken: number;
  /** Achieved KV transfer bandwidth; 25 GB/s is half the line rate of a 400 Gb/s RDMA NIC (assumed). */
  transferGBps: number;
  maxTransferMs: number;
}

export const LOAD_AWARE_PD_DEFAULTS: LoadAwarePDParams = {
  nonCachedTokens: 512,
  minDecodeRunning: 1,
  maxPrefillQueue: 2,
  kvBytesPerToken: 131072,
  transferGBps: 25,
  maxTransferMs: 100,
};

export class LoadAwarePDDecider implements Decider {
  readonly type = LOAD_AWARE_PD_DECIDER_TYPE;
  readonly name: string;
  readonly params: LoadAwarePDParams;
  readonly consumes: { readonly required: readonly string[] };
  readonly #key: string;
  readonly #endpoints: EndpointLookup;

  constructor(name: string, params: LoadAwarePDParams, endpoints: EndpointLookup, producerName: string = APPROX_PREFIX_CACHE_PRODUCER_TYPE) {
    this.name = name;
    this.params = params;
    this.#endpoints = endpoints;
    this.#key = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, producerName);
    this.consumes = { required: [this.#key] };
  }

  disaggregate(request: LLMRequest, endpoint: Endpoint | null): boolean {
    const p = this.params;
    if (p.nonCachedTokens === 0 || endpoint === null) return false;
    const inputTokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    if (inputTokens < p.nonCachedTokens) return false;
    const info = requestData<PrefixCacheMatchInfo>(request, this.#key);
    if (info === null) return false;
    const hit = info.totalBlocks > 0 ? info.matchBlocks(endpoint) * info.blockSizeTokens : 0;
    if (inputTokens - hit < p.nonCachedTokens) return false;
    if (endpoint.runningRequests < p.minDecodeRunning) return false;
    if ((inputTokens * p.kvBytesPerToken) / (p.transferGBps * 1e6) > p.maxTransferMs) return false;
    return this.#prefillHasRoom();
  }

  /** Some answering prefill endpoint's scraped waiting queue is within maxPrefillQueue. */
  #prefillHasRoom(): boolean {
    const all = this.#endpoints.endpoints();
    for (let i = 0; i < all.length; i++) {
      const e = all[i]!;
      if (PREFILL_POD_ROLES.has(e.role) && e.consecutiveScrapeFailures === 0 && e.waitingQueue <= this.params.maxPrefillQueue) return true;
    }
    return false;
  }
}

export function createLoadAwarePDDecider(name: string, params: unknown, handle: PluginHandle): LoadAwarePDDecider {
  const p = readParams(name, params, ['nonCachedTokens', 'minDecodeRunning', 'maxPrefillQueue', 'kvBytesPerToken', 'transferGBps', 'maxTransferMs']);
  const d = LOAD_AWARE_PD_DEFAULTS;
  return new LoadAwarePDDecider(
    name,
    {
      nonCachedTokens: intParam(name, p, 'nonCachedTokens', d.nonCachedTokens, 0),
      minDecodeRunning: intParam(name, p, 'minDecodeRunning', d.minDecodeRunning, 0),
      maxPrefillQueue: intParam(name, p, 'maxPrefillQueue', d.maxPrefillQueue, 0),
      kvBytesPerToken: intParam(name, p, 'kvBytesPerToken', d.kvBytesPerToken, 1),
      transferGBps: numberParam(name, p, 'transferGBps', d.transferGBps, 0.001),
      maxTransferMs: numberParam(name, p, 'maxTransferMs', d.maxTransferMs, 0),
    },
    handle.endpoints,
  );
}
