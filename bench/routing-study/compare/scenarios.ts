/**
 * Named scenarios: workload + fleet + QPS ladder, the same definitions for both modes. The e2e fields say
 * how a scenario shrinks to fit real processes on a small machine (fewer requests, a time scale).
 */
import { loadShareGpt } from '../loadgen/sharegpt.ts';
import { loadTrace } from '../loadgen/trace.ts';
import { randomWorkload, sharedPrefix, syntheticShareGpt, withLoraMix } from '../loadgen/synthetic.ts';
import { gieLoraMix, type Workload } from '../loadgen/workload.ts';
import { agenticSessions, multiTurnChat } from '../loadgen/sessions.ts';
import { withPriorityMix } from '../loadgen/priorities.ts';
import { profile, type EngineConfig } from '../../sim/profile.ts';
import type { Slo } from '../loadgen/results.ts';

export interface Scenario {
  name: string;
  description: string;
  profile: string;
  engine: EngineConfig;
  /** Heterogeneous fleet: replica i runs engines[i % length] (fast mode). */
  engines?: EngineConfig[];
  replicas: number;
  qps: number[];
  /** Model-time seconds of arrivals per stage. */
  durationS: number;
  /** Cap on requests per stage (0 = qps x duration). */
  maxRequests: number;
  burstiness: number;
  /** Unmeasured requests before each stage (cache warm-up), sent at warmupQps. */
  warmupRequests: number;
  warmupQps: number;
  loraModules: string[];
  /** Wall ms per model ms in e2e mode. */
  timeScale: number;
  /** The goodput SLO when the command line gives none (default: TTFT ≤ 1 s, NTPOT ≤ 50 ms). */
  slo?: Slo;
  /** What `npm run bench` (the quick default set) runs instead of the full ladder and stage length. */
  quick?: { qps: number[]; durationS: number };
  workload(seed: number, sharegptPath: string): Workload;
}

const LLAMA2 = 'llama2-7b-h100';
const LLAMA3 = 'llama3-8b-h100';

function shareGptWorkload(seed: number, path: string): Workload {
  return path ? loadShareGpt(path, seed) : syntheticShareGpt(seed);
}

