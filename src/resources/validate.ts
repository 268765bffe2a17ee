/**
 * Turns one raw Kubernetes-style object (from the resources file or the API server) into a validated spec.
 * Shared by the standalone loader and the Kubernetes reconcilers, so both accept and reject the same things.
 * This file checks the envelope (kind, apiVersion, metadata) and hands the rest to one parser per kind in
 * ./kinds/. CRD specs are strict (unknown fields rejected, like a structural schema); pods are read leniently.
 */
import type { ModelSpec, ObjectiveSpec, PodSpec, PoolSpec, RewriteSpec } from '../datastore/resources.ts';
import { asMap, checkName, describe, FieldError, onlyFields, optString, optTimestamp, reqString, type RawMap } from '../input/fields.ts';
import { LLMD_GROUP, X_GROUP, type ObjectMeta } from './kinds/common.ts';
import { parseModel } from './kinds/model.ts';
import { parseObjective } from './kinds/objective.ts';
import { parsePod } from './kinds/pod.ts';
import { parsePool, POOL_V1, POOL_V1ALPHA2 } from './kinds/pool.ts';
import { parseRewrite } from './kinds/rewrite.ts';

/** A rejected object: `where` names the object (e.g. "document 3 (InferencePool default/pool)"), `field` the path. */
export class ResourceError extends Error {
  readonly where: string;
  readonly field: string;
  constructor(where: string, field: string, message: string) {
    super(`${where}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'ResourceError';
    this.where = where;
    this.field = field;
  }
}

export type ParsedObject =
  | { kind: 'InferencePool'; spec: PoolSpec }
  | { kind: 'InferenceModel'; spec: ModelSpec }
  | { kind: 'InferenceObjective'; spec: ObjectiveSpec }
  | { kind: 'InferenceModelRewrite'; spec: RewriteSpec }
  | { kind: 'Pod'; spec: PodSpec };

interface KindDef {
  apiVersions: readonly string[];
  /** Reject unknown top-level fields (CRDs); pods carry many fields we ignore. */
  strict: boolean;
  parse(obj: RawMap, meta: ObjectMeta, apiVersion: string): ParsedObject;
}

const X_V1ALPHA2 = `${X_GROUP}/v1alpha2`;
const LLMD_V1ALPHA2 = `${LLMD_GROUP}/v1alpha2`;
const TOP_LEVEL = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

// A Map, not an object literal, so a kind named "constructor" or "__proto__" is simply unknown.
const KINDS = new Map<string, KindDef>([
  ['InferencePool', { apiVersions: [POOL_V1, POOL_V1ALPHA2], strict: true, parse: (o, m, v) => ({ kind: 'InferencePool', spec: parsePool(o, m, v) }) }],
  ['InferenceModel', { apiVersions: [X_V1ALPHA2], strict: true, parse: (o, m) => ({ kind: 'InferenceModel', spec: parseModel(o, m) }) }],
  // InferenceObjective and InferenceModelRewrite moved to llm-d.ai (llm-d Router), same schema; GIE's group is still read.
  ['InferenceObjective', { apiVersions: [LLMD_V1ALPHA2, X_V1ALPHA2], strict: true, parse: (o, m) => ({ kind: 'InferenceObjective', spec: parseObjective(o, m) }) }],
  ['InferenceModelRewrite', { apiVersions: [LLMD_V1ALPHA2, X_V1ALPHA2], strict: true, parse: (o, m) => ({ kind: 'InferenceModelRewrite', spec: parseRewrite(o, m) }) }],
  ['Pod', { apiVersions: ['v1'], strict: false, parse: (o, m) => ({ kind: 'Pod', spec: parsePod(o, m) }) }],
]);

export const SUPPORTED_KINDS: readonly string[] = [...KINDS.keys()];

/**
 * Validates `raw`; throws ResourceError naming `where` and the offending field.
 * `where` says where the object came from (e.g. "document 3"); the object's kind and namespace/name are
 * appended once known: "document 3 (InferencePool default/my-pool)". With `where` = '' only the identity is used,
 * and a `where` that already contains it ("InferencePool default/my-pool") is used as is.
 */
export function parseObject(raw: unknown, where: string, defaultNamespace = 'default'): ParsedObject {
  let label = where || 'object';
  try {
    const obj = asMap(raw, '');
    const kind = reqString(obj, 'kind', '');
    const def = KINDS.get(kind);
    if (!def) throw new FieldError('kind', `unknown kind ${describe(kind)} (supported: ${SUPPORTED_KINDS.join(', ')})`);
    label = identify(where, kind, '');

    const apiVersion = reqString(obj, 'apiVersion', '');
    if (!def.apiVersions.includes(apiVersion)) {
      throw new FieldError('apiVersion', `${kind} must be ${def.apiVersions.join(' or ')}, got ${describe(apiVersion)}`);
    }

    const metadata = asMap(obj.metadata, 'metadata');
    const name = reqString(metadata, 'name', 'metadata');
    label = identify(where, kind, name);
    checkName(name, 'metadata.name');
    const namespace = optString(metadata, 'namespace', 'metadata') ?? defaultNamespace;
    label = identify(where, kind, `${namespace}/${name}`);
    if (namespace !== defaultNamespace) checkName(namespace, 'metadata.namespace', 63);
    const createdAt = optTimestamp(metadata, 'creationTimestamp', 'metadata') ?? 0;

    if (def.strict) onlyFields(obj, '', TOP_LEVEL);
    return def.parse(obj, { name, namespace, createdAt, raw: metadata }, apiVersion);
  } catch (err) {
    if (err instanceof FieldError) throw new ResourceError(label, err.path, err.message);
    throw err;
  }
}

function identify(where: string, kind: string, name: string): string {
  const id = name ? `${kind} ${name}` : kind;
  if (!where) return id;
  // A caller that already names the object (the k8s reconciler passes "Pod ns/name") gets it once.
  return where.includes(id) ? where : `${where} (${id})`;
}
