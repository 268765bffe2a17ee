/**
 * precise-prefix-cache-producer (DataProducer, PreRequest): owns the precise KV-block index fed by the model
 * servers' KV events and publishes each request's per-endpoint match as a PrefixCacheMatchInfo under
 * `prefix-cache-match-info/<name>`, read by prefix-cache-scorer (`prefixMatchInfoProducerName: <name>`).
 * Upstream: llm-d-router requestcontrol/dataproducer/preciseprefixcache + pkg/kvcache + pkg/kvevents.
 *   - a KV-event subscriber per endpoint (tcp://<address>:<socketPort + rank>, replay on <replaySocketPort + rank>), started
 *     the first time the endpoint is a candidate and stopped when the datastore removes it;
 *   - request keys from the token-producer's tokens (block-keys.ts), scored against the index (kv-block-index.ts);
 *     matchBlocks is the tier-weighted consecutive run, so a CPU-tier block counts 0.8 by default;
 *   - speculativeIndexing: the pick is credited with the request's blocks for speculativeTTL, until its events land.
 */
import { EventEmitter } from 'node:events';
import {
  PREFIX_CACHE_MATCH_INFO_KEY,
  PREFIX_CACHE_MATCH_KEY,
  TOKEN_PRODUCER_TYPE,
  TOKENIZED_PROMPT_KEY,
  dataKey,
  requestData,
  type PrefixCacheMatchInfo,
  type TokenizedPrompt,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer, PreRequest } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { BlockKeyHasher } from './block-keys.ts';
import { PRECISE_PREFIX_CACHE_PARAMS, readPrecisePrefixCacheConfig, type PrecisePrefixCacheConfig } from './config.ts';
import { KvBlockIndex } from './kv-block-index.ts';
import { applyBatch, newIngestStats } from './kv-event-ingest.ts';
import { KvEventSubscriber } from './kv-event-subscriber.ts';

export const PRECISE_PREFIX_CACHE_PRODUCER_TYPE = 'precise-prefix-cache-producer';

class MatchInfo implements PrefixCacheMatchInfo {
  request: LLMRequest | null = null;
  totalBlocks = 0;
  blockSizeTokens = 0;
  readonly byEndpoint = new Map<string, number>();
  matchBlocks(endpoint: Endpoint): number {
    // Global-socket mode knows engines by their topic's pod id: ip:port, else the ip.
    return this.byEndpoint.get(endpoint.key) ?? this.byEndpoint.get(endpoint.address) ?? 0;
  }
  matchRatio(endpoint: Endpoint): number {
    return this.totalBlocks === 0 ? 0 : this.matchBlocks(endpoint) / this.totalBlocks;
  }
}

interface Speculation {
  readonly expiresAt: number;
  readonly pod: string;
  readonly keys: readonly bigint[];
}

export class PrecisePrefixCacheProducer implements DataProducer, PreRequest {
  readonly type = PRECISE_PREFIX_CACHE_PRODUCER_TYPE;
  readonly name: string;
  readonly config: PrecisePrefixCacheConfig;
  readonly infoKey: string;
  readonly produces: readonly string[];
  readonly consumes: DataDependencies;
  readonly index: KvBlockIndex;
  readonly hasher: BlockKeyHasher;
  readonly stats = newIngestStats();
  /** 'batch' (endpointKey, seq) after a batch is applied; 'reset' (endpointKey, reason) after an engine's blocks are dropped. */
  readonly events = new EventEmitter();
  readonly #tokensKey: string;
  readonly #subscribers = new Map<string, KvEventSubscriber>();
  readonly #info = new MatchInfo();
  readonly #now: () => number;
  readonly #speculative: KvBlockIndex;
  readonly #speculations: Speculation[] = [];
  readonly #specScore = new Map<string, number>();
  #keys: bigint[] = [];

