/**
 * The wiring of in-tree plugins: the only module that imports concrete plugins. Adding a plugin is one
 * import plus one `register(type, factory)` line here.
 */
import { createUtilizationDetector, UTILIZATION_DETECTOR_TYPE } from './flowcontrol/saturation-detector/utilization/utilization-detector.ts';
import { CONCURRENCY_DETECTOR_TYPE, createConcurrencyDetector } from './flowcontrol/saturation-detector/concurrency/concurrency-detector.ts';
import { createFcfsOrderingPolicy, FCFS_ORDERING_POLICY_TYPE } from './flowcontrol/ordering/fcfs/fcfs.ts';
import { createEdfOrderingPolicy, EDF_ORDERING_POLICY_TYPE } from './flowcontrol/ordering/edf/edf.ts';
import { createSloDeadlineOrderingPolicy, SLO_DEADLINE_ORDERING_POLICY_TYPE } from './flowcontrol/ordering/slo-deadline/slo-deadline.ts';
import { createGlobalStrictFairnessPolicy, GLOBAL_STRICT_FAIRNESS_POLICY_TYPE } from './flowcontrol/fairness/global-strict/global-strict.ts';
import { createRoundRobinFairnessPolicy, ROUND_ROBIN_FAIRNESS_POLICY_TYPE } from './flowcontrol/fairness/round-robin/round-robin.ts';
import { createTokenFairQueueingPolicy, TOKEN_FAIR_QUEUEING_POLICY_TYPE } from './flowcontrol/fairness/token-fair-queueing/token-fair-queueing.ts';
import { createProgramAwareFairness, PROGRAM_AWARE_FAIRNESS_TYPE } from './flowcontrol/fairness/program-aware/program-aware.ts';
import { createStaticUsageLimitPolicy, STATIC_USAGE_LIMIT_POLICY_TYPE } from './flowcontrol/usage-limit/static/static.ts';
import { createSoftReflectiveCeilingPolicy, SOFT_REFLECTIVE_CEILING_POLICY_TYPE } from './flowcontrol/usage-limit/soft-reflective-ceiling/soft-reflective-ceiling.ts';
import { createPriorityHoldbackPolicy, PRIORITY_HOLDBACK_POLICY_TYPE } from './flowcontrol/usage-limit/priority-holdback/priority-holdback.ts';
import { createFairShareHoldbackPolicy, FAIR_SHARE_HOLDBACK_POLICY_TYPE } from './flowcontrol/usage-limit/fair-share-holdback/fair-share-holdback.ts';
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
import { createLoadAwarePDDecider, LOAD_AWARE_PD_DECIDER_TYPE } from './scheduling/profile-handler/disagg/load-aware-decider.ts';
import { createWeightedRandomPicker, WEIGHTED_RANDOM_PICKER_TYPE } from './scheduling/picker/weighted-random/weighted-random.ts';
import { createKvCacheUtilizationScorer, KV_CACHE_UTILIZATION_SCORER_TYPE } from './scheduling/scorer/kv-cache-utilization/kv-cache-utilization.ts';
import { createKvEstimateScorer, KV_ESTIMATE_SCORER_TYPE } from './scheduling/scorer/kv-estimate/kv-estimate.ts';
import { createLoraAffinityScorer, LORA_AFFINITY_SCORER_TYPE } from './scheduling/scorer/lora-affinity/lora-affinity.ts';
import { createPrefixCacheScorer, PREFIX_CACHE_SCORER_TYPE } from './scheduling/scorer/prefix-cache/prefix-cache.ts';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, createApproxPrefixCacheProducer } from './requestcontrol/data-producer/approx-prefix-cache/approx-prefix-cache.ts';
import { dataKey, ENCODER_CACHE_MATCH_INFO_KEY, INFLIGHT_LOAD_KEY, LATENCY_PREDICTION_INFO_KEY, PREFIX_CACHE_MATCH_INFO_KEY, TOKENIZED_PROMPT_KEY, UNCACHED_REQUEST_TOKENS_KEY } from '../framework/data-keys.ts';
import { createTokenProducer, TOKEN_PRODUCER_TYPE, TOKENIZER_TYPE } from './requestcontrol/data-producer/token-producer/token-producer.ts';
import { BURST_PREFIX_CACHE_PRODUCER_TYPE, createBurstPrefixCacheProducer } from './requestcontrol/data-producer/burst-prefix-cache/burst-prefix-cache.ts';
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
import { createLoadBalanceGuardFilter, LOAD_BALANCE_GUARD_FILTER_TYPE } from './scheduling/filter/load-balance-guard/load-balance-guard.ts';
import { createSessionAffinityFilter, SESSION_AFFINITY_FILTER_TYPE } from './scheduling/filter/session-affinity/session-affinity.ts';
import { createDestinationEndpointServedVerifier, DESTINATION_ENDPOINT_SERVED_VERIFIER_TYPE } from './requestcontrol/destination-endpoint-served-verifier/destination-endpoint-served-verifier.ts';
import { createRequestAttributeReporter, REQUEST_ATTRIBUTE_REPORTER_TYPE } from './requestcontrol/request-attribute-reporter/request-attribute-reporter.ts';
import { ANTHROPIC_PARSER_TYPE, createAnthropicParser } from './requesthandling/parsers/anthropic/anthropic.ts';
import { createOpenAIParser, OPENAI_PARSER_TYPE } from './requesthandling/parsers/openai/openai.ts';
import { createPassthroughParser, PASSTHROUGH_PARSER_TYPE } from './requesthandling/parsers/passthrough/passthrough.ts';
import { createSglangHttpParser, SGLANG_HTTP_PARSER_TYPE } from './requesthandling/parsers/sglanghttp/sglanghttp.ts';
import { createVllmHttpParser, VLLM_HTTP_PARSER_TYPE } from './requesthandling/parsers/vllmhttp/vllmhttp.ts';
import { createVllmGrpcParser, VLLM_GRPC_PARSER_TYPE } from './requesthandling/parsers/vllmgrpc/vllmgrpc.ts';
import { createVertexAIParser, VERTEX_AI_PARSER_TYPE } from './requesthandling/parsers/vertexai/vertexai.ts';
import { createMetricsDataSource, METRICS_DATA_SOURCE_TYPE } from './datalayer/source/metrics/metrics-source.ts';
import { CORE_METRICS_EXTRACTOR_TYPE, createCoreMetricsExtractor, createModelServerProtocolMetrics, MODEL_SERVER_PROTOCOL_METRICS_TYPE } from './datalayer/extractor/core-metrics/core-metrics.ts';
import { createEndpointAttributeFilter, ENDPOINT_ATTRIBUTE_FILTER_TYPE } from './scheduling/filter/endpoint-attribute/endpoint-attribute.ts';
import { createEndpointAttributeScorer, ENDPOINT_ATTRIBUTE_SCORER_TYPE } from './scheduling/scorer/endpoint-attribute/endpoint-attribute.ts';
import { createHeaderLabelAffinityScorer, HEADER_LABEL_AFFINITY_SCORER_TYPE } from './scheduling/scorer/header-label-affinity/header-label-affinity.ts';
import { createTopologyAffinityFilter, TOPOLOGY_AFFINITY_FILTER_TYPE } from './scheduling/filter/topology-affinity/topology-affinity.ts';
import { createTopologyAffinityScorer, TOPOLOGY_AFFINITY_SCORER_TYPE } from './scheduling/scorer/topology-affinity/topology-affinity.ts';
import { createTopologyExtractor, TOPOLOGY_EXTRACTOR_TYPE } from './datalayer/extractor/topology/topology.ts';
import { AGENT_IDENTITY_TYPE, createAgentIdentity } from './requestcontrol/agent-identity/agent-identity.ts';
import { createDisaggregatedSetRolloutScreener, DISAGGREGATEDSET_ROLLOUT_SCREENER_TYPE } from './requestcontrol/screener/disaggregatedset-rollout/disaggregatedset-rollout.ts';
import { createDataParallelProfileHandler, DATA_PARALLEL_PROFILE_HANDLER_TYPE } from './scheduling/profile-handler/data-parallel/data-parallel.ts';
import { createDcgmDataSource, DCGM_DATA_SOURCE_TYPE } from './datalayer/source/dcgm/dcgm-source.ts';
import { createDcgmExtractor, DCGM_EXTRACTOR_TYPE } from './datalayer/extractor/dcgm/dcgm-extractor.ts';
import { createModelsDataSource, MODELS_DATA_SOURCE_TYPE } from './datalayer/source/models/models-source.ts';
import { createModelsExtractor, MODELS_DATA_EXTRACTOR_TYPE } from './datalayer/extractor/models/models-extractor.ts';
import { createEndpointNotificationSource, ENDPOINT_NOTIFICATION_SOURCE_TYPE } from './datalayer/source/endpoint-notification/endpoint-notification.ts';
import { createMulticlusterFileDiscovery, MULTICLUSTER_FILE_DISCOVERY_TYPE } from './datalayer/discovery/multicluster-file/multicluster-file.ts';
import { createMulticlusterMetricsDataSource, MULTICLUSTER_METRICS_DATA_SOURCE_TYPE } from './datalayer/source/multicluster-metrics/multicluster-metrics.ts';
import { createMulticlusterMetricsExtractor, MULTICLUSTER_METRICS_EXTRACTOR_TYPE } from './datalayer/extractor/multicluster-metrics/multicluster-metrics.ts';
import { createMulticlusterQueueScorer, MULTICLUSTER_QUEUE_SCORER_TYPE } from './scheduling/scorer/multicluster-queue/multicluster-queue.ts';
import { createMulticlusterKvCacheUtilizationScorer, MULTICLUSTER_KV_CACHE_UTILIZATION_SCORER_TYPE } from './scheduling/scorer/multicluster-kv-cache-utilization/multicluster-kv-cache-utilization.ts';
import { createMulticlusterSessionAffinityFilter, MULTICLUSTER_SESSION_AFFINITY_FILTER_TYPE } from './scheduling/filter/multicluster-session-affinity/multicluster-session-affinity.ts';
import { createPredictedLatencyProducer, PREDICTED_LATENCY_PRODUCER_TYPE } from './requestcontrol/data-producer/predicted-latency/predicted-latency.ts';
import { createLatencyScorer, createPredictedLatencyScorer, createSloScorer, LATENCY_SCORER_TYPE, PREDICTED_LATENCY_SCORER_TYPE, SLO_SCORER_TYPE } from './scheduling/scorer/latency/latency.ts';
import { createSloHeadroomTierFilter, SLO_HEADROOM_TIER_FILTER_TYPE } from './scheduling/filter/slo-headroom-tier/slo-headroom-tier.ts';
import { createLatencySloAdmitter, LATENCY_SLO_ADMITTER_TYPE } from './requestcontrol/admitter/latency-slo/latency-slo.ts';
import { createProbabilisticAdmitter, PROBABILISTIC_ADMITTER_TYPE } from './requestcontrol/admitter/probabilistic/probabilistic.ts';
import { createMmEmbeddingsCacheProducer, MM_EMBEDDINGS_CACHE_PRODUCER_TYPE } from './requestcontrol/data-producer/mm-embeddings-cache/mm-embeddings-cache.ts';
import { createMmEmbeddingsCacheScorer, MM_EMBEDDINGS_CACHE_SCORER_TYPE } from './scheduling/scorer/mm-embeddings-cache/mm-embeddings-cache.ts';
import { createSloAwareProfileHandler, SLO_AWARE_PROFILE_HANDLER_TYPE } from './scheduling/profile-handler/slo-aware/slo-aware.ts';

