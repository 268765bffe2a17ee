/**
 * The wiring of in-tree plugins: the only module that imports concrete plugins. Adding a plugin is one
 * import plus one `register(type, factory)` line here.
 */
import { createUtilizationDetector, UTILIZATION_DETECTOR_TYPE } from './flowcontrol/saturation-detector/utilization/utilization-detector.ts';
import { CONCURRENCY_DETECTOR_TYPE, createConcurrencyDetector } from './flowcontrol/saturation-detector/concurrency/concurrency-detector.ts';
import { PluginRegistry } from '../config/plugin-registry.ts';
import { createMaxScorePicker, MAX_SCORE_PICKER_TYPE } from './scheduling/picker/max-score/max-score.ts';
import { createRandomPicker, RANDOM_PICKER_TYPE } from './scheduling/picker/random/random.ts';
import { createSingleProfileHandler, SINGLE_PROFILE_HANDLER_TYPE } from './scheduling/profile-handler/single/single.ts';
import {
  createDisaggHeadersHandler,
  createDisaggProfileHandler,
  createPdProfileHandler,
  createPrefillHeaderHandler,
  DISAGG_HEADERS_HANDLER_TYPE,
  DISAGG_PROFILE_HANDLER_TYPE,
  PD_PROFILE_HANDLER_TYPE,
  PREFILL_HEADER_HANDLER_TYPE,
} from './scheduling/profile-handler/disagg/disagg.ts';
import {
  ALWAYS_DISAGG_MULTIMODAL_DECIDER_TYPE,
  ALWAYS_DISAGG_PD_DECIDER_TYPE,
  createAlwaysDisaggMultimodalDecider,
  createAlwaysDisaggPDDecider,
  createPrefixBasedPDDecider,
  PREFIX_BASED_PD_DECIDER_TYPE,
} from './scheduling/profile-handler/disagg/deciders.ts';
import { createWeightedRandomPicker, WEIGHTED_RANDOM_PICKER_TYPE } from './scheduling/picker/weighted-random/weighted-random.ts';
import { createKvCacheUtilizationScorer, KV_CACHE_UTILIZATION_SCORER_TYPE } from './scheduling/scorer/kv-cache-utilization/kv-cache-utilization.ts';
import { createKvEstimateScorer, KV_ESTIMATE_SCORER_TYPE } from './scheduling/scorer/kv-estimate/kv-estimate.ts';
import { createLoraAffinityScorer, LORA_AFFINITY_SCORER_TYPE } from './scheduling/scorer/lora-affinity/lora-affinity.ts';
import { createPrefixCacheScorer, PREFIX_CACHE_SCORER_TYPE } from './scheduling/scorer/prefix-cache/prefix-cache.ts';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, createApproxPrefixCacheProducer } from './requestcontrol/data-producer/approx-prefix-cache/approx-prefix-cache.ts';
import { dataKey, INFLIGHT_LOAD_KEY, PREFIX_CACHE_MATCH_INFO_KEY, TOKENIZED_PROMPT_KEY, UNCACHED_REQUEST_TOKENS_KEY } from '../framework/data-keys.ts';
import { createTokenProducer, TOKEN_PRODUCER_TYPE, TOKENIZER_TYPE } from './requestcontrol/data-producer/token-producer/token-producer.ts';
import { createPrecisePrefixCacheProducer, PRECISE_PREFIX_CACHE_PRODUCER_TYPE } from './requestcontrol/data-producer/precise-prefix-cache/precise-prefix-cache.ts';
import { createPrecisePrefixCacheScorer, PRECISE_PREFIX_CACHE_SCORER_TYPE } from './scheduling/scorer/precise-prefix-cache/precise-prefix-cache.ts';
import { createInflightLoadProducer, INFLIGHT_LOAD_PRODUCER_TYPE } from './requestcontrol/data-producer/inflight-load/inflight-load.ts';
import { ACTIVE_REQUEST_SCORER_TYPE, createActiveRequestScorer } from './scheduling/scorer/active-request/active-request.ts';
import { createLoadAwareScorer, LOAD_AWARE_SCORER_TYPE } from './scheduling/scorer/load-aware/load-aware.ts';
import { createNoHitLruScorer, NO_HIT_LRU_SCORER_TYPE } from './scheduling/scorer/no-hit-lru/no-hit-lru.ts';
import { createTokenLoadScorer, TOKEN_LOAD_SCORER_TYPE } from './scheduling/scorer/token-load/token-load.ts';
import { createQueueScorer, QUEUE_SCORER_TYPE } from './scheduling/scorer/queue/queue.ts';
import { createRunningRequestsScorer, RUNNING_REQUESTS_SCORER_TYPE } from './scheduling/scorer/running-requests/running-requests.ts';
import { createSessionAffinityScorer, SESSION_AFFINITY_SCORER_TYPE } from './scheduling/scorer/session-affinity/session-affinity.ts';
import { BY_LABEL_FILTER_TYPE, createByLabelFilter } from './scheduling/filter/by-label/by-label.ts';
import { createDecodeFilter, createEncodeFilter, createPrefillFilter, DECODE_FILTER_TYPE, ENCODE_FILTER_TYPE, PREFILL_FILTER_TYPE } from './scheduling/filter/role/role.ts';
import { BY_LABEL_SELECTOR_TYPE, createByLabelSelectorFilter, createLabelSelectorFilter, LABEL_SELECTOR_FILTER_TYPE } from './scheduling/filter/label-selector/label-selector.ts';
import { createHeaderBasedTestingFilter, HEADER_BASED_TESTING_FILTER_TYPE } from './scheduling/filter/header-based-testing/header-based-testing.ts';
import { createPrefixCacheAffinityFilter, PREFIX_CACHE_AFFINITY_FILTER_TYPE } from './scheduling/filter/prefix-cache-affinity/prefix-cache-affinity.ts';
import { createSessionAffinityFilter, SESSION_AFFINITY_FILTER_TYPE } from './scheduling/filter/session-affinity/session-affinity.ts';
import { createDestinationEndpointServedVerifier, DESTINATION_ENDPOINT_SERVED_VERIFIER_TYPE } from './requestcontrol/destination-endpoint-served-verifier/destination-endpoint-served-verifier.ts';
import { createRequestAttributeReporter, REQUEST_ATTRIBUTE_REPORTER_TYPE } from './requestcontrol/request-attribute-reporter/request-attribute-reporter.ts';
import { ANTHROPIC_PARSER_TYPE, createAnthropicParser } from './requesthandling/parsers/anthropic/anthropic.ts';
import { createOpenAIParser, OPENAI_PARSER_TYPE } from './requesthandling/parsers/openai/openai.ts';
import { createPassthroughParser, PASSTHROUGH_PARSER_TYPE } from './requesthandling/parsers/passthrough/passthrough.ts';
import { createSglangHttpParser, SGLANG_HTTP_PARSER_TYPE } from './requesthandling/parsers/sglanghttp/sglanghttp.ts';
import { createVllmHttpParser, VLLM_HTTP_PARSER_TYPE } from './requesthandling/parsers/vllmhttp/vllmhttp.ts';
import { createMetricsDataSource, METRICS_DATA_SOURCE_TYPE } from './datalayer/source/metrics/metrics-source.ts';
import { CORE_METRICS_EXTRACTOR_TYPE, createCoreMetricsExtractor } from './datalayer/extractor/core-metrics/core-metrics.ts';

