/**
 * latency-slo-admitter: rejects a sheddable request (priority < 0) that carries an SLO header when no candidate
 * is predicted to meet it, none is idle (no running requests) and none is cold (KV use < 2 %, where predictions
 * are unreliable). Fails open without predictions (upstream requestcontrol/admitter/latencyslo).
 */
import { dataKey, LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE, requestData, type LatencyPredictions } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Admitter } from '../../../../framework/requestcontrol.ts';
import { readParams, stringParam } from '../../../../input/plugin-params.ts';

export const LATENCY_SLO_ADMITTER_TYPE = 'latency-slo-admitter';
const COLD_KV = 0.02;

export class LatencySloAdmitter implements Admitter {
  readonly type = LATENCY_SLO_ADMITTER_TYPE;
  readonly name: string;
  readonly consumes: DataDependencies;
  readonly #key: string;

  constructor(name: string, producerName: string) {
    this.name = name;
    this.#key = dataKey(LATENCY_PREDICTION_INFO_KEY, producerName || PREDICTED_LATENCY_PRODUCER_TYPE);
    this.consumes = { required: [this.#key] };
  }

  admit(request: LLMRequest, candidates: readonly Endpoint[]): string | null {
    if (request.priority >= 0) return null;
    if (!(request.sloTtftMs > 0 || request.sloTpotMs > 0)) return null;
    const p = requestData<LatencyPredictions>(request, this.#key);
    if (p === null) return null;
    let predicted = false;
    for (const ep of candidates) {
      if (ep.kvCacheUsage < COLD_KV || ep.runningRequests === 0) return null;
      if (!p.has(ep)) continue;
      predicted = true;
      if (valid(request, p, ep)) return null;
    }
    return predicted ? 'no valid endpoint available to serve the request' : null;
  }
}

/** Upstream IsValid: within each SLO that is set. */
function valid(request: LLMRequest, p: LatencyPredictions, ep: Endpoint): boolean {
  return (request.sloTtftMs <= 0 || p.ttftHeadroomMs(ep) >= 0) && (request.sloTpotMs <= 0 || p.tpotHeadroomMs(ep) >= 0);
}

export function createLatencySloAdmitter(name: string, params: unknown, _handle: PluginHandle): LatencySloAdmitter {
  const p = readParams(name, params, ['latencyPredictionInfoProducerName']);
  return new LatencySloAdmitter(name, stringParam(name, p, 'latencyPredictionInfoProducerName', ''));
}
