/**
 * The `las` (least attained service) strategy of program-aware-fairness (upstream
 * fairness/program-aware/strategy_las.go, commit ebab687): a program's attained service is its weighted tokens
 * (input x1, output x2) on completion, halved every `lasHalfLifeSeconds` (0 = no decay), folded in lazily. The
 * pick scores each non-empty queue wService x (1 - normalised service) + wHeadWait x normalised head wait, both
 * range-normalised over the candidates (0.5 when all are equal); the highest score goes.
 */
import type { FlowQueueView } from '../../../../framework/flowcontrol.ts';

export const WEIGHT_INPUT_TOKEN = 1;
export const WEIGHT_OUTPUT_TOKEN = 2;

/** Decayed attained service as of `anchorMs` (-1 = never touched). */
class LasState {
  service = 0;
  anchorMs = -1;
  decay(nowMs: number, halfLifeS: number): number {
    if (this.anchorMs < 0) {
      this.anchorMs = nowMs;
      return this.service;
    }
    const elapsedS = (nowMs - this.anchorMs) / 1000;
    if (elapsedS <= 0) return this.service;
    if (halfLifeS > 0) this.service *= Math.pow(2, -elapsedS / halfLifeS);
    this.anchorMs = nowMs;
    return this.service;
  }
}

export class LasStrategy {
  readonly #wService: number;
  readonly #wHeadWait: number;
  readonly #halfLifeS: number;
  readonly #state = new Map<string, LasState>();
  // Scratch for pick(), reused.
  readonly #service: number[] = [];
  readonly #wait: number[] = [];

  constructor(weightService: number, weightHeadWait: number, halfLifeSeconds: number) {
    this.#wService = weightService;
    this.#wHeadWait = weightHeadWait;
    this.#halfLifeS = halfLifeSeconds;
  }

  service(programId: string, nowMs: number): number {
    return this.#get(programId).decay(nowMs, this.#halfLifeS);
  }

  /** A request of the program completed with this usage; returns the new attained service. */
  completed(programId: string, promptTokens: number, completionTokens: number, nowMs: number): number {
    const s = this.#get(programId);
    s.decay(nowMs, this.#halfLifeS);
    s.service += WEIGHT_INPUT_TOKEN * promptTokens + WEIGHT_OUTPUT_TOKEN * completionTokens;
    return s.service;
  }

  evict(programId: string): void {
    this.#state.delete(programId);
  }

  pick(flows: readonly FlowQueueView[], nowMs: number): FlowQueueView {
    const n = flows.length;
    const service = this.#service;
    const wait = this.#wait;
    service.length = n;
    wait.length = n;
    let sMin = Infinity;
    let sMax = -Infinity;
    let wMin = Infinity;
    let wMax = -Infinity;
    for (let i = 0; i < n; i++) {
      const f = flows[i]!;
      const s = this.service(f.flowId, nowMs);
      const head = f.head();
      // Upstream truncates the head wait to whole milliseconds.
      const w = head === undefined ? 0 : Math.trunc(nowMs - head.enqueuedAtMs);
      service[i] = s;
      wait[i] = w;
      if (s < sMin) sMin = s;
      if (s > sMax) sMax = s;
      if (w < wMin) wMin = w;
      if (w > wMax) wMax = w;
    }
    let best = flows[0]!;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      const score = this.#wService * (1 - rangeNormalize(service[i]!, sMin, sMax)) + this.#wHeadWait * rangeNormalize(wait[i]!, wMin, wMax);
      if (score > bestScore) {
        bestScore = score;
        best = flows[i]!;
      }
    }
    return best;
  }

  #get(programId: string): LasState {
    let s = this.#state.get(programId);
    if (s === undefined) this.#state.set(programId, (s = new LasState()));
    return s;
  }
}

export function rangeNormalize(v: number, min: number, max: number): number {
  return max === min ? 0.5 : (v - min) / (max - min);
}