export function registerInTreePlugins(registry: PluginRegistry): PluginRegistry {
  // Scorers
  registry.register(QUEUE_SCORER_TYPE, createQueueScorer);
  registry.register(KV_CACHE_UTILIZATION_SCORER_TYPE, createKvCacheUtilizationScorer);
  registry.register(KV_ESTIMATE_SCORER_TYPE, createKvEstimateScorer);
  registry.register(RUNNING_REQUESTS_SCORER_TYPE, createRunningRequestsScorer);
  registry.register(LORA_AFFINITY_SCORER_TYPE, createLoraAffinityScorer);
  registry.register(PREFIX_CACHE_SCORER_TYPE, createPrefixCacheScorer);
  registry.register(SESSION_AFFINITY_SCORER_TYPE, createSessionAffinityScorer);
  registry.register(PRECISE_PREFIX_CACHE_SCORER_TYPE, createPrecisePrefixCacheScorer); // deprecated upstream
  // Filters
  registry.register(DECODE_FILTER_TYPE, createDecodeFilter);
  registry.register(PREFILL_FILTER_TYPE, createPrefillFilter);
  registry.register(ENCODE_FILTER_TYPE, createEncodeFilter);
  registry.register(LABEL_SELECTOR_FILTER_TYPE, createLabelSelectorFilter);
  registry.register(BY_LABEL_SELECTOR_TYPE, createByLabelSelectorFilter); // deprecated alias of label-selector-filter
  registry.register(BY_LABEL_FILTER_TYPE, createByLabelFilter); // deprecated
  registry.register(PREFIX_CACHE_AFFINITY_FILTER_TYPE, createPrefixCacheAffinityFilter);
  registry.register(SESSION_AFFINITY_FILTER_TYPE, createSessionAffinityFilter);
  registry.register(HEADER_BASED_TESTING_FILTER_TYPE, createHeaderBasedTestingFilter); // conformance
  registry.register(TOKEN_LOAD_SCORER_TYPE, createTokenLoadScorer);
  registry.register(ACTIVE_REQUEST_SCORER_TYPE, createActiveRequestScorer);
  registry.register(LOAD_AWARE_SCORER_TYPE, createLoadAwareScorer);
  registry.register(NO_HIT_LRU_SCORER_TYPE, createNoHitLruScorer);
  // Pickers
  registry.register(MAX_SCORE_PICKER_TYPE, createMaxScorePicker);
  registry.register(RANDOM_PICKER_TYPE, createRandomPicker);
  registry.register(WEIGHTED_RANDOM_PICKER_TYPE, createWeightedRandomPicker);
  // Data producers, and the ones the loader adds when a configured plugin needs their data
  registry.register(APPROX_PREFIX_CACHE_PRODUCER_TYPE, createApproxPrefixCacheProducer);
  registry.defaultProducer(dataKey(PREFIX_CACHE_MATCH_INFO_KEY, APPROX_PREFIX_CACHE_PRODUCER_TYPE), APPROX_PREFIX_CACHE_PRODUCER_TYPE);
  registry.register(TOKEN_PRODUCER_TYPE, createTokenProducer);
  registry.register(TOKENIZER_TYPE, createTokenProducer); // deprecated alias of token-producer
  registry.defaultProducer(dataKey(TOKENIZED_PROMPT_KEY, TOKEN_PRODUCER_TYPE), TOKEN_PRODUCER_TYPE);
  registry.register(PRECISE_PREFIX_CACHE_PRODUCER_TYPE, createPrecisePrefixCacheProducer);
  registry.register(INFLIGHT_LOAD_PRODUCER_TYPE, createInflightLoadProducer);
  registry.defaultProducer(dataKey(INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE), INFLIGHT_LOAD_PRODUCER_TYPE);
  registry.defaultProducer(dataKey(UNCACHED_REQUEST_TOKENS_KEY, INFLIGHT_LOAD_PRODUCER_TYPE), INFLIGHT_LOAD_PRODUCER_TYPE);
  // Profile handlers
  registry.register(SINGLE_PROFILE_HANDLER_TYPE, createSingleProfileHandler);
  registry.register(DISAGG_PROFILE_HANDLER_TYPE, createDisaggProfileHandler);
  registry.register(PD_PROFILE_HANDLER_TYPE, createPdProfileHandler);
  registry.register(PREFIX_BASED_PD_DECIDER_TYPE, createPrefixBasedPDDecider);
  registry.register(ALWAYS_DISAGG_PD_DECIDER_TYPE, createAlwaysDisaggPDDecider);
  registry.register(ALWAYS_DISAGG_MULTIMODAL_DECIDER_TYPE, createAlwaysDisaggMultimodalDecider);
  registry.register(DISAGG_HEADERS_HANDLER_TYPE, createDisaggHeadersHandler);
  registry.register(PREFILL_HEADER_HANDLER_TYPE, createPrefillHeaderHandler);
  // Saturation detectors (also Filters)
  registry.register(UTILIZATION_DETECTOR_TYPE, createUtilizationDetector);
  // Request control
  registry.register(REQUEST_ATTRIBUTE_REPORTER_TYPE, createRequestAttributeReporter);
  registry.register(DESTINATION_ENDPOINT_SERVED_VERIFIER_TYPE, createDestinationEndpointServedVerifier); // conformance
  registry.register(CONCURRENCY_DETECTOR_TYPE, createConcurrencyDetector);

  // Request parsers (requestHandler.parsers)
  registry.register(OPENAI_PARSER_TYPE, createOpenAIParser);
  registry.register(ANTHROPIC_PARSER_TYPE, createAnthropicParser);
  registry.register(VLLM_HTTP_PARSER_TYPE, createVllmHttpParser);
  registry.register(SGLANG_HTTP_PARSER_TYPE, createSglangHttpParser);
  registry.register(PASSTHROUGH_PARSER_TYPE, createPassthroughParser);
  // Data layer (dataLayer.sources)
  registry.register(METRICS_DATA_SOURCE_TYPE, createMetricsDataSource);
  registry.register(CORE_METRICS_EXTRACTOR_TYPE, createCoreMetricsExtractor);

  // Feature gates upstream registers (llm-d Router) or accepted (GIE v1.x), with their default.
  registry.featureGate('flowControl', false);
  registry.featureGate('haPopulateNonLeaderDatastore', true);
  registry.featureGate('dataLayer', true);
  registry.featureGate('prepareDataPlugins', false);
  registry.featureGate('enableLegacyMetrics', false);
  return registry;
}

/** A registry holding every in-tree plugin. */
export function inTreePluginRegistry(): PluginRegistry {
  return registerInTreePlugins(new PluginRegistry());
}
