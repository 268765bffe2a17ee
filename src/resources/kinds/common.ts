/** Pieces shared by several kinds: object metadata, the pool reference and all-or-none weights. */
import { asList, asMap, child, FieldError, isAbsent, onlyFields, optInt, optString, reqString, type RawMap } from '../../input/fields.ts';

export const X_GROUP = 'inference.networking.x-k8s.io';
export const GROUP = 'inference.networking.k8s.io';
/** llm-d Router's group for InferenceObjective and InferenceModelRewrite. */
export const LLMD_GROUP = 'llm-d.ai';

/** What every kind parser gets besides the raw object. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  /** creationTimestamp in ms since epoch; 0 when absent. */
  createdAt: number;
  /** The raw metadata map (pods read labels, annotations and deletionTimestamp from it). */
  raw: RawMap;
}

/** `spec.poolRef`: {group?, kind? (InferencePool), name}. Returns the pool name. */
export function parsePoolRef(spec: RawMap, path = 'spec'): string {
  const p = child(path, 'poolRef');
  const ref = asMap(spec.poolRef, p);
  onlyFields(ref, p, ['group', 'kind', 'name']);
  optString(ref, 'group', p, 253, 0);
  const kind = optString(ref, 'kind', p, 63);
  if (kind !== undefined && kind !== 'InferencePool') {
    throw new FieldError(child(p, 'kind'), `must be InferencePool, got ${JSON.stringify(kind)}`);
  }
  return reqString(ref, 'name', p, 253);
}

export const MAX_WEIGHT = 1_000_000;

/**
 * A list of `{<nameKey>, weight?}` targets. Weights are all-or-none (CEL rule on the CRDs); with none set,
 * every target gets weight 1, which is the same even split.
 */
export function parseWeightedTargets(
  v: unknown,
  path: string,
  nameKey: string,
  minItems: number,
  maxItems: number,
): { name: string; weight: number }[] {
  const items = asList(v, path, minItems, maxItems);
  const out: { name: string; weight: number }[] = [];
  let weighted = 0;
  for (let i = 0; i < items.length; i++) {
    const p = child(path, i);
    const m = asMap(items[i], p);
    onlyFields(m, p, [nameKey, 'weight']);
    const name = reqString(m, nameKey, p, 253);
    const weight = optInt(m, 'weight', p, 1, MAX_WEIGHT);
    if (weight !== undefined) weighted++;
    out.push({ name, weight: weight ?? 1 });
  }
  if (weighted > 0 && weighted < out.length) {
    const missing = items.findIndex((m) => isAbsent((m as RawMap).weight));
    throw new FieldError(child(child(path, missing), 'weight'), 'required: weights must be set on all targets or on none');
  }
  return out;
}
