/** Builders for the objects the tests put into the fake API server (shapes as the real API serves them). */
import type { Obj } from './fake-store.ts';

export const NS = 'inference';

export function pool(name: string, matchLabels: Record<string, string>, ports: number[] = [8000], failureMode = 'FailOpen'): Obj {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels },
      targetPorts: ports.map((number) => ({ number })),
      endpointPickerRef: { name: `${name}-epp`, port: { number: 9002 }, failureMode },
    },
    status: { parents: [] },
  };
}

export function poolV1alpha2(name: string, selector: Record<string, string>, port = 8000): Obj {
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferencePool',
    metadata: { name, namespace: NS },
    spec: { selector, targetPortNumber: port, extensionRef: { name: `${name}-epp`, failureMode: 'FailClose' } },
  };
}

export interface PodState {
  labels?: Record<string, string>;
  ip?: string;
  ready?: boolean;
  terminating?: boolean;
  annotations?: Record<string, string>;
}

export function pod(name: string, s: PodState = {}): Obj {
  const metadata: Obj['metadata'] = { name, namespace: NS, labels: s.labels ?? { app: 'vllm' } };
  if (s.annotations) metadata.annotations = s.annotations;
  if (s.terminating) metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
  const status: Record<string, unknown> = {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: s.ready === false ? 'False' : 'True' },
    ],
    containerStatuses: [{ name: 'vllm', ready: s.ready !== false, restartCount: 0 }],
  };
  if (s.ip !== '') status.podIP = s.ip ?? '10.0.0.1';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai', ports: [{ containerPort: 8000 }] }] },
    status,
  };
}

export function model(name: string, modelName: string, targets: { name: string; weight?: number }[], poolName = 'pool'): Obj {
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
    kind: 'InferenceModel',
    metadata: { name, namespace: NS },
    spec: { modelName, criticality: 'Standard', targetModels: targets, poolRef: { name: poolName } },
  };
}

export const LLMD_V1ALPHA2 = 'llm-d.ai/v1alpha2';
export const X_V1ALPHA2 = 'inference.networking.x-k8s.io/v1alpha2';

export function objective(name: string, priority: number, poolName = 'pool', apiVersion = X_V1ALPHA2): Obj {
  return {
    apiVersion,
    kind: 'InferenceObjective',
    metadata: { name, namespace: NS },
    spec: { priority, poolRef: { group: 'inference.networking.k8s.io', name: poolName } },
  };
}

export function rewrite(name: string, from: string, to: string, poolName = 'pool', apiVersion = X_V1ALPHA2): Obj {
  return {
    apiVersion,
    kind: 'InferenceModelRewrite',
    metadata: { name, namespace: NS },
    spec: {
      poolRef: { group: 'inference.networking.k8s.io', name: poolName },
      rules: [{ matches: [{ model: { type: 'Exact', value: from } }], targets: [{ modelRewrite: to, weight: 1 }] }],
    },
  };
}
