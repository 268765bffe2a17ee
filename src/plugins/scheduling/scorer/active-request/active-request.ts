/**
 * active-request-scorer (Distribution): scores by the in-flight requests an inflight-load-producer counts
 * (upstream scheduling/scorer/activerequest): count <= idleThreshold -> 1; otherwise
 * (max - count) / max * maxBusyScore, max over the candidates.
 */
import { dataKey, endpointData, INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE, type InflightLoad } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { numberParam, intParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export const ACTIVE_REQUEST_SCORER_TYPE = 'active-request-scorer';

export class ActiveRequestScorer implements Scorer {
  readonly type = ACTIVE_REQUEST_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly idleThreshold: number;
  readonly maxBusyScore: number;
  readonly consumes: DataDependencies;
  readonly #loadKey: string;

  constructor(name: string, idleThreshold: number, maxBusyScore: number, producerName: string) {
    this.name = name;
    this.idleThreshold = idleThreshold;
    this.maxBusyScore = maxBusyScore;
    this.#loadKey = dataKey(INFLIGHT_LOAD_KEY, producerName);
    this.consumes = { required: [this.#loadKey] };
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    let max = 0;
    for (let i = 0; i < n; i++) {
      const c = this.#count(candidates[i]!);
      out[i] = c; // the counts, turned into scores below
      if (c > max) max = c;
    }
    for (let i = 0; i < n; i++) {
      const c = out[i]!;
      out[i] = c <= this.idleThreshold ? 1 : ((max - c) / max) * this.maxBusyScore;
    }
  }

  #count(ep: Endpoint): number {
    const load = endpointData<InflightLoad>(ep, this.#loadKey);
    return load === undefined ? 0 : load.requests;
  }
}

const PARAMS = ['requestTimeout', 'idleThreshold', 'maxBusyScore', 'inFlightLoadProducerName'] as const;

export function createActiveRequestScorer(name: string, params: unknown, handle: PluginHandle): ActiveRequestScorer {
  const p = readParams(name, params, PARAMS);
  if (p['requestTimeout'] !== undefined) {
    stringParam(name, p, 'requestTimeout', '');
    handle.logger.warn({ plugin: name }, 'active-request-scorer: requestTimeout is deprecated and ignored; inflight-load-producer tracks in-flight requests');
  }
  // Upstream: a negative idleThreshold means 0; a maxBusyScore outside [0,1] is ignored (1.0) with a log line.
  const idle = intParam(name, p, 'idleThreshold', 0, Number.MIN_SAFE_INTEGER);
  let maxBusy = numberParam(name, p, 'maxBusyScore', 1, -Infinity);
  if (maxBusy < 0 || maxBusy > 1) {
    handle.logger.warn({ plugin: name, maxBusyScore: maxBusy }, 'active-request-scorer: ignoring out-of-range maxBusyScore; using 1.0');
    maxBusy = 1;
  }
  const producer = stringParam(name, p, 'inFlightLoadProducerName', '') || INFLIGHT_LOAD_PRODUCER_TYPE;
  return new ActiveRequestScorer(name, idle >= 0 ? idle : 0, maxBusy, producer);
}
