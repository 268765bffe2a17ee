/**
 * core-metrics-extractor: which metric names carry each engine's queue, running, KV-usage, LoRA and cache
 * figures (upstream datalayer/extractor/metrics). Parameters: `engineLabelKey` (the pod label naming the
 * engine), `defaultEngine` (vllm, sglang, trtllm-serve, triton-tensorrt-llm), `engineConfigs` (custom
 * metric names per engine: parsed, refused until the collector reads custom names).
 */
import type { DataExtractor, EngineSettings } from '../../../../framework/datalayer.ts';
import { ENGINE_TYPES, type EngineType } from '../../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { stringParam } from '../../string-param.ts';

export const CORE_METRICS_EXTRACTOR_TYPE = 'core-metrics-extractor';

export class CoreMetricsExtractor implements DataExtractor {
  readonly type = CORE_METRICS_EXTRACTOR_TYPE;
  readonly name: string;
  readonly dataExtractor = true as const;
  readonly engines: EngineSettings;

  constructor(name: string, engines: EngineSettings) {
    this.name = name;
    this.engines = engines;
  }
}

export function createCoreMetricsExtractor(name: string, params: unknown, _handle: PluginHandle): CoreMetricsExtractor {
  const p = readParams(name, params, ['engineLabelKey', 'defaultEngine', 'engineConfigs']);
  const engine = stringParam(name, p, 'defaultEngine', '');
  if (engine !== '' && !(ENGINE_TYPES as readonly string[]).includes(engine)) {
    throw new PluginConfigError(name, 'defaultEngine', `unknown engine ${JSON.stringify(engine)} (known: ${ENGINE_TYPES.join(', ')})`);
  }
  const configs = p['engineConfigs'];
  if (configs !== undefined && configs !== null && !(Array.isArray(configs) && configs.length === 0)) {
    throw new PluginConfigError(name, 'engineConfigs', 'custom engine metric names are not supported yet: the built-in names of each engine are used');
  }
  return new CoreMetricsExtractor(name, {
    engineLabelKey: stringParam(name, p, 'engineLabelKey', ''),
    defaultEngine: engine === '' ? undefined : (engine as EngineType),
  });
}