  constructor(name: string, config: PrecisePrefixCacheConfig, now: () => number = Date.now) {
    this.name = name;
    this.config = config;
    this.infoKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, name);
    // PREFIX_CACHE_MATCH_KEY: preRequest writes the pick's expected hit to LLMRequest.cachedPromptTokens.
    this.produces = [this.infoKey, PREFIX_CACHE_MATCH_KEY];
    this.#tokensKey = dataKey(TOKENIZED_PROMPT_KEY, config.tokenProducerName || TOKEN_PRODUCER_TYPE);
    this.consumes = { required: [this.#tokensKey] };
    this.index = new KvBlockIndex(config.index);
    this.#speculative = new KvBlockIndex({ maxKeys: config.index.maxKeys, tierWeights: config.index.tierWeights });
    this.hasher = new BlockKeyHasher(config.tokenProcessor);
    this.#now = now;
  }

  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    // Sockets open on first use, so loading a config (tests, --validate) binds and connects nothing.
    const bindAt = this.config.kvEvents.zmqEndpoint;
    if (bindAt !== '' && !this.#subscribers.has(`bind:${bindAt}`)) this.listen(bindAt);
    if (this.config.kvEvents.discoverPods) for (const c of candidates) if (!this.#subscribers.has(c.key)) this.subscribe(c);
    const info = this.#info;
    info.request = request;
    info.blockSizeTokens = this.hasher.blockSizeTokens;
    info.byEndpoint.clear();
    const tokens = requestData<TokenizedPrompt>(request, this.#tokensKey);
    this.#keys = tokens === null ? [] : this.hasher.keys(tokens.tokens, request.targetModel || request.model, null, this.config.maxPrefixBlocksToMatch);
    info.totalBlocks = this.#keys.length;
    request.data.set(this.infoKey, info);
    if (this.#keys.length === 0) return;
    this.index.score(this.#keys, info.byEndpoint);
    if (this.#speculations.length > 0) this.#addSpeculative(info.byEndpoint);
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const { endpoints, count } = result.primary;
    if (count === 0 || this.#info.request !== request) return;
    const pick = endpoints[0] as Endpoint;
    request.cachedPromptTokens = Math.floor(this.#info.matchBlocks(pick)) * this.hasher.blockSizeTokens;
    if (this.config.speculativeIndexing && this.#keys.length > 0) {
      this.#speculative.add(pick.key, 'gpu', this.#keys, this.#keys);
      this.#speculations.push({ expiresAt: this.#now() + this.config.speculativeTtlMs, pod: pick.key, keys: this.#keys });
    }
  }

  /** Starts the KV-event subscriber of `endpoint` (produce() does it for new candidates). */
  subscribe(endpoint: Endpoint): KvEventSubscriber {
    const ev = this.config.kvEvents;
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
    const pod = endpoint.key;
    // A data-parallel rank publishes on base port + rank (vLLM's KVEventsConfig offset_endpoint_port).
    const sub = new KvEventSubscriber({
      endpoint: `tcp://${host}:${ev.socketPort + endpoint.rank}`,
      replayEndpoint: ev.replaySocketPort > 0 ? `tcp://${host}:${ev.replaySocketPort + endpoint.rank}` : '',
      topicFilter: ev.topicFilter,
      replayTimeoutMs: ev.replayTimeoutMs,
      sink: {
        onBatch: (topic, seq, payload) => {
          applyBatch(this.index, this.hasher, pod, topic, payload, '', this.stats);
          this.events.emit('batch', pod, seq);
        },
        onReset: (reason) => {
          this.index.clearPod(pod);
          this.events.emit('reset', pod, reason);
        },
      },
    });
    this.#subscribers.set(pod, sub);
    return sub;
  }

  /** Upstream's global socket mode: one bound socket, engines identified by their topic (kv@<pod>@<model>). */
  listen(endpoint: string): KvEventSubscriber {
    const sub = new KvEventSubscriber({
      endpoint,
      replayEndpoint: '',
      topicFilter: this.config.kvEvents.topicFilter,
      replayTimeoutMs: this.config.kvEvents.replayTimeoutMs,
      bind: true,
      sink: {
        onBatch: (topic, seq, payload) => {
          const pod = topicPod(topic);
          applyBatch(this.index, this.hasher, pod, topic, payload, '', this.stats);
          this.events.emit('batch', pod, seq);
        },
        onReset: (reason) => this.events.emit('reset', '', reason),
      },
    });
    this.#subscribers.set(`bind:${endpoint}`, sub);
    return sub;
  }

  subscriber(key: string): KvEventSubscriber | undefined {
    return this.#subscribers.get(key);
  }

  /** The runner calls it on the datastore's endpointRemoved event. */
  removeEndpoint(key: string): void {
    this.#subscribers.get(key)?.close();
    this.#subscribers.delete(key);
    this.index.clearPod(key);
  }

  /** Closes every subscriber. */
  async close(): Promise<void> {
    const subs = [...this.#subscribers.values()];
    this.#subscribers.clear();
    for (const s of subs) s.close();
    await Promise.all(subs.map((s) => s.done));
  }

  indexEntries(): number {
    return this.index.size;
  }

  #addSpeculative(out: Map<string, number>): void {
    const now = this.#now();
    while (this.#speculations.length > 0 && (this.#speculations[0] as Speculation).expiresAt <= now) {
      const s = this.#speculations.shift() as Speculation;
      for (const k of s.keys) this.#speculative.evict(s.pod, 'gpu', k);
    }
    this.#speculative.score(this.#keys, this.#specScore);
    for (const [pod, blocks] of this.#specScore) if (blocks > (out.get(pod) ?? 0)) out.set(pod, blocks);
  }
}

/** The pod part of a topic kv@<pod>@<model>. */
function topicPod(topic: string): string {
  const parts = topic.split('@');
  return parts.length === 3 ? (parts[1] as string) : topic;
}

/** Builds the producer; shared with precise-prefix-cache-scorer. */
export function newPrecisePrefixCacheProducer(name: string, params: unknown, handle: PluginHandle): PrecisePrefixCacheProducer {
  const config = readPrecisePrefixCacheConfig(name, readParams(name, params, PRECISE_PREFIX_CACHE_PARAMS));
  for (const k of config.ignored) handle.logger.warn({ plugin: name, parameter: k }, 'precise prefix cache: parameter not supported here, ignored');
  return new PrecisePrefixCacheProducer(name, config, () => handle.clock.now());
}

export function createPrecisePrefixCacheProducer(name: string, params: unknown, handle: PluginHandle): PrecisePrefixCacheProducer {
  return newPrecisePrefixCacheProducer(name, params, handle);
}
