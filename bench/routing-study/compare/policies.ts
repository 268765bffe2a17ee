/**
 * The routing policies compared side by side. Baselines run in the proxy (bench/dev-stack/gateway/baselines.ts); the
 * others run the picker with an EndpointPickerConfig.
 */
import { DEFAULT_CONFIG_YAML } from '../../../src/config/loader.ts';
import type { BaselineName } from '../../dev-stack/gateway/baselines.ts';
import { DynamoKv } from './peers/dynamo-kv.ts';
import type { PeerRouter } from './peers/peer.ts';
import { ProductionStackPrefixAware } from './peers/production-stack.ts';
import { SglangCacheAware } from './peers/sglang-cache-aware.ts';

export type PolicySpec =
  | { name: string; kind: 'baseline'; baseline: BaselineName; description: string }
  | { name: string; kind: 'peer'; make: (random: () => number) => PeerRouter; description: string }
  | {
      name: string;
      kind: 'picker';
      configYaml: string;
      description: string;
    };

/**
 * Our tuned configuration (bench/routing-study/README.md, "Tuning"): kv-estimate-scorer in place of the queue and
 * kv-cache-utilization scorers. It moves each endpoint's KV estimate with this picker's own dispatches between
 * scrapes, which ends herding, and counts the scraped waiting queue in KV units; the queue scorer's min-max
 * over that count herds too (one waiting request at a scrape sends a whole interval's traffic elsewhere).
 * lora-affinity at weight 4 is what multi-adapter traffic needs (it scores every endpoint 0 when no adapter
 * metrics exist, so it is neutral elsewhere).
 */
export const BEST_CONFIG_YAML = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: kv-estimate-scorer
  parameters:
    prefillWeight: 20
    prefillDecay: 50ms
    waitingWeight: 5
- type: prefix-cache-scorer
- type: lora-affinity-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: kv-estimate-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: lora-affinity-scorer
    weight: 4
  - pluginRef: max-score-picker
`;

/**
 * `best` with the prefix scorer reading the precise index (KV events from the engines' caches) instead of the
 * approximate one (the picker's own routing history). In fast mode the engines' events feed the producer's index
 * in process (fast-sim.ts); the estimate token-producer and the simulator pack the same bytes, so keys agree.
 */
export const BEST_PRECISE_CONFIG_YAML = BEST_CONFIG_YAML.replace(
  '- type: prefix-cache-scorer\n',
  `- type: token-producer
- type: precise-prefix-cache-producer
  parameters:
    kvEventsConfig:
      discoverPods: false
- type: prefix-cache-scorer
  parameters:
    prefixMatchInfoProducerName: precise-prefix-cache-producer
`,
);

/** best-precise with upstream's speculative indexing: the pick is credited with the prompt's blocks for 2 s. */
export const BEST_PRECISE_SPECULATIVE_CONFIG_YAML = BEST_PRECISE_CONFIG_YAML.replace(
  '      discoverPods: false\n',
  '      discoverPods: false\n    speculativeIndexing: true\n    speculativeTTL: 2s\n',
);

export const POLICIES: Readonly<Record<string, PolicySpec>> = {
  'round-robin': { name: 'round-robin', kind: 'baseline', baseline: 'round-robin', description: 'Kubernetes Service (round-robin), no picker' },
  'least-request': { name: 'least-request', kind: 'baseline', baseline: 'least-request', description: 'Envoy LEAST_REQUEST (power of two choices on proxy-side active requests), no picker' },
  random: { name: 'random', kind: 'baseline', baseline: 'random', description: 'Kubernetes Service: kube-proxy iptables picks a backend uniformly at random per connection (one connection per request), no picker' },
  'sglang-cache-aware': {
    name: 'sglang-cache-aware',
    kind: 'peer',
    make: (r) => new SglangCacheAware(r),
    description: 'SGLang router cache_aware (radix match > 0.3 else smallest tree; least-load when imbalanced 64 / 1.5x), fast mode only',
  },
  'dynamo-kv': {
    name: 'dynamo-kv',
    kind: 'peer',
    make: (r) => new DynamoKv(r),
    description: 'NVIDIA Dynamo KV router, approximate (own decisions, TTL 120 s): argmin prefill blocks - overlap + active blocks, fast mode only',
  },
  'production-stack-prefixaware': {
    name: 'production-stack-prefixaware',
    kind: 'peer',
    make: (r) => new ProductionStackPrefixAware(r),
    description: 'vLLM production-stack prefixaware (128-char chunk trie, random among matches, else lowest 60 s QPS), fast mode only',
  },
  default: { name: 'default', kind: 'picker', configYaml: DEFAULT_CONFIG_YAML, description: 'picker, reference default: queue 2, kv-cache 2, prefix 3, max-score' },
  best: { name: 'best', kind: 'picker', configYaml: BEST_CONFIG_YAML, description: 'picker, tuned: kv-estimate 2, prefix 3, lora-affinity 4, max-score (bench/routing-study/README.md)' },
  'best-precise': {
    name: 'best-precise',
    kind: 'picker',
    configYaml: BEST_PRECISE_CONFIG_YAML,
    description: 'best, with prefix-cache-scorer reading precise-prefix-cache-producer (the engines\' KV events) instead of the approximate index',
  },
  'best-precise-spec': {
    name: 'best-precise-spec',
    kind: 'picker',
    configYaml: BEST_PRECISE_SPECULATIVE_CONFIG_YAML,
    description: 'best-precise with speculativeIndexing (the pick holds the prompt\'s blocks for 2 s, until its KV events arrive)',
  },
};

/** The peers' algorithms (fast mode only). */
export const PEER_POLICIES = ['sglang-cache-aware', 'dynamo-kv', 'production-stack-prefixaware'];

/** Run by default. */
export const ALL_POLICIES = ['round-robin', 'least-request', 'random', 'default', 'best'];

export function policy(name: string): PolicySpec {
  const p = POLICIES[name];
  if (p) return p;
  throw new Error(`unknown policy "${name}" (known: ${Object.keys(POLICIES).join(', ')})`);
}
