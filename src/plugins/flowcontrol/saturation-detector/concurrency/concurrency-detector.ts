/**
 * concurrency-detector: pool saturation and a per-endpoint filter from the in-flight load an
 * inflight-load-producer counts (upstream flowcontrol/saturationdetector/concurrency, modes since #1991).
 *   requests: saturation = sum(in-flight requests) / (endpoints x maxConcurrency)
 *   tokens:   saturation = sum(in-flight tokens) / (endpoints x maxTokenConcurrency)
 *   hybrid:   saturation = mean over endpoints of max(requests / maxConcurrency, tokens / maxTokenConcurrency)
 * No candidates -> 1.0. As a Filter it keeps endpoints below capacity x (1 + headroom) in the mode's
 * dimension (hybrid: both), and may keep none, as upstream.
 */
import { dataKey, endpointData, INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE, type InflightLoad } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { SaturationDetector } from '../../../../framework/requestcontrol.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { intParam, numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';
import { stageAwareSaturation } from '../stages.ts';

export const CONCURRENCY_DETECTOR_TYPE = 'concurrency-detector';

export type ConcurrencyMode = 'requests' | 'tokens' | 'hybrid';
const MODES: readonly ConcurrencyMode[] = ['requests', 'tokens', 'hybrid'];

export interface ConcurrencyDetectorConfig {
  readonly mode: ConcurrencyMode;
  readonly maxConcurrency: number;
  readonly maxTokenConcurrency: number;
  readonly headroom: number;
}

/** Upstream defaults (concurrency/config.go). */
export const DEFAULT_CONCURRENCY_DETECTOR_CONFIG: ConcurrencyDetectorConfig = {
  mode: 'requests',
  maxConcurrency: 100,
  maxTokenConcurrency: 1_000_000,
  headroom: 0,
};

export class ConcurrencyDetector implements SaturationDetector, Filter {
  readonly type = CONCURRENCY_DETECTOR_TYPE;
  readonly name: string;
  readonly config: ConcurrencyDetectorConfig;
  readonly consumes: DataDependencies;
  readonly #loadKey: string;
  readonly #reqLimit: number;
  readonly #tokLimit: number;

  constructor(name: string, config: ConcurrencyDetectorConfig, producerName: string) {
    this.name = name;
    this.config = config;
    this.#loadKey = dataKey(INFLIGHT_LOAD_KEY, producerName);
    this.consumes = { required: [this.#loadKey] };
    // Upstream truncates the limits to integers.
    this.#reqLimit = Math.trunc(config.maxConcurrency * (1 + config.headroom));
    this.#tokLimit = Math.trunc(config.maxTokenConcurrency * (1 + config.headroom));
  }

  /**
   * In-flight load against the limits, averaged over the candidates (requests, tokens, or per endpoint the
   * larger of the two in hybrid mode); by stage in a P/D pool (stages.ts).
   */
  saturation(candidates: readonly Endpoint[]): number {
    return stageAwareSaturation(candidates, this.#scoreOf, this);
  }

  readonly #scoreOf = (ep: Endpoint, self: ConcurrencyDetector): number => self.#endpointSaturation(ep);

  #endpointSaturation(ep: Endpoint): number {
    const load = endpointData<InflightLoad>(ep, this.#loadKey);
    if (load === undefined) return 0;
    const { mode, maxConcurrency, maxTokenConcurrency } = this.config;
    const r = load.requests / maxConcurrency;
    if (mode === 'requests') return r;
    const t = load.tokens / maxTokenConcurrency;
    if (mode === 'tokens') return t;
    return r > t ? r : t;
  }

  filter(_request: LLMRequest, candidates: Endpoint[], n: number): number {
    let w = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (this.#admits(ep)) candidates[w++] = ep;
    }
    return w;
  }

  #admits(ep: Endpoint): boolean {
    const load = endpointData<InflightLoad>(ep, this.#loadKey);
    const requests = load === undefined ? 0 : load.requests;
    const tokens = load === undefined ? 0 : load.tokens;
    const mode = this.config.mode;
    if (mode === 'tokens') return tokens < this.#tokLimit;
    if (mode === 'hybrid') return requests < this.#reqLimit && tokens < this.#tokLimit;
    return requests < this.#reqLimit;
  }
}

const PARAMS = ['concurrencyMode', 'maxConcurrency', 'maxTokenConcurrency', 'headroom', 'inFlightLoadProducerName'] as const;

export function createConcurrencyDetector(name: string, params: unknown, handle: PluginHandle): ConcurrencyDetector {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_CONCURRENCY_DETECTOR_CONFIG;
  const mode = stringParam(name, p, 'concurrencyMode', d.mode);
  if (!MODES.includes(mode as ConcurrencyMode)) {
    throw new PluginConfigError(name, 'concurrencyMode', `unsupported concurrencyMode "${mode}" (one of ${MODES.join(', ')})`);
  }
  const config: ConcurrencyDetectorConfig = {
    mode: mode as ConcurrencyMode,
    maxConcurrency: intParam(name, p, 'maxConcurrency', d.maxConcurrency, 1),
    maxTokenConcurrency: intParam(name, p, 'maxTokenConcurrency', d.maxTokenConcurrency, 1),
    headroom: numberParam(name, p, 'headroom', d.headroom, 0),
  };
  if (config.headroom > 1) {
    handle.logger.warn({ plugin: name, headroom: config.headroom }, 'concurrency-detector: unusually high headroom; it is a fraction (0.2 = 20%), not a percentage');
  }
  return new ConcurrencyDetector(name, config, stringParam(name, p, 'inFlightLoadProducerName', '') || INFLIGHT_LOAD_PRODUCER_TYPE);
}
