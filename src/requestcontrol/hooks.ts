/**
 * Runs the request-control hook lists in the order the config loader gave them, timing each call when
 * per-plugin timing is on (the hook is null otherwise: one test per call, no clock reads).
 */
import type { Endpoint } from '../framework/endpoint.ts';
import type { PluginDurationHook } from '../framework/plugin.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { LLMResponse, RequestControlPlugins } from '../framework/requestcontrol.ts';
import type { SchedulingResult } from '../framework/scheduling.ts';
import { EppError } from './errors.ts';

export const DATA_PRODUCER_POINT = 'DataProducer';
export const ADMISSION_POINT = 'Admission';
export const PRE_REQUEST_POINT = 'PreRequest';
export const RESPONSE_RECEIVED_POINT = 'ResponseReceived';
export const RESPONSE_COMPLETE_POINT = 'ResponseComplete';

export class HookRunner {
  readonly #plugins: RequestControlPlugins;
  readonly #hook: PluginDurationHook | null;

  constructor(plugins: RequestControlPlugins, hook: PluginDurationHook | null) {
    this.#plugins = plugins;
    this.#hook = hook;
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
