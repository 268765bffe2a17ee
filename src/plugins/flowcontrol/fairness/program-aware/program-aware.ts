/**
 * program-aware-fairness (upstream fairness/program-aware/plugin.go, commit ebab687): fairness between programs
 * (program = fairness id) by aggregated per-program metrics rather than per-request attributes. A fairness
 * policy (the `las` strategy picks the queue, las.ts), a PreRequest (counts the dispatch) and a response hook
 * (adds the completion's token usage to the program's attained service). Idle programs (no completion for
 * `evictionTtlSeconds`, nothing in flight) are forgotten by a sweep every `evictionSweepSeconds`; ours runs the
 * sweep lazily from the hooks instead of a timer.
 */
import type { Clock } from '../../../../framework/clock.ts';
import type { BandFairness, FairnessPolicy, FlowQueueView, QueuedItemView } from '../../../../framework/flowcontrol.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { LLMResponse, PreRequest, ResponseComplete } from '../../../../framework/requestcontrol.ts';
import { numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';
import { LasStrategy } from './las.ts';

export const PROGRAM_AWARE_FAIRNESS_TYPE = 'program-aware-fairness';

/** The fairness id of a request that carries none (upstream metadata.DefaultFairnessID). */
const DEFAULT_PROGRAM_ID = 'default-flow';

export interface ProgramAwareConfig {
  readonly strategy: 'las';
  readonly evictionTtlSeconds: number;
  readonly evictionSweepSeconds: number;
  readonly lasWeightService: number;
  readonly lasWeightHeadWait: number;
  readonly lasHalfLifeSeconds: number;
}

/** Upstream DefaultConfig(). */
export const DEFAULT_PROGRAM_AWARE_CONFIG: ProgramAwareConfig = {
  strategy: 'las',
  evictionTtlSeconds: 3600,
  evictionSweepSeconds: 300,
  lasWeightService: 0.8,
  lasWeightHeadWait: 0.2,
  lasHalfLifeSeconds: 60,
};

/** Upstream ProgramMetrics. */
export class ProgramMetrics {
  inFlight = 0;
  dispatchedCount = 0;
  waitCount = 0;
  /** Running mean of queue wait (ms). */
  averageWaitTimeMs = 0;
  lastCompletionMs: number;
  constructor(nowMs: number) {
    this.lastCompletionMs = nowMs;
  }
}

/** Upstream DumpState. */
export interface ProgramAwareState {
  readonly totalPrograms: number;
  readonly totalInFlight: number;
  readonly fairnessIndex: number;
}

export class ProgramAwareFairness implements FairnessPolicy, PreRequest, ResponseComplete {
  readonly type = PROGRAM_AWARE_FAIRNESS_TYPE;
  readonly flowControlRole = 'fairness-policy' as const;
  readonly name: string;
  readonly config: ProgramAwareConfig;
  readonly strategy: LasStrategy;
  readonly #clock: Clock;
  readonly #programs = new Map<string, ProgramMetrics>();
  #lastSweepMs: number;

  constructor(name: string, config: ProgramAwareConfig, clock: Clock) {
    this.name = name;
    this.config = config;
    this.#clock = clock;
    this.strategy = new LasStrategy(config.lasWeightService, config.lasWeightHeadWait, config.lasHalfLifeSeconds);
    this.#lastSweepMs = clock.now();
  }

  newBand(): BandFairness {
    return {
      pick: (flows) => this.#pick(flows),
      dispatched: (flow, item) => this.#dispatched(flow, item),
    };
  }

  metrics(programId: string): ProgramMetrics | undefined {
    return this.#programs.get(programId);
  }

  preRequest(request: LLMRequest): void {
    const m = this.#metrics(programId(request), this.#clock.now());
    m.inFlight++;
    m.dispatchedCount++;
  }

  /** Runs however the request ends, so in-flight never leaks (upstream counts only a completed stream). */
  responseComplete(request: LLMRequest, response: LLMResponse): void {
    const now = this.#clock.now();
    const id = programId(request);
    const m = this.#metrics(id, now);
    this.strategy.completed(id, Math.max(0, response.promptTokens), Math.max(0, response.completionTokens), now);
    if (m.inFlight > 0) m.inFlight--;
    m.lastCompletionMs = now;
  }

  /** Jain's index over the programs' mean queue waits (1 = equal), as upstream's gauge. */
  state(): ProgramAwareState {
    let inFlight = 0;
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    for (const m of this.#programs.values()) {
      inFlight += m.inFlight;
      if (m.waitCount === 0) continue;
      sum += m.averageWaitTimeMs;
      sumSq += m.averageWaitTimeMs * m.averageWaitTimeMs;
      n++;
    }
    return { totalPrograms: this.#programs.size, totalInFlight: inFlight, fairnessIndex: n <= 1 || sumSq === 0 ? 1 : (sum * sum) / (n * sumSq) };
  }

  #pick(flows: readonly FlowQueueView[]): FlowQueueView {
    const now = this.#clock.now();
    for (const f of flows) this.#metrics(f.flowId, now);
    return this.strategy.pick(flows, now);
  }

  #dispatched(flow: FlowQueueView, item: QueuedItemView): void {
    const m = this.#metrics(flow.flowId, this.#clock.now());
    m.waitCount++;
    m.averageWaitTimeMs += (Math.trunc(this.#clock.now() - item.enqueuedAtMs) - m.averageWaitTimeMs) / m.waitCount;
  }

  #metrics(id: string, nowMs: number): ProgramMetrics {
    this.#maybeSweep(nowMs);
    let m = this.#programs.get(id);
    if (m === undefined) this.#programs.set(id, (m = new ProgramMetrics(nowMs)));
    return m;
  }

  /** Upstream evictIdle, every evictionSweepSeconds (when evictionTtlSeconds > 0). */
  #maybeSweep(nowMs: number): void {
    const ttlMs = this.config.evictionTtlSeconds * 1000;
    if (ttlMs <= 0 || nowMs - this.#lastSweepMs < this.config.evictionSweepSeconds * 1000) return;
    this.#lastSweepMs = nowMs;
    for (const [id, m] of this.#programs) {
      if (m.inFlight !== 0 || nowMs - m.lastCompletionMs <= ttlMs) continue;
      this.#programs.delete(id);
      this.strategy.evict(id);
    }
  }
}

function programId(request: LLMRequest): string {
  return request.fairnessId || DEFAULT_PROGRAM_ID;
}

const PARAMS = ['strategy', 'evictionTtlSeconds', 'evictionSweepSeconds', 'lasWeightService', 'lasWeightHeadWait', 'lasHalfLifeSeconds'] as const;

export function createProgramAwareFairness(name: string, params: unknown, handle: PluginHandle): ProgramAwareFairness {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_PROGRAM_AWARE_CONFIG;
  const strategy = stringParam(name, p, 'strategy', d.strategy) || d.strategy;
  if (strategy !== 'las') throw new PluginConfigError(name, 'strategy', `unknown scoring strategy "${strategy}": only "las" is supported`);
  // Upstream decodes over DefaultConfig(): an explicit 0 is 0 (no decay, no eviction; a 0 sweep is an error).
  const num = (key: (typeof PARAMS)[number], def: number): number => numberParam(name, p, key, def, -Infinity);
  const config: ProgramAwareConfig = {
    strategy,
    evictionTtlSeconds: num('evictionTtlSeconds', d.evictionTtlSeconds),
    evictionSweepSeconds: num('evictionSweepSeconds', d.evictionSweepSeconds),
    lasWeightService: num('lasWeightService', d.lasWeightService),
    lasWeightHeadWait: num('lasWeightHeadWait', d.lasWeightHeadWait),
    lasHalfLifeSeconds: num('lasHalfLifeSeconds', d.lasHalfLifeSeconds),
  };
  for (const key of ['evictionTtlSeconds', 'lasWeightService', 'lasWeightHeadWait', 'lasHalfLifeSeconds'] as const) {
    if (config[key] < 0) throw new PluginConfigError(name, key, `${key} must be >= 0, got ${config[key]}`);
  }
  if (config.evictionSweepSeconds <= 0) throw new PluginConfigError(name, 'evictionSweepSeconds', `evictionSweepSeconds must be > 0, got ${config.evictionSweepSeconds}`);
  return new ProgramAwareFairness(name, config, handle.clock);
}
