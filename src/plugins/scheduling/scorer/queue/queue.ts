/**
 * queue-scorer (Distribution): min-max of the waiting queue across the candidates, (max - q) / (max - min);
 * all equal -> 1. An endpoint with stale or never-scraped metrics scores 0 (the worst) and is left out of
 * min and max.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { MinMaxScorer } from '../min-max.ts';

export const QUEUE_SCORER_TYPE = 'queue-scorer';

export function createQueueScorer(name: string, params: unknown, handle: PluginHandle): MinMaxScorer {
  readParams(name, params, []);
  return new MinMaxScorer(QUEUE_SCORER_TYPE, name, handle, read);
}

function read(ep: Endpoint): number {
  return ep.waitingQueue;
}