export const SCENARIOS: Readonly<Record<string, () => Scenario>> = {
  /** The Kubernetes-blog comparison: 10 Llama-2-7B replicas on H100, ShareGPT, 100 -> 1000 QPS. */
  sharegpt: () => ({
    name: 'sharegpt',
    description:
      'The GIE blog setup: 10 vLLM replicas (Llama-2-7B on H100 profile), ShareGPT (synthetic fit unless --sharegpt is given), Poisson arrivals, ' +
      'QPS ladder from 100 to 1000 with a fine grid around the knee.',
    profile: LLAMA2,
    engine: profile(LLAMA2),
    replicas: 10,
    qps: [100, 200, 300, 340, 360, 380, 400, 450, 600, 1000],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [250, 270], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: shareGptWorkload,
  }),

  /**
   * Prefix-heavy: GIE's "short questions, many system prompts" (150 groups x 5, 6000-token system prompts,
   * 1200-token questions, 1000 output tokens): the prefixes need ~2x one replica's KV cache, so a replica
   * can keep only part of them and routing decides the hit rate.
   */
  'shared-prefix': () => ({
    name: 'shared-prefix',
    description:
      'GIE prefix-cache-aware "short questions, many system prompts": 150 groups x 5 prompts, 6000-token shared system prompt + 1200-token question, ' +
      '1000 output tokens; 4 replicas (Llama-3.1-8B on H100 profile, 467k KV tokens each), so the 900k tokens of prefixes fit only when split.',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [10, 20, 30, 40, 50, 60, 70],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [5, 9], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 750,
    warmupQps: 15,
    loraModules: [],
    timeScale: 10,
    workload: (seed) => sharedPrefix({ groups: 150, promptsPerGroup: 5, systemPromptLen: 6000, questionLen: 1200, outputLen: 1000, seed }),
  }),

  /**
   * shared-prefix with a third of the KV cache per replica: the 900k tokens of prefixes no longer fit even when
   * split (4 x 156k tokens), so engines evict prefixes the approximate index (the picker's own routing history)
   * still credits them with; the precise index (KV events) knows. For precise vs approximate prefix routing.
   */
  'shared-prefix-evicting': () => {
    const base = SCENARIOS['shared-prefix']!();
    return {
      ...base,
      name: 'shared-prefix-evicting',
      description:
        'shared-prefix (150 groups x 5, 6000-token system prompts, 1200-token questions) on 4 replicas with 9,735 KV blocks (156k tokens) each: ' +
        'the prefixes need 1.4x the whole fleet\'s cache, so engines evict and the approximate index goes stale.',
      engine: { ...base.engine, numGpuBlocks: 9735 },
      qps: [5, 10, 15, 20],
    };
  },

  /** GIE multi-LoRA regression mix: 15 adapters in 60/30/10 groups, max 3 adapters per batch. */
  'multi-lora': () => {
    const mix = gieLoraMix();
    return {
      name: 'multi-lora',
      description:
        'GIE multi-LoRA regression mix on ShareGPT lengths: 15 adapters in three groups of 5 taking 60/30/10% of traffic, max_loras 3 per replica, ' +
        '10 ms adapter load; 10 replicas (Llama-2-7B on H100 profile).',
      profile: LLAMA2,
      engine: { ...profile(LLAMA2), maxLoras: 3 },
      replicas: 10,
      qps: [50, 100, 200, 300, 350, 400],
      durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
      quick: { qps: [150, 250], durationS: 60 },
      maxRequests: 0,
      burstiness: 1,
      warmupRequests: 0,
      warmupQps: 0,
      loraModules: [...mix.names],
      timeScale: 10,
      workload: (seed, path) => withLoraMix(shareGptWorkload(seed, path), mix, seed),
    };
  },

  /**
   * Heterogeneous accelerators: the same Llama-3.1-8B on 2 H100, 2 A100 and 2 L4 replicas (profiles
   * llama3-8b-h100 / -a100 / -l4; an L4 decodes ~7x slower than an H100), ShareGPT lengths.
   */
  hetero: () => ({
    name: 'hetero',
    description:
      'Heterogeneous fleet: Llama-3.1-8B on 2 x H100, 2 x A100-80GB, 2 x L4 (replicas in that cycle), synthetic ShareGPT, Poisson arrivals.',
    profile: 'llama3-8b-h100+a100+l4',
    engine: profile(LLAMA3),
    engines: [profile(LLAMA3), profile('llama3-8b-a100'), profile('llama3-8b-l4')],
    replicas: 6,
    qps: [20, 40, 60, 80, 100, 120],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [40, 80], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: shareGptWorkload,
  }),

  /**
   * Trace replay (`--trace FILE`, Azure or BurstGPT CSV): the trace's own arrivals rescaled to each QPS and its
   * token counts; 4 Llama-3.1-8B H100 replicas. Without --trace, the 300-request Azure conversation excerpt
   * in loadgen/testdata.
   */
  trace: () => ({
    name: 'trace',
    description:
      'Trace replay: arrivals and token counts of a real trace (Azure LLM inference 2023 or BurstGPT), mean rate rescaled to each QPS with ' +
      'its burstiness kept, prompts synthesised to the token counts; 4 replicas (Llama-3.1-8B on H100 profile).',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [10, 20, 30, 40],
    durationS: 60,
    quick: { qps: [20, 40], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: (seed) => loadTrace(new URL('../loadgen/testdata/azure-conv-300.csv', import.meta.url).pathname, { seed }),
  }),

  /**
   * Multi-turn chat: 200 conversations of 8 turns, each turn resending the conversation so far (200-token
   * questions, 150-token answers, 500-token per-session system prompt): the later turns are mostly cached prefix
   * on the server that served the earlier ones.
   */
  'multi-turn': () => ({
    name: 'multi-turn',
    description:
      'Multi-turn chat: 200 sessions x 8 turns, each turn resends the whole conversation (500-token system prompt, 200-token questions, ' +
      '150-token answers; the 8th turn is ~3,300 tokens); 4 replicas (Llama-3.1-8B on H100 profile).',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [40, 60, 80, 100, 120],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [60, 100], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: (seed) => multiTurnChat({ sessions: 200, turns: 8, questionLen: 200, answerLen: 150, systemLen: 500, seed }),
  }),

  /**
   * Agentic sessions: one 4,000-token system prompt (tool definitions) shared by every agent, a 300-token task,
   * then 12 steps each appending an action and a 600-token tool result; 60-token actions.
   */
  agentic: () => ({
    name: 'agentic',
    description:
      'Agentic sessions: 100 agents x 12 steps; shared 4,000-token system prompt, 300-token task, each step appends a 60-token action and a ' +
      '600-token tool result (the 12th step is ~12,000 tokens), 60-token outputs; 4 replicas (Llama-3.1-8B on H100 profile).',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [10, 20, 30, 40, 50],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [20, 40], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: (seed) => agenticSessions({ sessions: 100, steps: 12, sharedSystemLen: 4000, taskLen: 300, toolResultLen: 600, actionLen: 60, seed }),
  }),

  /**
   * llm-d's "KV-cache wins" setup (shared reference benchmarking.md §4.5): 8 model servers, 150 customers with
   * 6,000-token contexts and 1,200-token queries (inference-perf shared_prefix, 5 questions each), rate 3 -> 60.
   * The post ran 8 x Qwen3-32B at TP=2 on 16 H100s; the stand-in is `llama3-70b-h100-tp4`, whose per-GPU weight
   * share (35 vs 32 GB) and so its step time are the closest of our profiles.
   */
  'kv-cache-wins': () => ({
    name: 'kv-cache-wins',
    description:
      "llm-d's KV-cache-wins setup: 8 replicas (llama3-70b-h100-tp4 standing in for Qwen3-32B TP2), 150 groups x 5, 6,000-token contexts + " +
      '1,200-token queries, 1,000 output tokens, one warm-up pass; rate 3 -> 60.',
    profile: 'llama3-70b-h100-tp4',
    engine: profile('llama3-70b-h100-tp4'),
    replicas: 8,
    qps: [3, 10, 20, 40, 60],
    durationS: 120,
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 750,
    warmupQps: 15,
    loraModules: [],
    timeScale: 10,
    quick: { qps: [10, 40], durationS: 60 },
    workload: (seed) => sharedPrefix({ groups: 150, promptsPerGroup: 5, systemPromptLen: 6000, questionLen: 1200, outputLen: 1000, seed }),
  }),

  /** Long context: 32k-128k-token prompts (uniform 80k ± 60%), 256-token answers. */
  'long-context': () => ({
    name: 'long-context',
    description: 'Long context: prompts of 32k-128k tokens (80k ± 60%), 256-token outputs, no shared prefix; 4 replicas (Llama-3.1-8B on H100, 128k context).',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [0.25, 0.5, 0.75, 1, 1.25],
    durationS: 300,
    quick: { qps: [0.5, 1], durationS: 120 },
    // An 80k-token prompt alone takes ~2.5 s to prefill on an H100: the interactive SLO cannot hold.
    slo: { ttftMs: 10_000, ntpotMs: 100 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: (seed) => randomWorkload(seed, 80_000, 256, 0.6),
  }),

  /** Bursty ShareGPT: gamma inter-arrival gaps with shape 0.25 (coefficient of variation 2). */
  bursty: () => ({
    name: 'bursty',
    description: 'Bursty arrivals: synthetic ShareGPT with gamma(0.25) inter-arrival gaps (CV 2, bursts of several times the mean rate); 4 replicas (Llama-3.1-8B on H100).',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [60, 100, 140, 180, 220],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [140, 180], durationS: 60 },
    maxRequests: 0,
    burstiness: 0.25,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: shareGptWorkload,
  }),

  /**
   * Mixed priorities (GIE's criticality benchmark): half the requests are interactive chat (InferenceObjective
   * priority 10, tight SLO), half sheddable batch jobs (priority -1, lax SLO). Past the knee the picker's
   * saturation detector sheds batch to keep interactive within its SLO; the peers and baselines know no
   * priorities. Fast mode only (the e2e fleet registers no InferenceObjectives). Reported per class.
   */
  'mixed-priorities': () => ({
    name: 'mixed-priorities',
    description:
      'Mixed priorities: 50% interactive (synthetic ShareGPT, objective "interactive", priority 10, SLO TTFT ≤ 500 ms and NTPOT ≤ 30 ms), ' +
      '50% batch (1,000 ± 50% prompt tokens, 400 ± 50% output tokens, objective "batch", priority -1 = sheddable, SLO TTFT ≤ 20 s and NTPOT ≤ 150 ms); ' +
      '4 replicas (Llama-3.1-8B on H100). Shed requests count as missed in their class.',
    profile: LLAMA3,
    engine: profile(LLAMA3),
    replicas: 4,
    qps: [40, 60, 80, 100, 120],
    durationS: 300, // the GIE chart's benchmark stage length (the knee study's default; evidence runs state theirs)
    quick: { qps: [60, 100], durationS: 60 },
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 10,
    workload: (seed, path) =>
      withPriorityMix(shareGptWorkload(seed, path), randomWorkload(seed + 1000, 1000, 400, 0.5), {
        high: { objective: 'interactive', priority: 10, slo: { ttftMs: 500, ntpotMs: 30 } },
        low: { objective: 'batch', priority: -1, slo: { ttftMs: 20_000, ntpotMs: 150 } },
        highShare: 0.5,
        seed,
      }),
  }),

  /**
   * Small enough for real processes on 2 cores: 2 replicas with 8 sequences per batch and a 16k-token KV
   * cache, short random requests. Run in both modes to check that they agree.
   */
  'e2e-small': () => ({
    name: 'e2e-small',
    description:
      'Agreement check between modes: 2 replicas (Llama-2-7B on H100 step costs, max_num_seqs 8, 1024 KV blocks), random requests ' +
      '(256 ± 50% prompt tokens, 64 ± 50% output tokens).',
    profile: LLAMA2,
    engine: { ...profile(LLAMA2), maxNumSeqs: 8, numGpuBlocks: 1024 },
    replicas: 2,
    qps: [20, 35],
    durationS: 10,
    maxRequests: 0,
    burstiness: 1,
    warmupRequests: 0,
    warmupQps: 0,
    loraModules: [],
    timeScale: 2,
    workload: (seed) => randomWorkload(seed, 256, 64, 0.5),
  }),
};

export function scenario(name: string): Scenario {
  const make = SCENARIOS[name];
  if (!make) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
  return make();
}
