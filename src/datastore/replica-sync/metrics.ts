/** Replica sync series on the picker's /metrics (our own; upstream has no such families). */
import client from 'prom-client';
import type { ReplicaSync } from './replica-sync.ts';

export function registerReplicaSyncMetrics(registry: client.Registry, sync: ReplicaSync): void {
  const s = sync.stats;
  const counter = (name: string, help: string, read: () => number): void => {
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  counter('llm_d_epp_replica_sync_batches_sent_total', 'State batches this replica published to its peers (heartbeats excluded).', () => s.batchesSent);
  counter('llm_d_epp_replica_sync_bytes_sent_total', 'Bytes of state batches this replica published.', () => s.bytesSent);
  counter('llm_d_epp_replica_sync_batches_received_total', 'State batches applied from peers.', () => s.batchesReceived);
  counter('llm_d_epp_replica_sync_bytes_received_total', 'Bytes of state batches applied from peers.', () => s.bytesReceived);
  counter('llm_d_epp_replica_sync_peers_expired_total', 'Peers dropped (with their in-flight load) after a silence past --replica-peer-ttl.', () => s.peersExpired);
  new client.Gauge({
    name: 'llm_d_epp_replica_sync_peers',
    help: 'Peers heard from within --replica-peer-ttl.',
    registers: [registry],
    collect() {
      this.set(sync.peers().length);
    },
  });
}
