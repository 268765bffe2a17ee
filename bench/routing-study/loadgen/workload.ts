/** What the load generator sends: a workload is an indexable, cycling list of request templates. */

export type Api = 'completion' | 'chat';

export interface WorkItem {
  api: Api;
  /** Model or LoRA adapter to request; '' = the fleet's base model. */
  model: string;
  /** Completions prompt, or the user message of a chat request. */
  prompt: string;
  /** Chat only: a system message sent before the user message ('' = none). */
  system: string;
  /** max_tokens, sent with ignore_eos so exactly this many tokens come back. */
  outputTokens: number;
  /** Shared-prefix group (-1 when the workload has none). */
  group: number;
  /** InferenceObjective the request names (x-llm-d-inference-objective); '' or absent = none. */
  objective?: string;
}

/** A class of traffic: the InferenceObjective its requests name, its priority and its own goodput SLO. */
export interface RequestClass {
  objective: string;
  /** InferenceObjective priority: < 0 is sheddable. */
  priority: number;
  slo: { ttftMs: number; ntpotMs: number };
}

export interface Workload {
  readonly name: string;
  /** Distinct items; item(i) cycles with period `size` (inference-perf semantics). */
  readonly size: number;
  item(i: number): WorkItem;
  /** Parameters that define it, for the report. */
  readonly describe: Record<string, unknown>;
  /** Traffic classes by objective (mixed priorities): registered as InferenceObjectives, reported per class. */
  readonly classes?: readonly RequestClass[];
}

export function arrayWorkload(name: string, items: readonly WorkItem[], describe: Record<string, unknown>): Workload {
  if (items.length === 0) throw new Error(`workload ${name} is empty`);
  return { name, size: items.length, item: (i) => items[i % items.length] as WorkItem, describe };
}

/** Adapter traffic split: `weights[i]` of requests go to `names[i]` ('' = base model). */
export interface LoraMix {
  names: readonly string[];
  weights: readonly number[];
}

/**
 * The GIE multi-LoRA regression split: 15 adapters in three groups of 5 taking 60/30/10 % of traffic.
 */
export function gieLoraMix(): LoraMix {
  const names: string[] = [];
  const weights: number[] = [];
  for (let g = 0; g < 3; g++) {
    for (let a = 0; a < 5; a++) {
      names.push(`adapter-${g * 5 + a}`);
      weights.push([60, 30, 10][g]! / 5);
    }
  }
  return { names, weights };
}
