/**
 * The results.json contract (others build on it) and the per-run aggregation shared by both modes.
 * Latencies are client-side and in model time (ms): TTFT = first token chunk - send, E2E = last token
 * chunk - send, TPOT = (E2E - TTFT) / (out - 1), NTPOT = E2E / out, ITL = gaps between token chunks.
 */
import { LogHistogram, round3, summarize, type Percentiles } from './stats.ts';
import type { RequestClass } from './workload.ts';

export interface Slo {
  ttftMs: number;
  ntpotMs: number;
}

export const DEFAULT_SLO: Slo = { ttftMs: 1000, ntpotMs: 50 };

export type RequestStatus = 'ok' | 'shed' | 'error';

export interface RequestRecord {
  /** Send time, ms from the stage start. */
  sentAt: number;
  status: RequestStatus;
  ttftMs: number;
  e2eMs: number;
  outputTokens: number;
  promptTokens: number;
  cachedTokens: number;
  /** Endpoint that served it ('' when none). */
  endpoint: string;
  /** HTTP status for failures (0 = transport error or timeout). */
  code: number;
  /** The InferenceObjective it named (mixed priorities; absent otherwise). */
  objective?: string;
}

/** One traffic class of a run (mixed priorities), judged against its own SLO. */
export interface ClassResult {
  priority: number;
  slo: Slo;
  requests: number;
  shed: number;
  /** Share of the class's sent requests meeting its SLO (shed and failed = missed). */
  slo_attainment: number;
  goodput_rps: number;
  ttft_ms: Percentiles;
  ntpot_ms: Percentiles;
}

export interface RunResult {
  policy: string;
  qps: number;
  requests: number;
  completed: number;
  shed: number;
  errors: number;
  throughput_rps: number;
  output_tps: number;
  ttft_ms: Percentiles;
  ntpot_ms: Percentiles;
  tpot_ms: Percentiles;
  e2e_ms: Percentiles;
  itl_ms: Percentiles;
  prefix_hit_rate: number;
  /** Requests per second meeting the SLO; shed and failed requests count against it. */
  goodput_rps: number;
  /** Share of all sent requests meeting the SLO. */
  slo_attainment: number;
  achieved_qps: number;
  duration_s: number;
  /** Requests served per endpoint. */
  per_endpoint: Record<string, number>;
  /** Failures by HTTP status ("0" = transport error / timeout). */
  errors_by_code: Record<string, number>;
  /** Engine preemptions during the run (fast mode; e2e when the fleet reports them). */
  preemptions: number;
  /** Requests that ran a separate prefill stage (P/D disaggregation; fast mode). */
  disaggregated?: number;
  /** Per traffic class, by objective (mixed priorities); the totals above judge each request by its class's SLO. */
  per_class?: Record<string, ClassResult>;
}

export interface Results {
  scenario: string;
  mode: 'fast' | 'e2e';
  setup: Record<string, unknown>;
  runs: RunResult[];
}

/** Collects one (policy, qps) run. */
export class RunCollector {
  readonly records: RequestRecord[] = [];
  readonly itl = new LogHistogram(0.01, 0.01, 2500);
  preemptions = 0;
  disaggregated = 0;

  add(r: RequestRecord): void {
    this.records.push(r);
  }

  result(policy: string, qps: number, slo: Slo, classes?: readonly RequestClass[]): RunResult {
    const sloOf = new Map<string, Slo>(classes?.map((c) => [c.objective, c.slo]));
    const ttft: number[] = [];
    const e2e: number[] = [];
    const ntpot: number[] = [];
    const tpot: number[] = [];
    const perEndpoint: Record<string, number> = {};
    const errorsByCode: Record<string, number> = {};
    let completed = 0;
    let shed = 0;
    let errors = 0;
    let outTokens = 0;
    let promptTokens = 0;
    let cachedTokens = 0;
    let good = 0;
    let first = Infinity;
    let lastSend = -Infinity;
    let end = -Infinity;
    for (const r of this.records) {
      if (r.sentAt < first) first = r.sentAt;
      if (r.sentAt > lastSend) lastSend = r.sentAt;
      if (r.status === 'shed') shed++;
      if (r.status !== 'ok') {
        if (r.status === 'error') errors++;
        errorsByCode[String(r.code)] = (errorsByCode[String(r.code)] ?? 0) + 1;
        continue;
      }
      completed++;
      const done = r.sentAt + r.e2eMs;
      if (done > end) end = done;
      ttft.push(r.ttftMs);
      e2e.push(r.e2eMs);
      const out = Math.max(1, r.outputTokens);
      ntpot.push(r.e2eMs / out);
      if (out > 1) tpot.push((r.e2eMs - r.ttftMs) / (out - 1));
      outTokens += r.outputTokens;
      promptTokens += r.promptTokens;
      cachedTokens += r.cachedTokens;
      if (r.endpoint) perEndpoint[r.endpoint] = (perEndpoint[r.endpoint] ?? 0) + 1;
      if (meetsSlo(r, sloOf.get(r.objective ?? '') ?? slo)) good++;
    }
    const n = this.records.length;
    const durationS = completed > 0 ? Math.max(1e-9, end - first) / 1000 : 0;
    const sendSpanS = n > 1 ? (lastSend - first) / 1000 : 0;
    return {
      policy,
      qps,
      requests: n,
      completed,
      shed,
      errors,
      throughput_rps: durationS > 0 ? round3(completed / durationS) : 0,
      output_tps: durationS > 0 ? round3(outTokens / durationS) : 0,
      ttft_ms: summarize(ttft),
      ntpot_ms: summarize(ntpot),
      tpot_ms: summarize(tpot),
      e2e_ms: summarize(e2e),
      itl_ms: this.itl.summary(),
      prefix_hit_rate: promptTokens > 0 ? round3(cachedTokens / promptTokens) : 0,
      goodput_rps: durationS > 0 ? round3(good / durationS) : 0,
      slo_attainment: n > 0 ? round3(good / n) : 0,
      achieved_qps: sendSpanS > 0 ? round3((n - 1) / sendSpanS) : 0,
      duration_s: round3(durationS),
      per_endpoint: perEndpoint,
      errors_by_code: errorsByCode,
      preemptions: this.preemptions,
      ...(this.disaggregated > 0 ? { disaggregated: this.disaggregated } : {}),
      ...(classes?.length ? { per_class: Object.fromEntries(classes.map((c) => [c.objective, this.#classResult(c, durationS)])) } : {}),
    };
  }

  /** One class's figures; goodput over the whole run's span, so the classes add up to the total. */
  #classResult(c: RequestClass, durationS: number): ClassResult {
    const mine = this.records.filter((r) => r.objective === c.objective);
    const ok = mine.filter((r) => r.status === 'ok');
    const good = ok.filter((r) => meetsSlo(r, c.slo)).length;
    return {
      priority: c.priority,
      slo: c.slo,
      requests: mine.length,
      shed: mine.filter((r) => r.status === 'shed').length,
      slo_attainment: mine.length > 0 ? round3(good / mine.length) : 0,
      goodput_rps: durationS > 0 ? round3(good / durationS) : 0,
      ttft_ms: summarize(ok.map((r) => r.ttftMs)),
      ntpot_ms: summarize(ok.map((r) => r.e2eMs / Math.max(1, r.outputTokens))),
    };
  }
}

function meetsSlo(r: RequestRecord, slo: Slo): boolean {
  return r.ttftMs <= slo.ttftMs && r.e2eMs / Math.max(1, r.outputTokens) <= slo.ntpotMs;
}
