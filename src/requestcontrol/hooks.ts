/**
 * Runs the request-control hook lists in the order the config loader gave them, timing each call when
 * per-plugin timing is on (the hook is null otherwise: one test per call, no clock reads).
 */
import type { Endpoint } from '../framework/endpoint.ts';
import type { ExplainRecorder } from '../framework/explain.ts';
import type { PluginDurationHook } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { LLMResponse, RequestControlPlugins } from '../framework/requestcontrol.ts';
import type { SchedulingResult } from '../framework/scheduling.ts';
import { EppError } from './errors.ts';

export const SCREENER_POINT = 'Screener';
export const DATA_PRODUCER_POINT = 'DataProducer';
export const ADMISSION_POINT = 'Admission';
export const PRE_REQUEST_POINT = 'PreRequest';
export const RESPONSE_RECEIVED_POINT = 'ResponseReceived';
export const RESPONSE_COMPLETE_POINT = 'ResponseComplete';

export class HookRunner {
  readonly #plugins: RequestControlPlugins;
  readonly #hook: PluginDurationHook | null;
  /** The screeners' shared keep mask, one slot per candidate; grown by doubling, never shrunk. */
  #keep = new Uint8Array(64);

  constructor(plugins: RequestControlPlugins, hook: PluginDurationHook | null) {
    this.#plugins = plugins;
    this.#hook = hook;
  }

  /**
   * The candidates every screener kept (upstream runScreeners: each sees the same set, the result is the
   * intersection): `candidates` itself when there is no screener or none screened anything out, else the kept
   * ones in order, written into `out`. `explain` gets each screener's running count when the request is explained.
   */
  screen(req: LLMRequest, candidates: readonly Endpoint[], out: Endpoint[], explain: ExplainRecorder | null): readonly Endpoint[] {
    const plugins = this.#plugins.screeners;
    if (plugins.length === 0) return candidates;
    const n = candidates.length;
    if (this.#keep.length < n) this.#keep = new Uint8Array(Math.max(n, this.#keep.length * 2));
    const keep = this.#keep;
    keep.fill(1, 0, n);
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.screen(req, candidates, keep);
      if (this.#hook !== null) this.#hook(SCREENER_POINT, p.type, p.name, (performance.now() - t0) / 1000);
      if (explain !== null) (explain.screeners ??= []).push({ name: p.name, type: p.type, kept: countKept(keep, n) });
    }
    let k = 0;
    for (let i = 0; i < n; i++) if (keep[i] === 1) out[k++] = candidates[i]!;
    if (k === n) return candidates;
    // Written by index and cut at the end, as candidates.ts does (keeps the scratch's backing store).
    out.length = k;
    return out;
  }

  produce(req: LLMRequest, candidates: readonly Endpoint[]): void {
    const plugins = this.#plugins.dataProducers;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.produce(req, candidates);
      if (this.#hook !== null) this.#hook(DATA_PRODUCER_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }

  /** Throws EppError(INTERNAL) naming the first plugin that denies the request (upstream: deny → 500). */
  admit(req: LLMRequest, candidates: readonly Endpoint[]): void {
    const plugins = this.#plugins.admitters;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      const denied = p.admit(req, candidates);
      if (this.#hook !== null) this.#hook(ADMISSION_POINT, p.type, p.name, (performance.now() - t0) / 1000);
      if (denied !== null) throw new EppError('INTERNAL', `request denied by admission plugin "${p.name}": ${denied}`);
    }
  }

  preRequest(req: LLMRequest, result: SchedulingResult): void {
    const plugins = this.#plugins.preRequest;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.preRequest(req, result);
      if (this.#hook !== null) this.#hook(PRE_REQUEST_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }

  responseReceived(req: LLMRequest, res: LLMResponse, endpoint: Endpoint): void {
    const plugins = this.#plugins.responseReceived;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.responseReceived(req, res, endpoint);
      if (this.#hook !== null) this.#hook(RESPONSE_RECEIVED_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }

  responseComplete(req: LLMRequest, res: LLMResponse, endpoint: Endpoint): void {
    const plugins = this.#plugins.responseComplete;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      const t0 = this.#hook === null ? 0 : performance.now();
      p.responseComplete(req, res, endpoint);
      if (this.#hook !== null) this.#hook(RESPONSE_COMPLETE_POINT, p.type, p.name, (performance.now() - t0) / 1000);
    }
  }
}

function countKept(keep: Uint8Array, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) k += keep[i]!;
  return k;
}
