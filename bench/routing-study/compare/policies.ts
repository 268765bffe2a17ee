/**
 * The routing policies compared side by side. Baselines run in the proxy (bench/dev-stack/gateway/baselines.ts); the
 * others run the picker with an EndpointPickerConfig.
 */
import { DEFAULT_CONFIG_YAML } from '../../../src/config/loader.ts';
import type { BaselineName } from '../../dev-stack/gateway/baselines.ts';
import { DynamoKv } from './peers/dynamo-kv.ts';
import type { KvOracle, PeerRouter } from './peers/peer.ts';
import { AibrixPrefixCache } from './peers/aibrix-prefix-cache.ts';
import { ProductionStackLoadAware } from './peers/production-stack-loadaware.ts';
import { ProductionStackPrefixAware } from './peers/production-stack.ts';
import { SglangCacheAware } from './peers/sglang-cache-aware.ts';

export type PolicySpec =
  | { name: string; kind: 'baseline'; baseline: BaselineName; description: string }
  | {
      name: string;
      kind: 'peer';
      make: (random: () => number, kv: KvOracle) => PeerRouter;
      description: string;
      /** Reads the engines' KV state (engine KV events): the simulated engines must be in process (fast mode). */
      engineKv?: boolean;
    }
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
 * metrics exist, so it is neutral elsewhere). kv-estimate at 6 (was 2) lets load outweigh a full prefix match:
 * with 2, a system prompt every request shares (agentic scenario) drew all traffic to the first server holding it.
 * active-request at 1 counts this picker's own requests in flight: sessions that stick to their prefix cannot pile
 * onto one server at low load, where the KV estimate stays low (agentic at 10 QPS: SLO met 94% -> 100%); at 2 it
 * balanced in-flight counts so hard that the heterogeneous fleet's L4s got too much (SLO met 96% vs 97.5% at 1).
 * prefillTokensPerSecond 45000 keeps a dispatched prompt counted until its prefill would be done at that rate: the
 * 50 ms decay alone forgot an 80k-token prompt long before its ~2.5 s prefill ended, so the next long prompt often
 * went to the same server (long context at 1 QPS: p90 TTFT 3.58 s -> 2.89 s; neutral on short-prompt scenarios).
 * load-balance-guard-filter (SGLang's balance guard, at abs 96 / rel 1.5) keeps only the least-loaded servers once
 * in-flight counts drift apart (max - min > 96 and max > 1.5 min): sticky multi-turn sessions let them drift at
 * 100 QPS (SLO met 84.5% -> 98.5%, seeds 1-3); it never fires below that load, and at abs 64 it also fired on the
 * heterogeneous fleet's L4s (hetero 80 QPS 97.6% -> 96.7%; at 96: 97.6%).
 */
export const BEST_CONFIG_YAML = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: kv-estimate-scorer
  parameters:
    prefillWeight: 20
    prefillDecay: 50ms
    waitingWeight: 5
    prefillTokensPerSecond: 45000
- type: prefix-cache-scorer
- type: lora-affinity-scorer
- type: active-request-scorer
- type: load-balance-guard-filter
  parameters:
    absThreshold: 96
    relThreshold: 1.5
- type: max-score-picker
- type: utilization-detector
  parameters:
    kvCacheUtilThreshold: 0.3
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: load-balance-guard-filter
  - pluginRef: kv-estimate-scorer
    weight: 6
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: lora-affinity-scorer
    weight: 4
  - pluginRef: active-request-scorer
    weight: 1
  - pluginRef: max-score-picker
flowControl:
  saturationDetector:
    pluginRef: utilization-detector
`;

/** `best` before load-balance-guard-filter: the multi-turn drift study's candidates are variants of it. */
const BEST_NO_GUARD_YAML = BEST_CONFIG_YAML.replace('- type: load-balance-guard-filter\n  parameters:\n    absThreshold: 96\n    relThreshold: 1.5\n', '').replace('  - pluginRef: load-balance-guard-filter\n', '');

/**
 * llm-d's 2026 optimized baseline (llm-d/llm-d guides/optimized-baseline; shared reference upstream-2026.md §3.5):
 * keep the endpoints whose prefix score is at least 0.80 unless the best of them carries far more in-flight tokens,
 * then the least in-flight uncached tokens; approx producer matching up to 40,960 tokens.
 */
export const LLM_D_OPTIMIZED_YAML = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: approx-prefix-cache-producer
  parameters:
    maxPrefixTokensToMatch: 40960
- type: prefix-cache-affinity-filter
- type: token-load-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: prefix-cache-affinity-filter
  - pluginRef: token-load-scorer
  - pluginRef: max-score-picker
`;

/**
 * The precise prefix path's plugins: estimate tokens, an index fed by the engines' KV events (in process in fast
 * mode, so no pod discovery), and the prefix scorer reading it.
 */
const PRECISE_PREFIX_PLUGINS = `- type: token-producer
- type: precise-prefix-cache-producer
  parameters:
    kvEventsConfig:
      discoverPods: false
- type: prefix-cache-scorer
  parameters:
    prefixMatchInfoProducerName: precise-prefix-cache-producer
`;

/**
 * `best` with the prefix scorer reading the precise index (KV events from the engines' caches) instead of the
 * approximate one (the picker's own routing history). In fast mode the engines' events feed the producer's index
 * in process (fast-sim.ts); the estimate token-producer and the simulator pack the same bytes, so keys agree.
 */
export const BEST_PRECISE_CONFIG_YAML = BEST_CONFIG_YAML.replace(
  '- type: prefix-cache-scorer\n',
  PRECISE_PREFIX_PLUGINS,
);

/** Load-only scoring: the reference queue and KV scorers without prefix affinity. */
export const LOAD_ONLY_YAML = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 1
  - pluginRef: kv-cache-utilization-scorer
    weight: 1
  - pluginRef: max-score-picker
`;

/**
 * llm-d's precise well-lit path (llm-d/llm-d guides/precise-prefix-cache-aware; shared reference upstream-2026.md
 * §3.5): precise prefix x2 (engine KV events) + kv-cache-utilization x1 + queue x1, max-score.
 */
export const LLM_D_PRECISE_YAML = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
${PRECISE_PREFIX_PLUGINS}- type: kv-cache-utilization-scorer
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 1
  - pluginRef: queue-scorer
    weight: 1
  - pluginRef: max-score-picker
`;

/** best-precise with upstream's speculative indexing: the pick is credited with the prompt's blocks for 2 s. */
export const BEST_PRECISE_SPECULATIVE_CONFIG_YAML = BEST_PRECISE_CONFIG_YAML.replace(
  '      discoverPods: false\n',
  '      discoverPods: false\n    speculativeIndexing: true\n    speculativeTTL: 2s\n',
);

/**
 * Precise first, approximate as affinity: best-precise-spec's scorer (weight 3) reads the engines' KV events plus
 * the speculative credit of recent picks; a second prefix-cache-scorer (weight 1) reads the approximate index, the
 * picker's own routing history. Where a prefix is still cached the precise score decides; where every engine
 * evicted it, the precise score is 0 everywhere and the approximate one re-homes the whole group on the server
 * that last served it instead of letting load balancing scatter it.
 */
export const BEST_PRECISE_HYBRID_CONFIG_YAML = BEST_PRECISE_SPECULATIVE_CONFIG_YAML.replace(
  '- type: lora-affinity-scorer\n',
  `- type: approx-prefix-cache-producer
- type: prefix-cache-scorer
  name: approx-affinity
  parameters:
    prefixMatchInfoProducerName: approx-prefix-cache-producer
- type: lora-affinity-scorer
`,
).replace(
  '  - pluginRef: lora-affinity-scorer\n',
  `  - pluginRef: approx-affinity
    weight: 1
  - pluginRef: lora-affinity-scorer
`,
);

/** Predicted latency: the in-process TTFT/TPOT predictor, then latency-scorer (upstream-2026.md §1b). */
export const PREDICTED_LATENCY_YAML = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: predicted-latency-producer
- type: latency-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: latency-scorer
  - pluginRef: max-score-picker
`;

export const POLICIES: Readonly<Record<string, PolicySpec>> = {
  'round-robin': { name: 'round-robin', kind: 'baseline', baseline: 'round-robin', description: 'Kubernetes Service (round-robin), no picker' },
  'least-request': { name: 'least-request', kind: 'baseline', baseline: 'least-request', description: 'Envoy LEAST_REQUEST (power of two choices on proxy-side active requests), no picker' },
  random: { name: 'random', kind: 'baseline', baseline: 'random', description: 'Kubernetes Service: kube-proxy iptables picks a backend uniformly at random per connection (one connection per request), no picker' },
  'sglang-cache-aware': {
    name: 'sglang-cache-aware',
    kind: 'peer',
    make: (r) => new SglangCacheAware(r),
    description: 'SGLang router cache_aware (radix match > 0.3 else smallest tree; least-load when imbalanced 64 / 1.5x)',
  },
  'dynamo-kv': {
    name: 'dynamo-kv',
    kind: 'peer',
    make: (r) => new DynamoKv(r),
    description: 'NVIDIA Dynamo KV router, approximate (own decisions, TTL 120 s): argmin prefill blocks - overlap + active blocks',
  },
  'dynamo-kv-exact': {
    name: 'dynamo-kv-exact',
    kind: 'peer',
    make: (r, kv) => new DynamoKv(r, kv),
    engineKv: true,
    description: 'NVIDIA Dynamo KV router with engine KV events (exact resident prefix per worker): argmin prefill blocks - overlap + active blocks, fast mode only',
  },
  'aibrix-prefix-cache': {
    name: 'aibrix-prefix-cache',
    kind: 'peer',
    make: (r) => new AibrixPrefixCache(r),
    description: 'AIBrix gateway prefix-cache (4-token blocks, match% then fewest running under mean + 1 stddev, imbalance > 8 -> least-request)',
  },
  'production-stack-loadaware': {
    name: 'production-stack-loadaware',
    kind: 'peer',
    make: (r) => new ProductionStackLoadAware(r),
    description: 'vLLM production-stack loadaware (matched/prompt - (load - mean)/max(1, mean), argmax)',
  },
  'production-stack-prefixaware': {
    name: 'production-stack-prefixaware',
    kind: 'peer',
    make: (r) => new ProductionStackPrefixAware(r),
    description: 'vLLM production-stack prefixaware (128-char chunk trie, random among matches, else lowest 60 s QPS)',
  },
  default: { name: 'default', kind: 'picker', configYaml: DEFAULT_CONFIG_YAML, description: 'picker, reference default: queue 2, kv-cache 2, prefix 3, max-score' },
  'llm-d-optimized': {
    name: 'llm-d-optimized',
    kind: 'picker',
    configYaml: LLM_D_OPTIMIZED_YAML,
    description: "picker with llm-d's 2026 optimized-baseline config: prefix-cache-affinity-filter (0.80) then token-load-scorer",
  },
  best: { name: 'best', kind: 'picker', configYaml: BEST_CONFIG_YAML, description: 'picker, tuned: load-balance guard (in-flight, abs 96 / rel 1.5), kv-estimate 6, prefix 3, lora-affinity 4, active-request 1, max-score; sheds sheddable requests from 30% mean KV use (bench/routing-study/README.md)' },
  'best-no-prefill-rate': {
    name: 'best-no-prefill-rate',
    kind: 'picker',
    configYaml: BEST_CONFIG_YAML.replace('    prefillTokensPerSecond: 45000\n', ''),
    description: 'best without kv-estimate\'s prefillTokensPerSecond (best before the long-context fix): dispatched prompts fade with the 50 ms decay alone',
  },
  'best-ar15': {
    name: 'best-ar15',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('  - pluginRef: active-request-scorer\n    weight: 1\n', '  - pluginRef: active-request-scorer\n    weight: 1.5\n'),
    description: 'best with active-request at 1.5 (multi-turn drift study: between 1, hetero\'s best, and 2, multi-turn\'s)',
  },
  'best-ar125': {
    name: 'best-ar125',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('  - pluginRef: active-request-scorer\n    weight: 1\n', '  - pluginRef: active-request-scorer\n    weight: 1.25\n'),
    description: 'best with active-request at 1.25 (multi-turn drift study)',
  },
  'best-ar2-idle16': {
    name: 'best-ar2-idle16',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('- type: active-request-scorer\n', '- type: active-request-scorer\n  parameters:\n    idleThreshold: 16\n').replace('  - pluginRef: active-request-scorer\n    weight: 1\n', '  - pluginRef: active-request-scorer\n    weight: 2\n'),
    description: 'best with active-request at 2 and idleThreshold 16 (multi-turn drift study: up to 16 in flight scores as idle, keeping prefix affinity at low load)',
  },
  'best-guard': {
    name: 'best-guard',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('- type: max-score-picker\n', '- type: load-balance-guard-filter\n- type: max-score-picker\n').replace('  plugins:\n  - pluginRef: kv-estimate-scorer\n', '  plugins:\n  - pluginRef: load-balance-guard-filter\n  - pluginRef: kv-estimate-scorer\n'),
    description: 'best behind load-balance-guard-filter (SGLang\'s balance guard: in-flight max - min > 64 and max > 1.5 min -> least-loaded only)',
  },
  'best-guard16': {
    name: 'best-guard16',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('- type: max-score-picker\n', '- type: load-balance-guard-filter\n  parameters:\n    absThreshold: 16\n    relThreshold: 1.2\n- type: max-score-picker\n').replace('  plugins:\n  - pluginRef: kv-estimate-scorer\n', '  plugins:\n  - pluginRef: load-balance-guard-filter\n  - pluginRef: kv-estimate-scorer\n'),
    description: 'best behind load-balance-guard-filter at absThreshold 16, relThreshold 1.2',
  },
  'best-guard-r2': {
    name: 'best-guard-r2',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('- type: max-score-picker\n', '- type: load-balance-guard-filter\n  parameters:\n    absThreshold: 64\n    relThreshold: 2\n- type: max-score-picker\n').replace('  plugins:\n  - pluginRef: kv-estimate-scorer\n', '  plugins:\n  - pluginRef: load-balance-guard-filter\n  - pluginRef: kv-estimate-scorer\n'),
    description: 'best behind load-balance-guard-filter at absThreshold 64, relThreshold 2',
  },
  'best-no-guard': {
    name: 'best-no-guard',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML,
    description: 'best without load-balance-guard-filter (best before the multi-turn drift fix)',
  },
  'best-ww10': {
    name: 'best-ww10',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('    waitingWeight: 5\n', '    waitingWeight: 10\n'),
    description: 'best with kv-estimate waitingWeight 10 (multi-turn drift study: queued requests weigh more)',
  },
  'best-ar2': {
    name: 'best-ar2',
    kind: 'picker',
    configYaml: BEST_NO_GUARD_YAML.replace('  - pluginRef: active-request-scorer\n    weight: 1\n', '  - pluginRef: active-request-scorer\n    weight: 2\n'),
    description: 'best with active-request at 2 (fixes multi-turn drift, costs hetero ~1 point)',
  },
  'load-only': {
    name: 'load-only',
    kind: 'picker',
    configYaml: LOAD_ONLY_YAML,
    description: 'picker, load only: queue x1, kv-cache-utilization x1 (no prefix scoring; the KV-cache-wins post\'s "load-aware" arm)',
  },
  'llm-d-precise': {
    name: 'llm-d-precise',
    kind: 'picker',
    configYaml: LLM_D_PRECISE_YAML,
    description: "picker with llm-d's precise well-lit path: precise prefix (engine KV events) x2, kv-utilization x1, queue x1; fast mode",
  },
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
  'best-precise-hybrid': {
    name: 'best-precise-hybrid',
    kind: 'picker',
    configYaml: BEST_PRECISE_HYBRID_CONFIG_YAML,
    description: 'best-precise-spec, plus the approximate index as a weight-1 affinity (re-homes a group whose prefix every engine evicted)',
  },
  'predicted-latency': {
    name: 'predicted-latency',
    kind: 'picker',
    configYaml: PREDICTED_LATENCY_YAML,
    description: 'picker: predicted-latency-producer (in-process online TTFT/TPOT models) + latency-scorer, max-score',
  },
};

/** The peers' algorithms (all but dynamo-kv-exact also run in e2e mode, inside the local gateway). */
export const PEER_POLICIES = ['sglang-cache-aware', 'dynamo-kv', 'dynamo-kv-exact', 'aibrix-prefix-cache', 'production-stack-prefixaware', 'production-stack-loadaware', 'llm-d-optimized', 'llm-d-precise'];

/** Run by default. */
export const ALL_POLICIES = ['round-robin', 'least-request', 'random', 'default', 'best'];

export function policy(name: string): PolicySpec {
  const p = POLICIES[name];
  if (p) return p;
  throw new Error(`unknown policy "${name}" (known: ${Object.keys(POLICIES).join(', ')})`);
}
