/**
 * running-requests-size-scorer (Distribution): min-max of the running requests across the candidates,
 * (max - r) / (max - min); all equal -> 1. Stale or never-scraped metrics score 0 and are left out of min
 * and max.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { MinMaxScorer } from '../min-max.ts';

export const RUNNING_REQUESTS_SCORER_TYPE = 'running-requests-size-scorer';

export function createRunningRequestsScorer(name: string, params: unknown, handle: PluginHandle): MinMaxScorer {
  readParams(name, params, []);
  return new MinMaxScorer(RUNNING_REQUESTS_SCORER_TYPE, name, handle, read);
}

function read(ep: Endpoint): number {
  return ep.runningRequests;
}
