/**
 * Replica discovery in Kubernetes mode: the EndpointSlices of the picker's own Service list its replicas. Each
 * ready address (not this pod's own, env POD_IP) becomes a peer `ip:syncPort`; the set is reported whenever a
 * slice changes. Not-ready addresses count too while they are serving (a draining replica still publishes).
 */
import type { Logger } from 'pino';
import type { KubeClient, KubeObject } from './client.ts';
import { Informer, keyOf } from './informer.ts';

export interface ReplicaPeerWatchOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The Service whose EndpointSlices carry label kubernetes.io/service-name=<service>. */
  readonly service: string;
  readonly syncPort: number;
  /** This pod's IP (left out of the peers). */
  readonly selfAddress: string;
  readonly logger: Logger;
  onPeers(peers: string[]): void;
}

interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

/** The peer addresses of one EndpointSlice. */
export function slicePeers(slice: KubeObject, syncPort: number, selfAddress: string): string[] {
  const endpoints = ((slice as { endpoints?: SliceEndpoint[] }).endpoints ?? []) as SliceEndpoint[];
  const out: string[] = [];
  for (const ep of endpoints) {
    const c = ep.conditions ?? {};
    if (c.ready === false && c.serving !== true) continue;
    for (const a of ep.addresses ?? []) if (a !== selfAddress) out.push(a.includes(':') ? `[${a}]:${syncPort}` : `${a}:${syncPort}`);
  }
  return out;
}

export function watchReplicaPeers(o: ReplicaPeerWatchOptions): { stop(): Promise<void> } {
  const slices = new Map<string, string[]>();
  let last = '';
  const report = (): void => {
    const peers = [...new Set([...slices.values()].flat())].sort();
    const text = peers.join(',');
    if (text === last) return;
    last = text;
    o.logger.info({ peers }, 'replica sync: peers from EndpointSlices');
    o.onPeers(peers);
  };
  const informer = new Informer(
    {
      path: `/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices`,
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      labelSelector: `kubernetes.io/service-name=${o.service}`,
    },
    {
      upsert: (s) => {
        slices.set(keyOf(s), slicePeers(s, o.syncPort, o.selfAddress));
        report();
      },
      remove: (s) => {
        slices.delete(keyOf(s));
        report();
      },
      listed: report,
    },
    { client: o.client, logger: o.logger },
  );
  informer.start();
  return { stop: () => informer.stop() };
}
