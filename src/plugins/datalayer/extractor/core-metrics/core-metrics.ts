/**
 * core-metrics-extractor: which metric names carry each engine's queue, running, KV-usage, LoRA and cache
 * figures (upstream datalayer/extractor/metrics). Parameters: `engineLabelKey` (the pod label naming the
 * engine), `defaultEngine` (the engine of unlabelled pods: vllm unless set; any built-in or configured name),
 * `engineConfigs` (per engine: `name`, `queuedRequestsSpec`, `runningRequestsSpec`, `kvUsageSpec`, `loraSpec`,
 * `cacheInfoSpec` + `cacheBlockSizeLabelName` / `cacheNumBlocksLabelName`, `cacheBlockSizeSpec`,
 * `cacheNumBlocksSpec`, `customMetrics: [{attributeKey, metricSpec}]`). An entry replaces the built-in engine
 * of its name (vllm, sglang, trtllm-serve, triton-tensorrt-llm, triton) or adds an engine; an empty spec means
 * the engine does not expose that figure. Custom metrics become numeric endpoint attributes
 * `<attributeKey>/core-metrics-extractor` (what endpoint-attribute-filter/-scorer read by default).
 * Also registered as `model-server-protocol-metrics`, its GIE v1.4 name.
 */
import type { DataExtractor, EngineMetricConfig, EngineSettings } from '../../../../framework/datalayer.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import { asList, asMap, child, describe, FieldError, onlyFields, type RawMap } from '../../../../input/fields.ts';
import { read, readParams } from '../../../../input/plugin-params.ts';
import { ENGINE_SPECS } from '../../../../datalayer/engines.ts';
import { parseMetricSpec } from '../../../../datalayer/engine-spec.ts';
import { stringParam } from '../../string-param.ts';

export const CORE_METRICS_EXTRACTOR_TYPE = 'core-metrics-extractor';
/** GIE v1.4's name of the same plugin. */
export const MODEL_SERVER_PROTOCOL_METRICS_TYPE = 'model-server-protocol-metrics';
/** upstream DefaultEngineType: the registry's name for the default mapping, so no engine may take it. */
const RESERVED_ENGINE = 'default';

const SPEC_FIELDS = ['queuedRequestsSpec', 'runningRequestsSpec', 'kvUsageSpec', 'loraSpec', 'cacheInfoSpec', 'cacheBlockSizeSpec', 'cacheNumBlocksSpec'] as const;
const ENGINE_FIELDS = ['name', ...SPEC_FIELDS, 'cacheBlockSizeLabelName', 'cacheNumBlocksLabelName', 'customMetrics'];

export class CoreMetricsExtractor implements DataExtractor {
  readonly type: string;
  readonly name: string;
  readonly dataExtractor = true as const;
  readonly engines: EngineSettings;
  /** The custom metric attributes it writes. */
  readonly produces: readonly string[];

  constructor(name: string, engines: EngineSettings, type = CORE_METRICS_EXTRACTOR_TYPE) {
    this.type = type;
    this.name = name;
    this.engines = engines;
    this.produces = engines.engineConfigs.flatMap((c) => c.customMetrics.map((m) => `${m.attributeKey}/${CORE_METRICS_EXTRACTOR_TYPE}`));
  }
}

function str(obj: RawMap, key: string, path: string): string {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new FieldError(child(path, key), `must be a string, got ${describe(v)}`);
  return v;
}

function spec(obj: RawMap, key: string, path: string): string {
  const text = str(obj, key, path);
  try {
    parseMetricSpec(text);
  } catch (err) {
    throw new FieldError(child(path, key), (err as Error).message);
  }
  return text;
}

function readEngineConfig(raw: unknown, path: string): EngineMetricConfig {
  const m = asMap(raw, path);
  onlyFields(m, path, ENGINE_FIELDS, 'parameter');
  const name = str(m, 'name', path);
  if (name === '') throw new FieldError(child(path, 'name'), 'engine config name cannot be empty');
  if (name === RESERVED_ENGINE) throw new FieldError(child(path, 'name'), `engine config name cannot be "${RESERVED_ENGINE}" (reserved)`);
  const seen = new Set<string>();
  const customMetrics = asList(m['customMetrics'], child(path, 'customMetrics')).map((c, i) => {
    const cp = child(child(path, 'customMetrics'), i);
    const cm = asMap(c, cp);
    onlyFields(cm, cp, ['attributeKey', 'metricSpec'], 'parameter');
    const attributeKey = str(cm, 'attributeKey', cp);
    if (attributeKey === '') throw new FieldError(child(cp, 'attributeKey'), 'custom metric attributeKey cannot be empty');
    if (seen.has(attributeKey)) throw new FieldError(child(cp, 'attributeKey'), `custom metric attributeKey ${JSON.stringify(attributeKey)} is duplicated`);
    seen.add(attributeKey);
    const metricSpec = spec(cm, 'metricSpec', cp);
    if (metricSpec === '') throw new FieldError(child(cp, 'metricSpec'), `custom metric ${JSON.stringify(attributeKey)} spec cannot be empty`);
    return { attributeKey, metricSpec };
  });
  const specs = Object.fromEntries(SPEC_FIELDS.map((f) => [f, spec(m, f, path)])) as Record<(typeof SPEC_FIELDS)[number], string>;
  return {
    name,
    ...specs,
    cacheBlockSizeLabelName: str(m, 'cacheBlockSizeLabelName', path),
    cacheNumBlocksLabelName: str(m, 'cacheNumBlocksLabelName', path),
    customMetrics,
  };
}

function create(type: string, name: string, params: unknown): CoreMetricsExtractor {
  const p = readParams(name, params, ['engineLabelKey', 'defaultEngine', 'engineConfigs']);
  const engineConfigs = read(name, () => asList(p['engineConfigs'], 'engineConfigs').map((c, i) => readEngineConfig(c, child('engineConfigs', i))));
  engineConfigs.forEach((c, i) => {
    if (engineConfigs.findIndex((o) => o.name === c.name) !== i) throw new PluginConfigError(name, `engineConfigs[${i}].name`, `engine ${JSON.stringify(c.name)} is configured twice`);
  });
  const names = new Set([...Object.keys(ENGINE_SPECS), ...engineConfigs.map((c) => c.name)]);
  const engine = stringParam(name, p, 'defaultEngine', '');
  if (!names.has(engine || 'vllm')) {
    throw new PluginConfigError(name, 'defaultEngine', `defaultEngine ${JSON.stringify(engine)} not found in engineConfigs (known: ${[...names].join(', ')})`);
  }
  return new CoreMetricsExtractor(
    name,
    { engineLabelKey: stringParam(name, p, 'engineLabelKey', ''), defaultEngine: engine === '' ? undefined : engine, engineConfigs },
    type,
  );
}

export function createCoreMetricsExtractor(name: string, params: unknown, _handle: PluginHandle): CoreMetricsExtractor {
  return create(CORE_METRICS_EXTRACTOR_TYPE, name, params);
}

export function createModelServerProtocolMetrics(name: string, params: unknown, _handle: PluginHandle): CoreMetricsExtractor {
  return create(MODEL_SERVER_PROTOCOL_METRICS_TYPE, name, params);
}
