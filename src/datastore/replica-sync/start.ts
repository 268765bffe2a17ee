/**
 * Starts the replica sync of one picker process: binds the ZMQ sockets, registers every plugin that owns a
 * SyncedState, follows the peer set a discovery reports (a static list, or the Service's EndpointSlices) and
 * bootstraps from the first peer that answers with a snapshot. The picker serves meanwhile: a replica that
 * has not bootstrapped yet routes as a fresh single replica would.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../framework/clock.ts';
import { ownsSyncedState } from '../../framework/synced-state.ts';
import { ReplicaSync } from './replica-sync.ts';
import type { CurveKeys } from './curve-auth.ts';
import { ZmqTransport } from './zmq-transport.ts';

export interface ReplicaSyncStartOptions {
  readonly bindAddress: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly peerTtlMs: number;
  readonly plugins: Iterable<object>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reports the peer set (sync addresses) now and on every change; returns its stop. */
  readonly discover: (onPeers: (peers: string[]) => void) => () => Promise<void>;
  /** CURVE keys (curve-auth.ts); null or absent = plaintext. */
  readonly curve?: CurveKeys | null;
  /** Defaults to POD_NAME or the host name, with the pid and a random suffix (a restart is a new replica). */
  readonly id?: string;
}

export interface RunningReplicaSync {
  readonly sync: ReplicaSync;
  stop(): Promise<void>;
}

export function replicaId(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.POD_NAME || hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export async function startReplicaSync(o: ReplicaSyncStartOptions): Promise<RunningReplicaSync> {
  const transport = await ZmqTransport.bind(o.bindAddress, o.port, o.curve ?? null);
  const logger = o.logger.child({ component: 'replica-sync' });
  const sync = new ReplicaSync({ id: o.id ?? replicaId(), transport, clock: o.clock, flushMs: o.intervalMs, heartbeatMs: Math.max(1, o.peerTtlMs / 4), peerTtlMs: o.peerTtlMs, logger });
  for (const p of o.plugins) {
    if (!ownsSyncedState(p)) continue;
    const state = p.syncedState();
    if (state !== null) sync.register(state);
  }
  let bootstrapped = false;
  const stopDiscovery = o.discover((peers) => {
    sync.setPeers(peers);
    if (bootstrapped || peers.length === 0) return;
    bootstrapped = true;
    void sync.bootstrap(peers, 1000).then((from) => logger.info({ from: from || null, states: sync.stateKeys }, from ? 'replica sync: bootstrapped from a peer snapshot' : 'replica sync: no peer snapshot; starting empty'));
  });
  sync.start();
  logger.info({ id: sync.id, port: o.port, states: sync.stateKeys, curve: o.curve != null }, 'replica sync listening');
  return {
    sync,
    stop: async () => {
      await stopDiscovery();
      await sync.close();
    },
  };
}

/** A fixed peer list (standalone mode): reported once. */
export function staticPeers(peers: readonly string[]): (onPeers: (peers: string[]) => void) => () => Promise<void> {
  return (onPeers) => {
    onPeers([...peers]);
    return async () => {};
  };
}
