/** InferenceObjective v1alpha2: a named priority (negative = sheddable), chosen by request header. */
import type { ObjectiveSpec } from '../../datastore/resources.ts';
import { asMap, onlyFields, optInt, type RawMap } from '../../input/fields.ts';
import { parsePoolRef, type ObjectMeta } from './common.ts';

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

export function parseObjective(obj: RawMap, meta: ObjectMeta): ObjectiveSpec {
  const spec = asMap(obj.spec, 'spec');
  onlyFields(spec, 'spec', ['priority', 'poolRef']);
  return {
    name: meta.name,
    namespace: meta.namespace,
    priority: optInt(spec, 'priority', 'spec', INT32_MIN, INT32_MAX),
    poolRef: parsePoolRef(spec),
    createdAt: meta.createdAt,
  };
}
