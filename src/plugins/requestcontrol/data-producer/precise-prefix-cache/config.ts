/** precise-prefix-cache-producer's parameters, with upstream's names and defaults (llm-d-kv-cache docs/configuration.md). */
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { boolParam, durationMsParam, intParam, numberParam, readParams, stringParam, type Params } from '../../../../input/plugin-params.ts';
import { DEFAULT_BLOCK_KEY_CONFIG, type BlockKeyConfig } from './block-keys.ts';
import { DEFAULT_KV_BLOCK_INDEX_CONFIG, DEFAULT_TIER_WEIGHTS, type KvBlockIndexConfig, type TierWeight } from './kv-block-index.ts';

export interface KvEventsConfig {
  /** Upstream's global socket: bound here, engines connect to it ('' = none). */
  readonly zmqEndpoint: string;
  /** Subscribe to each endpoint's own socket. */
  readonly discoverPods: boolean;
  readonly topicFilter: string;
  readonly engineType: 'vllm' | 'sglang';
  /** Port of each model server's PUB socket (podDiscoveryConfig.socketPort). */
  readonly socketPort: number;
  /** Port of its replay ROUTER socket; 0 = no replay (upstream default). */
  readonly replaySocketPort: number;
  readonly replayTimeoutMs: number;
}

export interface PrecisePrefixCacheConfig {
  readonly tokenProcessor: BlockKeyConfig;
  readonly index: KvBlockIndexConfig;
  readonly kvEvents: KvEventsConfig;
  readonly speculativeIndexing: boolean;
  readonly speculativeTtlMs: number;
  /** Token producer whose TokenizedPrompt is read (ours; upstream reads the request body's). */
  readonly tokenProducerName: string;
  /** Most leading blocks of a request looked up (llm-d-inference-scheduler v0.8 kvBlockIndexConfig.maxPrefixBlocksToMatch). */
  readonly maxPrefixBlocksToMatch: number;
  /** Accepted upstream parameters that do nothing here (the factory warns). */
  readonly ignored: readonly string[];
}

export const DEFAULT_KV_EVENTS_CONFIG: KvEventsConfig = {
  zmqEndpoint: '',
  discoverPods: true,
  topicFilter: 'kv@',
  engineType: 'vllm',
  socketPort: 5557,
  replaySocketPort: 0,
  replayTimeoutMs: 2000,
};

export const PRECISE_PREFIX_CACHE_PARAMS = [
  'tokenProcessorConfig',
  'indexerConfig',
  'kvEventsConfig',
  'speculativeIndexing',
  'speculativeTTL',
  'tokenProducerName',
] as const;

export function readPrecisePrefixCacheConfig(name: string, p: Params): PrecisePrefixCacheConfig {
  const ix = readParams(name, p['indexerConfig'], ['kvBlockIndexConfig', 'kvCacheBackendConfigs', 'tokenizersPoolConfig', 'backendConfigs', 'tokenProcessorConfig']);
  // Configs before llm-d-router v0.9 put tokenProcessorConfig inside indexerConfig.
  const tp = readParams(name, p['tokenProcessorConfig'] ?? ix['tokenProcessorConfig'], ['blockSize', 'blockSizeTokens', 'hashSeed', 'hashAlgorithm']);
  const blockSizeTokens = intParam(name, tp, 'blockSizeTokens', intParam(name, tp, 'blockSize', DEFAULT_BLOCK_KEY_CONFIG.blockSizeTokens, 1), 1);
  const algo = stringParam(name, tp, 'hashAlgorithm', 'cbor-fnv');
  if (algo !== 'cbor-fnv') throw new PluginConfigError(name, 'tokenProcessorConfig.hashAlgorithm', `only "cbor-fnv" is supported, got "${algo}"`);

  const ignored: string[] = [];
  // Upstream's UDS tokenizer sidecar: tokens come from the token-producer here.
  if (ix['tokenizersPoolConfig'] !== undefined) ignored.push('indexerConfig.tokenizersPoolConfig');
  const bic = readParams(name, ix['kvBlockIndexConfig'], ['inMemoryConfig', 'enableMetrics', 'metricsLoggingInterval', 'maxPrefixBlocksToMatch']);
  const mem = readParams(name, bic['inMemoryConfig'], ['size', 'podCacheSize']);
  const maxKeys = intParam(name, mem, 'size', DEFAULT_KV_BLOCK_INDEX_CONFIG.maxKeys, 1);
  const tierWeights = readTierWeights(name, ix['kvCacheBackendConfigs'] ?? ix['backendConfigs']);

  const ev = readParams(name, p['kvEventsConfig'], ['zmqEndpoint', 'topicFilter', 'concurrency', 'engineType', 'discoverPods', 'podDiscoveryConfig', 'replayTimeout']);
  const engineType = stringParam(name, ev, 'engineType', 'vllm');
  if (engineType !== 'vllm' && engineType !== 'sglang') throw new PluginConfigError(name, 'kvEventsConfig.engineType', `must be vllm or sglang, got "${engineType}"`);
  const pd = readParams(name, ev['podDiscoveryConfig'], ['podLabelSelector', 'podNamespace', 'socketPort', 'replaySocketPort']);
  const d = DEFAULT_KV_EVENTS_CONFIG;
  return {
    tokenProcessor: { blockSizeTokens, hashSeed: stringParam(name, tp, 'hashSeed', '') },
    index: { maxKeys, tierWeights },
    kvEvents: {
      zmqEndpoint: stringParam(name, ev, 'zmqEndpoint', d.zmqEndpoint),
      discoverPods: boolParam(name, ev, 'discoverPods', d.discoverPods),
      topicFilter: stringParam(name, ev, 'topicFilter', d.topicFilter),
      engineType,
      socketPort: intParam(name, pd, 'socketPort', d.socketPort, 1, 65535),
      replaySocketPort: intParam(name, pd, 'replaySocketPort', d.replaySocketPort, Number.MIN_SAFE_INTEGER, 65535),
      replayTimeoutMs: durationMsParam(name, ev, 'replayTimeout', d.replayTimeoutMs),
    },
    speculativeIndexing: boolParam(name, p, 'speculativeIndexing', false),
    speculativeTtlMs: durationMsParam(name, p, 'speculativeTTL', 2000),
    tokenProducerName: stringParam(name, p, 'tokenProducerName', ''),
    maxPrefixBlocksToMatch: intParam(name, bic, 'maxPrefixBlocksToMatch', 8192, 1),
    ignored,
  };
}

function readTierWeights(name: string, raw: unknown): readonly TierWeight[] {
  if (raw === undefined || raw === null) return DEFAULT_TIER_WEIGHTS;
  if (!Array.isArray(raw)) throw new PluginConfigError(name, 'indexerConfig.kvCacheBackendConfigs', 'must be a list of {name, weight}');
  return raw.map((entry, i) => {
    const e = readParams(name, entry, ['name', 'weight']);
    const tier = stringParam(name, e, 'name', '').toLowerCase();
    if (tier === '') throw new PluginConfigError(name, `indexerConfig.kvCacheBackendConfigs[${i}].name`, 'is required');
    return { name: tier, weight: numberParam(name, e, 'weight', 1, 0) };
  });
}
