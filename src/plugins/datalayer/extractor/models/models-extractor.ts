/**
 * models-data-extractor (upstream datalayer/extractor/models, Beta): from a models-data-source page (OpenAI
 * `{"object": "list", "data": [{id, object, created, owned_by, parent}]}`), the models the endpoint serves, as
 * the attribute `/v1/models/models-data-extractor` (a ModelData list; a LoRA adapter has `parent`, its base
 * model). No parameters. A page that is not such JSON is an error; the attribute keeps its last value.
 */
import { dataKey } from '../../../../framework/data-keys.ts';
import type { PageExtractor } from '../../../../framework/datalayer.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const MODELS_DATA_EXTRACTOR_TYPE = 'models-data-extractor';
/** Endpoint.attributes: a ModelData[] (upstream ModelsAttributeKey). */
export const MODELS_KEY = dataKey('/v1/models', MODELS_DATA_EXTRACTOR_TYPE);

export interface ModelData {
  readonly id: string;
  readonly object?: string;
  readonly created?: number;
  readonly owned_by?: string;
  readonly parent?: string;
}

const STRING_FIELDS = ['object', 'owned_by', 'parent'] as const;

export class ModelsExtractor implements PageExtractor {
  readonly type = MODELS_DATA_EXTRACTOR_TYPE;
  readonly name: string;
  readonly dataExtractor = true as const;
  readonly produces = [MODELS_KEY];

  constructor(name: string) {
    this.name = name;
  }

  extract(endpoint: Endpoint, page: string): void {
    const body = JSON.parse(page) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('models response: not a JSON object');
    const data = (body as Record<string, unknown>)['data'];
    if (data !== undefined && data !== null && !Array.isArray(data)) throw new Error('models response: data is not a list');
    const models: ModelData[] = [];
    for (const [i, m] of ((data as unknown[] | null | undefined) ?? []).entries()) {
      if (typeof m !== 'object' || m === null) throw new Error(`models response: data[${i}] is not an object`);
      const r = m as Record<string, unknown>;
      // null is absent, as Go's decoder has it (vLLM sends "parent": null for a base model).
      if (r['id'] != null && typeof r['id'] !== 'string') throw new Error(`models response: data[${i}].id is not a string`);
      if (r['created'] != null && !Number.isInteger(r['created'])) throw new Error(`models response: data[${i}].created is not an integer`);
      for (const f of STRING_FIELDS) if (r[f] != null && typeof r[f] !== 'string') throw new Error(`models response: data[${i}].${f} is not a string`);
      models.push({
        id: (r['id'] as string | undefined) ?? '',
        ...(r['object'] ? { object: r['object'] as string } : {}),
        ...(r['created'] ? { created: r['created'] as number } : {}),
        ...(r['owned_by'] ? { owned_by: r['owned_by'] as string } : {}),
        ...(r['parent'] ? { parent: r['parent'] as string } : {}),
      });
    }
    endpoint.attributes.set(MODELS_KEY, models);
  }
}

export function createModelsExtractor(name: string, params: unknown, _handle: PluginHandle): ModelsExtractor {
  readParams(name, params, []);
  return new ModelsExtractor(name);
}
