/**
 * Kubernetes mode: informers for the pool, the inference objects in its namespace and the pods it selects,
 * all feeding the datastore through DatastoreReconciler (the same parseObject as the resources file).
 *
 * Synced (and so ready) once the pool has been seen and every informer has applied its first list; the
 * optional kinds (InferenceModel, InferenceObjective, InferenceModelRewrite) also count as synced when the
 * cluster does not serve them (CRD absent) or RBAC forbids them.
 */
import type { KubeConfig } from './client-node.ts';
import type { Logger } from 'pino';
import type { Datastore } from '../datastore/datastore.ts';
import { poolSelector } from '../datastore/resources.ts';
import { labelSelectorString, type LabelSelector } from '../input/label-selector.ts';
import {
  apiVersionOf,
  type ApiResource,
  collectionPath,
  MODEL_RESOURCE,
  OBJECTIVE_RESOURCES,
  POOL_GROUP_V1,
  poolResource,
  REWRITE_RESOURCES,
} from './api-resources.ts';
import type { BackoffOptions } from './backoff.ts';
import { KubeClient } from './client.ts';
import { Informer } from './informer.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { PodWatcher } from './pod-watcher.ts';
import { DatastoreReconciler } from './reconciler.ts';

export interface KubernetesSourceOptions {
  datastore: Datastore;
  /** --pool-name; ignored in pool-less mode. */
  poolName: string;
  /** --pool-namespace (resolved: flag, env NAMESPACE, "default"); also the namespace of the other objects. */
  poolNamespace: string;
  /** --pool-group: inference.networking.k8s.io (v1, default) or inference.networking.x-k8s.io (v1alpha2). */
  poolGroup?: string;
  /** Pool-less mode (--endpoint-selector); defaults to the datastore's own option. */
  endpointSelector?: LabelSelector;
  /** Pool-less mode (--endpoint-target-ports); the datastore's synthetic pool carries them. */
  endpointTargetPorts?: readonly number[];
  /** Defaults to KUBECONFIG / ~/.kube/config / in-cluster. */
  kubeConfig?: KubeConfig;
  logger: Logger;
  /** Reconnect backoff (tests shorten it). */
  backoff?: BackoffOptions;
}

export interface KubernetesSource {
  /** Pool seen and every informer synced (the datastore's `synced()`). */
  ready(): boolean;
  /** Resolves the first time the source becomes synced. */
  readonly synced: Promise<void>;
  /** The API client (the leader elector can share it). */
  readonly client: KubeClient;
  stop(): Promise<void>;
}

export function startKubernetesSource(options: KubernetesSourceOptions): KubernetesSource {
  const { datastore, poolNamespace: namespace } = options;
  const logger = options.logger.child({ component: 'k8s' });
  const client = new KubeClient(options.kubeConfig ?? loadKubeConfig());
  const selector = options.endpointSelector ?? datastore.options.endpointSelector;
  if (options.endpointSelector && !datastore.options.endpointSelector) {
    throw new Error('pool-less mode: construct the Datastore with endpointSelector/endpointTargetPorts too');
  }
  const poolRes = selector ? undefined : poolResource(options.poolGroup ?? POOL_GROUP_V1);
  if (poolRes && !options.poolName) throw new Error('--pool-name or --endpoint-selector is required');

  let markedSynced = false;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const informers: Informer[] = [];

  const checkSynced = (): void => {
    if (markedSynced || !pods.synced() || !informers.every((i) => i.synced())) return;
    reconciler.flush(); // the pool may still be queued; flushing can re-enter here and finish the job
    if (markedSynced || !datastore.pool()) return;
    markedSynced = true;
    datastore.markSynced();
    logger.info({ endpoints: datastore.endpoints().length }, 'kubernetes source synced');
    resolveSynced();
  };

  // After each flush: follow the pool's selector (the pool the datastore selected, so both agree).
  let lastPool = datastore.pool();
  const onFlush = (): void => {
    const pool = datastore.pool();
    if (poolRes && pool && pool !== lastPool) pods.follow(labelSelectorString(poolSelector(pool)));
    lastPool = pool;
    checkSynced();
  };
  const reconciler = new DatastoreReconciler(datastore, logger, namespace, onFlush);
  const base = options.backoff ? { client, logger, backoff: options.backoff } : { client, logger };
  const pods = new PodWatcher({ ...base, namespace, reconciler, onListed: checkSynced });

  /** Watches `res`, else (404) each of `fallbacks` in turn: the same kind under older groups. */
  const watchKind = (res: ApiResource, extra: { fieldSelector?: string; optional?: boolean }, fallbacks: readonly ApiResource[] = []): void => {
    const kind = res.kind;
    const alt = fallbacks.map((f) => ({ path: collectionPath(f, namespace), apiVersion: apiVersionOf(f) }));
    const informer = new Informer(
      { path: collectionPath(res, namespace), apiVersion: apiVersionOf(res), kind, ...extra, ...(alt.length > 0 ? { fallbacks: alt } : {}) },
      {
        upsert: (obj) => reconciler.upsert(kind, obj),
        remove: (obj) => reconciler.remove(kind, obj),
        listed: checkSynced,
      },
      base,
    );
    informers.push(informer);
  };

  if (poolRes) watchKind(poolRes, { fieldSelector: `metadata.name=${options.poolName}` });
  watchKind(MODEL_RESOURCE, { optional: true });
  watchKind(OBJECTIVE_RESOURCES[0]!, { optional: true }, OBJECTIVE_RESOURCES.slice(1));
  watchKind(REWRITE_RESOURCES[0]!, { optional: true }, REWRITE_RESOURCES.slice(1));
  for (const i of informers) i.start();
  if (selector) pods.follow(labelSelectorString(selector));

  logger.info(
    selector
      ? { namespace, endpointSelector: labelSelectorString(selector) }
      : { namespace, pool: options.poolName, group: poolRes?.group, version: poolRes?.version },
    'watching kubernetes',
  );

  return {
    ready: () => datastore.synced(),
    synced,
    client,
    async stop() {
      await Promise.all([pods.stop(), ...informers.map((i) => i.stop())]);
      await client.close();
    },
  };
}
