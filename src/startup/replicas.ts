/** --replica-sync wiring: the sync service, its peer discovery and metrics. */
import type { Logger } from 'pino';
import type { Flags } from '../cli/flags.ts';
import type { Clock } from '../framework/clock.ts';
import type { Plugin } from '../framework/plugin.ts';
import type { KubeClient } from '../k8s/client.ts';
import type { PickerMetrics } from '../observability/metrics.ts';
import type { RunningReplicaSync } from '../datastore/replica-sync/start.ts';
import { StartupError } from './startup-error.ts';

/**
 * --replica-sync: shares the plugins' learned state with the other replicas; peers from --replica-peers in
 * standalone mode, from the EndpointSlices of the picker's Service in Kubernetes mode.
 */
export async function startReplicas(flags: Flags, plugins: Iterable<Plugin>, source: { kubeClient?: KubeClient }, clock: Clock, logger: Logger, registry: PickerMetrics['registry']): Promise<RunningReplicaSync> {
  const { startReplicaSync, staticPeers } = await import('../datastore/replica-sync/start.ts');
  let discover = staticPeers(flags.replicaPeers);
  const client = source.kubeClient;
  if (client !== undefined && flags.replicaPeers.length === 0) {
    const { watchReplicaPeers } = await import('../k8s/replica-peers.ts');
    const service = flags.replicaService || `${flags.poolName}-epp`;
    discover = (onPeers) => watchReplicaPeers({ client, namespace: flags.poolNamespace, service, syncPort: flags.replicaSyncPort, selfAddress: process.env.POD_IP ?? '', logger, onPeers }).stop;
  }
  try {
    let curve = null;
    if (flags.replicaSyncCurveKeys !== '') {
      const { readCurveKeys } = await import('../datastore/replica-sync/curve-auth.ts');
      curve = readCurveKeys(flags.replicaSyncCurveKeys, flags.replicaSyncAllowedPeers);
    } else if (flags.replicaSyncAllowedPeers !== '') {
      throw new Error('--replica-sync-allowed-peers needs --replica-sync-curve-keys');
    }
    const running = await startReplicaSync({ bindAddress: flags.bindAddress, port: flags.replicaSyncPort, intervalMs: flags.replicaSyncIntervalMs, peerTtlMs: flags.replicaPeerTtlMs, plugins, clock, logger, discover, curve });
    const { registerReplicaSyncMetrics } = await import('../datastore/replica-sync/metrics.ts');
    registerReplicaSyncMetrics(registry, running.sync);
    return running;
  } catch (e) {
    throw new StartupError(`--replica-sync: ${(e as Error).message}`);
  }
}
