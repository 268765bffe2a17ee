/**
 * The wiring of in-tree plugins: the only module that imports concrete plugins. Adding a plugin is one
 * import plus one `register(type, factory)` line here.
 */
import { createUtilizationDetector, UTILIZATION_DETECTOR_TYPE } from './flowcontrol/saturation-detector/utilization/utilization-detector.ts';
import { PluginRegistry } from '../config/plugin-registry.ts';
import { createMaxScorePicker, MAX_SCORE_PICKER_TYPE } from './scheduling/picker/max-score/max-score.ts';
import { createRandomPicker, RANDOM_PICKER_TYPE } from './scheduling/picker/random/random.ts';
import { createSingleProfileHandler, SINGLE_PROFILE_HANDLER_TYPE } from './scheduling/profile-handler/single/single.ts';
import { createWeightedRandomPicker, WEIGHTED_RANDOM_PICKER_TYPE } from './scheduling/picker/weighted-random/weighted-random.ts';
import { createKvCacheUtilizationScorer, KV_CACHE_UTILIZATION_SCORER_TYPE } from './scheduling/scorer/kv-cache-utilization/kv-cache-utilization.ts';
import { createKvEstimateScorer, KV_ESTIMATE_SCORER_TYPE } from './scheduling/scorer/kv-estimate/kv-estimate.ts';
import { createLoraAffinityScorer, LORA_AFFINITY_SCORER_TYPE } from './scheduling/scorer/lora-affinity/lora-affinity.ts';
import { createPrefixCacheScorer, PREFIX_CACHE_SCORER_TYPE } from './scheduling/scorer/prefix-cache/prefix-cache.ts';
import { createQueueScorer, QUEUE_SCORER_TYPE } from './scheduling/scorer/queue/queue.ts';
import { createRunningRequestsScorer, RUNNING_REQUESTS_SCORER_TYPE } from './scheduling/scorer/running-requests/running-requests.ts';
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
  // Pickers
  registry.register(MAX_SCORE_PICKER_TYPE, createMaxScorePicker);
  registry.register(RANDOM_PICKER_TYPE, createRandomPicker);
  registry.register(WEIGHTED_RANDOM_PICKER_TYPE, createWeightedRandomPicker);
  // Profile handlers
  registry.register(SINGLE_PROFILE_HANDLER_TYPE, createSingleProfileHandler);
  // Saturation detector (also a Filter)
  registry.register(UTILIZATION_DETECTOR_TYPE, createUtilizationDetector);
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

  // Upstream types accepted in `plugins` so upstream configs load; none can be referenced by a profile.
  registry.ignore('approx-prefix-cache-producer', 'prefix-cache-scorer hashes and indexes prompts itself; its parameters go on the scorer');
  return registry;
}

/** A registry holding every in-tree plugin. */
export function inTreePluginRegistry(): PluginRegistry {
  return registerInTreePlugins(new PluginRegistry());
}