export function registerInTreePlugins(registry: PluginRegistry): PluginRegistry {
  // Scorers
  registry.register(QUEUE_SCORER_TYPE, createQueueScorer);
  registry.register(KV_CACHE_UTILIZATION_SCORER_TYPE, createKvCacheUtilizationScorer);
  registry.register('kv-cache-scorer', createKvCacheUtilizationScorer); // GIE v1.0 / llm-d v0.3 name of the same scorer
  registry.register(KV_ESTIMATE_SCORER_TYPE, createKvEstimateScorer);
  registry.register(RUNNING_REQUESTS_SCORER_TYPE, createRunningRequestsScorer);
  registry.register(LORA_AFFINITY_SCORER_TYPE, createLoraAffinityScorer);
  registry.register(PREFIX_CACHE_SCORER_TYPE, createPrefixCacheScorer);
  registry.register(SESSION_AFFINITY_SCORER_TYPE, createSessionAffinityScorer, 'Alpha');
  registry.register(ENDPOINT_ATTRIBUTE_SCORER_TYPE, createEndpointAttributeScorer, 'Alpha');
  registry.register(HEADER_LABEL_AFFINITY_SCORER_TYPE, createHeaderLabelAffinityScorer, 'Alpha');
  registry.register(TOPOLOGY_AFFINITY_SCORER_TYPE, createTopologyAffinityScorer, 'Alpha');
  registry.register(PRECISE_PREFIX_CACHE_SCORER_TYPE, createPrecisePrefixCacheScorer); // deprecated upstream
  registry.register(MM_EMBEDDINGS_CACHE_SCORER_TYPE, createMmEmbeddingsCacheScorer);
  // Filters
  registry.register(DECODE_FILTER_TYPE, createDecodeFilter);
  registry.register(PREFILL_FILTER_TYPE, createPrefillFilter);
  registry.register(ENCODE_FILTER_TYPE, createEncodeFilter);
  registry.register(LABEL_SELECTOR_FILTER_TYPE, createLabelSelectorFilter);
  registry.register(BY_LABEL_SELECTOR_TYPE, createByLabelSelectorFilter); // deprecated alias of label-selector-filter
  registry.register(BY_LABEL_FILTER_TYPE, createByLabelFilter); // deprecated
  registry.register(PREFIX_CACHE_AFFINITY_FILTER_TYPE, createPrefixCacheAffinityFilter);
  registry.register(LOAD_BALANCE_GUARD_FILTER_TYPE, createLoadBalanceGuardFilter);
  registry.register(SESSION_AFFINITY_FILTER_TYPE, createSessionAffinityFilter, 'Alpha');
  registry.register(ENDPOINT_ATTRIBUTE_FILTER_TYPE, createEndpointAttributeFilter, 'Alpha');
  registry.register(TOPOLOGY_AFFINITY_FILTER_TYPE, createTopologyAffinityFilter, 'Alpha');
  registry.register(HEADER_BASED_TESTING_FILTER_TYPE, createHeaderBasedTestingFilter); // conformance
  registry.register(TOKEN_LOAD_SCORER_TYPE, createTokenLoadScorer);
  registry.register(ACTIVE_REQUEST_SCORER_TYPE, createActiveRequestScorer);
  registry.register(LOAD_AWARE_SCORER_TYPE, createLoadAwareScorer);
  registry.register(NO_HIT_LRU_SCORER_TYPE, createNoHitLruScorer);
  registry.register(LATENCY_SCORER_TYPE, createLatencyScorer);
  registry.register(PREDICTED_LATENCY_SCORER_TYPE, createPredictedLatencyScorer); // GIE v1.3-v1.4 name
  registry.register(SLO_SCORER_TYPE, createSloScorer); // GIE v1.0 experimental SLO routing
  registry.register(SLO_HEADROOM_TIER_FILTER_TYPE, createSloHeadroomTierFilter);
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
  registry.register(BURST_PREFIX_CACHE_PRODUCER_TYPE, createBurstPrefixCacheProducer);
  registry.register(INFLIGHT_LOAD_PRODUCER_TYPE, createInflightLoadProducer);
  registry.defaultProducer(dataKey(INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE), INFLIGHT_LOAD_PRODUCER_TYPE);
  registry.defaultProducer(dataKey(UNCACHED_REQUEST_TOKENS_KEY, INFLIGHT_LOAD_PRODUCER_TYPE), INFLIGHT_LOAD_PRODUCER_TYPE);
  registry.register(PREDICTED_LATENCY_PRODUCER_TYPE, createPredictedLatencyProducer);
  registry.defaultProducer(dataKey(LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE), PREDICTED_LATENCY_PRODUCER_TYPE);
  registry.register(MM_EMBEDDINGS_CACHE_PRODUCER_TYPE, createMmEmbeddingsCacheProducer);
  registry.defaultProducer(dataKey(ENCODER_CACHE_MATCH_INFO_KEY, MM_EMBEDDINGS_CACHE_PRODUCER_TYPE), MM_EMBEDDINGS_CACHE_PRODUCER_TYPE);
  registry.register('slo-request-tracker', createPredictedLatencyProducer); // GIE v1.0: tracked SLOs and trained the predictor
  // Profile handlers
  registry.register(SLO_AWARE_PROFILE_HANDLER_TYPE, createSloAwareProfileHandler); // GIE v1.0
  registry.register(SINGLE_PROFILE_HANDLER_TYPE, createSingleProfileHandler);
  registry.register(DISAGG_PROFILE_HANDLER_TYPE, createDisaggProfileHandler);
  registry.register(PD_PROFILE_HANDLER_TYPE, createPdProfileHandler);
  registry.register(DATA_PARALLEL_PROFILE_HANDLER_TYPE, createDataParallelProfileHandler); // deprecated upstream
  registry.register(PREFIX_BASED_PD_DECIDER_TYPE, createPrefixBasedPDDecider);
  registry.register(ALWAYS_DISAGG_PD_DECIDER_TYPE, createAlwaysDisaggPDDecider);
  registry.register(ALWAYS_DISAGG_MULTIMODAL_DECIDER_TYPE, createAlwaysDisaggMultimodalDecider);
  registry.register(LOAD_AWARE_PD_DECIDER_TYPE, createLoadAwarePDDecider);
  registry.register(DISAGG_HEADERS_HANDLER_TYPE, createDisaggHeadersHandler);
  registry.register(PREFILL_HEADER_HANDLER_TYPE, createPrefillHeaderHandler);
  // Saturation detectors (also Filters)
  registry.register(UTILIZATION_DETECTOR_TYPE, createUtilizationDetector);
  // Flow control policies (flowControl.priorityBands[].fairnessPolicyRef / orderingPolicyRef)
  registry.register(GLOBAL_STRICT_FAIRNESS_POLICY_TYPE, createGlobalStrictFairnessPolicy);
  registry.register(ROUND_ROBIN_FAIRNESS_POLICY_TYPE, createRoundRobinFairnessPolicy);
  registry.register(TOKEN_FAIR_QUEUEING_POLICY_TYPE, createTokenFairQueueingPolicy);
  registry.register(PROGRAM_AWARE_FAIRNESS_TYPE, createProgramAwareFairness);
  registry.register(FCFS_ORDERING_POLICY_TYPE, createFcfsOrderingPolicy);
  registry.register(EDF_ORDERING_POLICY_TYPE, createEdfOrderingPolicy);
  registry.register(SLO_DEADLINE_ORDERING_POLICY_TYPE, createSloDeadlineOrderingPolicy);
  registry.register(STATIC_USAGE_LIMIT_POLICY_TYPE, createStaticUsageLimitPolicy);
  registry.register(SOFT_REFLECTIVE_CEILING_POLICY_TYPE, createSoftReflectiveCeilingPolicy);
  registry.register(PRIORITY_HOLDBACK_POLICY_TYPE, createPriorityHoldbackPolicy);
  registry.register(FAIR_SHARE_HOLDBACK_POLICY_TYPE, createFairShareHoldbackPolicy);
  // Request control
  registry.register(REQUEST_ATTRIBUTE_REPORTER_TYPE, createRequestAttributeReporter);
  registry.register(AGENT_IDENTITY_TYPE, createAgentIdentity, 'Alpha');
  registry.register(DISAGGREGATEDSET_ROLLOUT_SCREENER_TYPE, createDisaggregatedSetRolloutScreener, 'Alpha');
  registry.register(DESTINATION_ENDPOINT_SERVED_VERIFIER_TYPE, createDestinationEndpointServedVerifier); // conformance
  registry.register(CONCURRENCY_DETECTOR_TYPE, createConcurrencyDetector);
  registry.register(LATENCY_SLO_ADMITTER_TYPE, createLatencySloAdmitter);
  registry.register(PROBABILISTIC_ADMITTER_TYPE, createProbabilisticAdmitter);

  // Request parsers (requestHandler.parsers)
  registry.register(OPENAI_PARSER_TYPE, createOpenAIParser);
  registry.register(ANTHROPIC_PARSER_TYPE, createAnthropicParser);
  registry.register(VLLM_HTTP_PARSER_TYPE, createVllmHttpParser);
  registry.register(SGLANG_HTTP_PARSER_TYPE, createSglangHttpParser);
  registry.register(VLLM_GRPC_PARSER_TYPE, createVllmGrpcParser);
  registry.register(VERTEX_AI_PARSER_TYPE, createVertexAIParser);
  registry.register(PASSTHROUGH_PARSER_TYPE, createPassthroughParser);
  // Data layer (dataLayer.sources)
  registry.register(METRICS_DATA_SOURCE_TYPE, createMetricsDataSource);
  registry.register(CORE_METRICS_EXTRACTOR_TYPE, createCoreMetricsExtractor);
  registry.register(MODEL_SERVER_PROTOCOL_METRICS_TYPE, createModelServerProtocolMetrics); // its GIE v1.4 name
  registry.register(TOPOLOGY_EXTRACTOR_TYPE, createTopologyExtractor, 'Alpha');
  registry.register(DCGM_DATA_SOURCE_TYPE, createDcgmDataSource, 'Alpha');
  registry.register(ENDPOINT_NOTIFICATION_SOURCE_TYPE, createEndpointNotificationSource);
  registry.register(MODELS_DATA_SOURCE_TYPE, createModelsDataSource);
  registry.register(MODELS_DATA_EXTRACTOR_TYPE, createModelsExtractor);
  registry.register(DCGM_EXTRACTOR_TYPE, createDcgmExtractor, 'Alpha');

  // Multi-cluster: peer clusters as endpoints (upstream, all Alpha)
  registry.register(MULTICLUSTER_FILE_DISCOVERY_TYPE, createMulticlusterFileDiscovery, 'Alpha');
  registry.register(MULTICLUSTER_METRICS_DATA_SOURCE_TYPE, createMulticlusterMetricsDataSource, 'Alpha');
  registry.register(MULTICLUSTER_METRICS_EXTRACTOR_TYPE, createMulticlusterMetricsExtractor, 'Alpha');
  registry.register(MULTICLUSTER_QUEUE_SCORER_TYPE, createMulticlusterQueueScorer, 'Alpha');
  registry.register(MULTICLUSTER_KV_CACHE_UTILIZATION_SCORER_TYPE, createMulticlusterKvCacheUtilizationScorer, 'Alpha');
  registry.register(MULTICLUSTER_SESSION_AFFINITY_FILTER_TYPE, createMulticlusterSessionAffinityFilter, 'Alpha');

  // Upstream's deprecated types (RegisterDeprecated in cmd/epp/runner/runner.go): the loader warns when a config names one.
  const toLabelSelector = { deprecatedIn: 'v0.9.0', scheduledRemovalIn: 'v0.11.0', replacementType: LABEL_SELECTOR_FILTER_TYPE };
  registry.deprecate(BY_LABEL_SELECTOR_TYPE, toLabelSelector).deprecate(BY_LABEL_FILTER_TYPE, toLabelSelector);
  const toDisagg = { deprecatedIn: 'v0.9.0', scheduledRemovalIn: 'v0.11.0', replacementType: DISAGG_PROFILE_HANDLER_TYPE };
  registry.deprecate(DISAGG_HEADERS_HANDLER_TYPE, toDisagg).deprecate(PREFILL_HEADER_HANDLER_TYPE, toDisagg);
  registry.deprecate(PD_PROFILE_HANDLER_TYPE, { deprecatedIn: 'v0.7.0', scheduledRemovalIn: 'v0.9.0', replacementType: DISAGG_PROFILE_HANDLER_TYPE });

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
