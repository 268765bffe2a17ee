/** The API groups, versions and collection paths the picker reads. */
import type { Kind } from './reconciler.ts';

export const POOL_GROUP_V1 = 'inference.networking.k8s.io';
export const X_GROUP = 'inference.networking.x-k8s.io';
export const LLMD_GROUP = 'llm-d.ai';

export interface ApiResource {
  kind: Kind;
  group: string;
  version: string;
  plural: string;
}

/** InferencePool: v1 in the GA group, v1alpha2 in the experimental one (pre-v1.0 clusters). */
export function poolResource(group: string): ApiResource {
  if (group === POOL_GROUP_V1) return { kind: 'InferencePool', group, version: 'v1', plural: 'inferencepools' };
  if (group === X_GROUP) return { kind: 'InferencePool', group, version: 'v1alpha2', plural: 'inferencepools' };
  throw new Error(`--pool-group must be ${POOL_GROUP_V1} or ${X_GROUP}, got ${JSON.stringify(group)}`);
}

export const MODEL_RESOURCE: ApiResource = { kind: 'InferenceModel', group: X_GROUP, version: 'v1alpha2', plural: 'inferencemodels' };
/**
 * InferenceObjective and InferenceModelRewrite: llm-d.ai/v1alpha2 (llm-d Router), else GIE's group when the llm-d.ai
 * CRD is absent; with both installed the legacy objects are ignored (upstream pkg/epp/server/controller_config.go).
 */
export const OBJECTIVE_RESOURCES: readonly ApiResource[] = [
  { kind: 'InferenceObjective', group: LLMD_GROUP, version: 'v1alpha2', plural: 'inferenceobjectives' },
  { kind: 'InferenceObjective', group: X_GROUP, version: 'v1alpha2', plural: 'inferenceobjectives' },
];
export const REWRITE_RESOURCES: readonly ApiResource[] = [
  { kind: 'InferenceModelRewrite', group: LLMD_GROUP, version: 'v1alpha2', plural: 'inferencemodelrewrites' },
  { kind: 'InferenceModelRewrite', group: X_GROUP, version: 'v1alpha2', plural: 'inferencemodelrewrites' },
];
export const POD_RESOURCE: ApiResource = { kind: 'Pod', group: '', version: 'v1', plural: 'pods' };

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Namespaced collection path: /api/v1/namespaces/ns/pods or /apis/group/version/namespaces/ns/plural. */
export function collectionPath(r: { group: string; version: string; plural: string }, namespace: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
}
