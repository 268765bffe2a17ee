/**
 * Turns one raw Kubernetes-style object (from the resources file or the API server) into a validated spec.
 * Shared by the standalone loader and the Kubernetes reconcilers, so both accept and reject the same things.
 * (Stub: the full validator is being written; the API below is fixed.)
 */
import type { ModelSpec, ObjectiveSpec, PodSpec, PoolSpec, RewriteSpec } from '../datastore/resources.ts';

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

/** Validates `raw`; throws ResourceError naming `where` and the offending field. */
export function parseObject(raw: unknown, where: string, defaultNamespace = 'default'): ParsedObject {
  void raw;
  void defaultNamespace;
  throw new ResourceError(where, '', 'validator not implemented yet');
}
