/** InferenceModel v1alpha2: a client-facing model name, its criticality and weighted target models. */
import type { Criticality, ModelSpec } from '../../datastore/resources.ts';
import { asMap, onlyFields, optEnum, reqString, type RawMap } from '../../input/fields.ts';
import { parsePoolRef, parseWeightedTargets, type ObjectMeta } from './common.ts';

const CRITICALITIES: readonly Criticality[] = ['Critical', 'Standard', 'Sheddable'];
const MAX_MODEL_NAME = 256;
const MAX_TARGET_MODELS = 10;

export function parseModel(obj: RawMap, meta: ObjectMeta): ModelSpec {
  const spec = asMap(obj.spec, 'spec');
  onlyFields(spec, 'spec', ['modelName', 'criticality', 'targetModels', 'poolRef']);
  return {
    name: meta.name,
    namespace: meta.namespace,
    modelName: reqString(spec, 'modelName', 'spec', MAX_MODEL_NAME),
    criticality: optEnum(spec, 'criticality', 'spec', CRITICALITIES),
    targetModels: parseWeightedTargets(spec.targetModels, 'spec.targetModels', 'name', 0, MAX_TARGET_MODELS),
    poolRef: parsePoolRef(spec),
    createdAt: meta.createdAt,
  };
}
