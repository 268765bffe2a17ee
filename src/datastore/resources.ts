/**
 * Validated, typed forms of the objects a cluster (or the standalone resources file) holds.
 * Raw objects become these only through `src/resources/validate.ts`, shared by both sources.
 */
import type { LabelRequirement, LabelSelector } from '../input/label-selector.ts';

export type FailureMode = 'FailOpen' | 'FailClose';
export type Criticality = 'Critical' | 'Standard' | 'Sheddable';

export interface PoolSpec {
  name: string;
  namespace: string;
  /** API group the pool came from: inference.networking.k8s.io (v1) or inference.networking.x-k8s.io (v1alpha2). */
  group: string;
  /** matchLabels of the pool's selector. */
  selector: Readonly<Record<string, string>>;
  /** The rest of the selector (set-based terms): only a pool-less --endpoint-selector has any; CRD pools have none. */
  matchExpressions?: readonly LabelRequirement[];
  targetPorts: readonly number[];
  appProtocol: string;
  failureMode: FailureMode;
}

/** The pool's whole label selector. */
export function poolSelector(pool: PoolSpec): LabelSelector {
  return { matchLabels: pool.selector, matchExpressions: pool.matchExpressions ?? [] };
}

export interface TargetModel {
  name: string;
  weight: number;
}

/** InferenceModel v1alpha2: a client-facing model name, its criticality and weighted target models. */
export interface ModelSpec {
  name: string;
  namespace: string;
  modelName: string;
  criticality: Criticality | undefined;
  targetModels: readonly TargetModel[];
  poolRef: string;
  /** creationTimestamp in ms since epoch (0 when absent); the oldest object wins a modelName conflict. */
  createdAt: number;
}

/** InferenceObjective v1alpha2: a named priority, selected by the x-gateway-inference-objective header. */
export interface ObjectiveSpec {
  name: string;
  namespace: string;
  priority: number | undefined;
  poolRef: string;
  createdAt: number;
}

export interface RewriteTarget {
  modelRewrite: string;
  weight: number;
}

export interface RewriteRule {
  /** Exact model names this rule matches; empty = catch-all. */
  matches: readonly string[];
  targets: readonly RewriteTarget[];
}

/** InferenceModelRewrite v1alpha2. */
export interface RewriteSpec {
  name: string;
  namespace: string;
  poolRef: string;
  rules: readonly RewriteRule[];
  createdAt: number;
}

export interface PodSpec {
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** status.podIP; '' when not assigned yet. */
  ip: string;
  /** status.hostIP (the node); absent or '' when not known. */
  hostIp?: string;
  /** status.conditions[type=Ready].status == "True". */
  ready: boolean;
  /** metadata.deletionTimestamp is set. */
  terminating: boolean;
}

/** Everything one source knows, as a whole (standalone file reload, or a k8s relist). */
export interface ResourceSet {
  pools: PoolSpec[];
  models: ModelSpec[];
  objectives: ObjectiveSpec[];
  rewrites: RewriteSpec[];
  pods: PodSpec[];
}

/** Pod label naming the model server's engine (llm-d Router DefaultEngineTypeLabelKey). */
export const ENGINE_LABEL = 'llm-d.ai/engine-type';
/** GIE's key, still read when the pod lacks the configured engine label or it is empty (as upstream). */
export const LEGACY_ENGINE_LABEL = 'inference.networking.k8s.io/engine-type';
/** Pod annotation restricting the pool's targetPorts this pod serves, e.g. "8000,8001". */
export const ACTIVE_PORTS_ANNOTATION = 'llm-d.ai/active-ports';
/** GIE's key, read when the pod has no llm-d.ai/active-ports annotation. */
export const LEGACY_ACTIVE_PORTS_ANNOTATION = 'inference.networking.k8s.io/active-ports';
/** Pod label naming a disaggregated-serving role (decode, prefill, encode, prefill-decode, ...). */
export const ROLE_LABEL = 'llm-d.ai/role';
