/**
 * probabilistic-admitter: sheds sheddable requests (priority < 0) with a probability that rises steeply with
 * pool saturation, min(saturation^power x k, 1), where saturation is the mean over candidates of
 * max(queue / queueDepthThreshold, kvUse / kvCacheUtilThreshold); a candidate without metrics counts 1
 * (upstream requestcontrol/admitter/probabilisticadmitter).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Admitter } from '../../../../framework/requestcontrol.ts';
import { numberParam, readParams, type Params } from '../../../../input/plugin-params.ts';

export const PROBABILISTIC_ADMITTER_TYPE = 'probabilistic-admitter';

export interface ProbabilisticAdmitterConfig {
  readonly queueDepthThreshold: number;
  readonly kvCacheUtilThreshold: number;
  readonly power: number;
  readonly k: number;
}

export class ProbabilisticAdmitter implements Admitter {
  readonly type = PROBABILISTIC_ADMITTER_TYPE;
  readonly name: string;
  readonly config: ProbabilisticAdmitterConfig;
  readonly #random: () => number;

  constructor(name: string, config: ProbabilisticAdmitterConfig, random: () => number = Math.random) {
    this.name = name;
    this.config = config;
    this.#random = random;
  }

  saturation(candidates: readonly Endpoint[]): number {
    let total = 0;
    for (const ep of candidates) {
      if (ep.metricsUpdatedAt < 0) total += 1;
      else total += Math.max(ep.waitingQueue / this.config.queueDepthThreshold, ep.kvCacheUsage / this.config.kvCacheUtilThreshold);
    }
    return total / candidates.length;
  }

  admit(request: LLMRequest, candidates: readonly Endpoint[]): string | null {
    if (request.priority >= 0 || candidates.length === 0) return null;
    const s = this.saturation(candidates);
    const prob = Math.min(s ** this.config.power * this.config.k, 1);
    if (this.#random() < prob) return `probabilistic-admitter: rejected, saturation=${s.toFixed(3)} prob=${prob.toFixed(2)}`;
    return null;
  }
}

function positive(name: string, p: Params, key: string, def: number, int = false): number {
  const v = numberParam(name, p, key, def, -Infinity);
  if (!(v > 0) || (int && !Number.isInteger(v))) throw new PluginConfigError(name, key, `${key} must be > 0, got ${v}`);
  return v;
}

export function readProbabilisticAdmitterConfig(name: string, params: unknown): ProbabilisticAdmitterConfig {
  const p = readParams(name, params, ['queueDepthThreshold', 'kvCacheUtilThreshold', 'power', 'k']);
  return {
    queueDepthThreshold: positive(name, p, 'queueDepthThreshold', 5, true),
    kvCacheUtilThreshold: positive(name, p, 'kvCacheUtilThreshold', 0.8),
    power: positive(name, p, 'power', 5),
    k: positive(name, p, 'k', 300),
  };
}

export function createProbabilisticAdmitter(name: string, params: unknown, _handle: PluginHandle): ProbabilisticAdmitter {
  return new ProbabilisticAdmitter(name, readProbabilisticAdmitterConfig(name, params));
}
