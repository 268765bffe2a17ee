/**
 * Deterministic synthetic workloads, so no dataset download is needed.
 *
 * ShareGPT-like lengths, fitted to the GIE/LPG ShareGPT run (Llama-2 tokenizer, vLLM filter; input mean
 * 251.5, median 109, p90 714, p99 987; output mean 225.3, median 144, p90 564, p99 948):
 * - output: round(exp(N(5.10, 1.30))), rejection-truncated to [4, 1024];
 * - input: inverse CDF through (u, tokens) = (0, 4), (0.5, 109), (0.9, 714), (0.99, 987), (1, 1024),
 *   interpolated in log space, blended above the median with linear interpolation (weight 0.5731), which
 *   puts the mean at 251.5 while keeping the anchors (derived; see bench/routing-study/README.md).
 * Inputs and outputs are drawn independently (the correlation is not published).
 */
import { Rng } from '../../sim/rng.ts';
import { randomText } from './text.ts';
import { arrayWorkload, type Api, type LoraMix, type WorkItem, type Workload } from './workload.ts';

const INPUT_ANCHORS: readonly (readonly [number, number])[] = [
  [0, 4],
  [0.5, 109],
  [0.9, 714],
  [0.99, 987],
  [1, 1024],
];
const LINEAR_BLEND = 0.5731;

/** ShareGPT-like prompt length for a uniform u in [0,1). */
export function shareGptInputLen(u: number): number {
  let lo = INPUT_ANCHORS[0] as readonly [number, number];
  for (let k = 1; k < INPUT_ANCHORS.length; k++) {
    const hi = INPUT_ANCHORS[k] as readonly [number, number];
    if (u <= hi[0]) {
      const f = (u - lo[0]) / (hi[0] - lo[0]);
      const logInterp = Math.exp(Math.log(lo[1]) + f * (Math.log(hi[1]) - Math.log(lo[1])));
      if (u <= 0.5) return Math.round(logInterp);
      const linInterp = lo[1] + f * (hi[1] - lo[1]);
      return Math.round((1 - LINEAR_BLEND) * logInterp + LINEAR_BLEND * linInterp);
    }
    lo = hi;
  }
  return 1024;
}

export function shareGptOutputLen(rng: Rng): number {
  for (let i = 0; i < 1000; i++) {
    const n = Math.round(Math.exp(rng.normal(5.1, 1.3)));
    if (n >= 4 && n <= 1024) return n;
  }
  return 144;
}

/** Per-index generator: item i is the same for every policy and run with this seed. */
function itemRng(seed: number, i: number): Rng {
  return new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
}

/** Distinct items before cycling for generated workloads (large enough to never repeat in a run). */
const UNBOUNDED = 2 ** 31;

export function syntheticShareGpt(seed: number, api: Api = 'completion'): Workload {
  return {
    name: 'sharegpt-synthetic',
    size: UNBOUNDED,
    item(i: number): WorkItem {
      const rng = itemRng(seed, i);
      const inLen = shareGptInputLen(rng.next());
      const outLen = shareGptOutputLen(rng);
      return { api, model: '', prompt: randomText(rng, inLen), system: '', outputTokens: outLen, group: -1 };
    },
    describe: { generator: 'sharegpt-synthetic', seed, input: 'GIE/LPG ShareGPT fit', output: 'lognormal(5.10,1.30) in [4,1024]' },
  };
}

/** Fixed lengths, uniform within ±rangeRatio (vLLM `random` dataset). */
export function randomWorkload(seed: number, inputLen: number, outputLen: number, rangeRatio = 0, api: Api = 'completion'): Workload {
  const pick = (rng: Rng, n: number): number => Math.max(1, Math.round(n * (1 - rangeRatio + 2 * rangeRatio * rng.next())));
  return {
    name: 'random',
    size: UNBOUNDED,
    item(i: number): WorkItem {
      const rng = itemRng(seed, i);
      const inLen = pick(rng, inputLen);
      return { api, model: '', prompt: randomText(rng, inLen), system: '', outputTokens: pick(rng, outputLen), group: -1 };
    },
    describe: { generator: 'random', seed, inputLen, outputLen, rangeRatio },
  };
}

export interface SharedPrefixOptions {
  groups: number;
  promptsPerGroup: number;
  systemPromptLen: number;
  questionLen: number;
  outputLen: number;
  seed: number;
  api?: Api;
}

/**
 * inference-perf `shared_prefix`: `groups` system prompts, `promptsPerGroup` questions each; request =
 * system prompt + " " + question (completions) or a system + user message pair (chat). The groups x prompts
 * list is shuffled with the seed and cycled, so a second pass repeats whole prompts.
 */
export function sharedPrefix(o: SharedPrefixOptions): Workload {
  const rng = new Rng(o.seed);
  const api = o.api ?? 'completion';
  const systems: string[] = [];
  for (let g = 0; g < o.groups; g++) systems.push(randomText(rng, o.systemPromptLen));
  const items: WorkItem[] = [];
  for (let g = 0; g < o.groups; g++) {
    for (let p = 0; p < o.promptsPerGroup; p++) {
      const question = randomText(rng, o.questionLen);
      const system = systems[g] as string;
      items.push(
        api === 'completion'
          ? { api, model: '', prompt: `${system} ${question}`, system: '', outputTokens: o.outputLen, group: g }
          : { api, model: '', prompt: question, system, outputTokens: o.outputLen, group: g },
      );
    }
  }
  rng.shuffle(items);
  const { api: _api, ...describe } = o;
  return arrayWorkload('shared-prefix', items, { generator: 'shared-prefix', api, ...describe });
}

/** Assigns each request a model from `mix` (seeded per index, so every policy sees the same assignment). */
export function withLoraMix(base: Workload, mix: LoraMix, seed: number): Workload {
  return {
    name: `${base.name}+lora`,
    size: base.size,
    item(i: number): WorkItem {
      const it = base.item(i);
      return { ...it, model: mix.names[itemRng(seed ^ 0x10ba, i).weighted(mix.weights)] as string };
    },
    describe: { ...base.describe, loraMix: mix.names.map((n, k) => `${n}:${mix.weights[k]}`).join(',') },
  };
}

export interface MultiTurnOptions {
  conversations: number;
  turns: number;
  /** Tokens of the first user message (a document or instructions). */
  firstLen: number;
  /** Tokens of each later user message and of each assistant answer carried into the next turn. */
  userLen: number;
  answerLen: number;
  outputLen: number;
  seed: number;
}

/**
 * Multi-turn chat as completions: turn t of a conversation sends the whole history (first message, then per
 * earlier turn an answer and a user message) plus its new message, so turn t's prompt extends turn t-1's.
 * Items go in rounds: every conversation's turn 1 (shuffled), then every turn 2, ... so a turn always
 * follows its predecessor by about one round.
 */
export function multiTurn(o: MultiTurnOptions): Workload {
  const rng = new Rng(o.seed);
  const histories: string[] = [];
  for (let c = 0; c < o.conversations; c++) histories.push(randomText(rng, o.firstLen));
  const items: WorkItem[] = [];
  for (let t = 0; t < o.turns; t++) {
    const round: WorkItem[] = [];
    for (let c = 0; c < o.conversations; c++) {
      if (t > 0) histories[c] = `${histories[c]} ${randomText(rng, o.answerLen)} ${randomText(rng, o.userLen)}`;
      round.push({ api: 'completion', model: '', prompt: histories[c] as string, system: '', outputTokens: o.outputLen, group: c });
    }
    rng.shuffle(round);
    items.push(...round);
  }
  return arrayWorkload('multi-turn', items, { generator: 'multi-turn', ...o });
}
