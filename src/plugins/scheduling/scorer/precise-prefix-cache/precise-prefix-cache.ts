/**
 * precise-prefix-cache-scorer (deprecated upstream): a precise-prefix-cache-producer and a prefix-cache-scorer
 * reading it behind one plugin type, with the producer's parameters. New configs declare the two plugins
 * (`prefix-cache-scorer` with `prefixMatchInfoProducerName: precise-prefix-cache-producer`). Unlike upstream,
 * this always runs its own producer (the factory cannot see the other plugins of the config).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer, PreRequest } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult, Scorer } from '../../../../framework/scheduling.ts';
import { newPrecisePrefixCacheProducer, type PrecisePrefixCacheProducer } from '../../../requestcontrol/data-producer/precise-prefix-cache/precise-prefix-cache.ts';
import { DEFAULT_PREFIX_CACHE_SCORER_CONFIG, PrefixCacheScorer } from '../prefix-cache/prefix-cache.ts';

export const PRECISE_PREFIX_CACHE_SCORER_TYPE = 'precise-prefix-cache-scorer';

export class PrecisePrefixCacheScorer implements Scorer, DataProducer, PreRequest {
  readonly type = PRECISE_PREFIX_CACHE_SCORER_TYPE;
  readonly category = 'Affinity';
  readonly name: string;
  readonly producer: PrecisePrefixCacheProducer;
  readonly produces: readonly string[];
  readonly consumes: DataDependencies;
  readonly #scorer: PrefixCacheScorer;

  constructor(name: string, producer: PrecisePrefixCacheProducer) {
    this.name = name;
    this.producer = producer;
    this.produces = producer.produces;
    this.consumes = producer.consumes;
    this.#scorer = new PrefixCacheScorer(name, { ...DEFAULT_PREFIX_CACHE_SCORER_CONFIG, prefixMatchInfoProducerName: producer.name });
  }

  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    this.producer.produce(request, candidates);
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    this.#scorer.score(request, candidates, n, out);
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    this.producer.preRequest(request, result);
  }

  removeEndpoint(key: string): void {
    this.producer.removeEndpoint(key);
  }

  indexEntries(): number {
    return this.producer.indexEntries();
  }
}

export function createPrecisePrefixCacheScorer(name: string, params: unknown, handle: PluginHandle): PrecisePrefixCacheScorer {
  handle.logger.warn({ plugin: name }, 'precise-prefix-cache-scorer is deprecated: configure precise-prefix-cache-producer and prefix-cache-scorer');
  return new PrecisePrefixCacheScorer(name, newPrecisePrefixCacheProducer(name, params, handle));
}
