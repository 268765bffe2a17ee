/**
 * gRPC health (grpc.health.v1.Health) on its own port, answered as upstream's `cmd/epp/runner/health.go`:
 *
 * - without leader election, every service name (upstream charts probe `inference-extension`, `liveness`,
 *   `readiness` and "") is SERVING iff the initial state is synced and the picker is not draining;
 * - with it, `readiness`, "" and the ext_proc service are SERVING iff synced, leader and not draining;
 *   `liveness` is always SERVING (a standby, or a draining pod, must not be restarted); any other name is
 *   SERVICE_UNKNOWN.
 *
 * Watch streams the same status on every change (upstream leaves it unimplemented). The ext_proc port answers
 * Check with the same `status()`.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { EXT_PROC_SERVICE_NAME } from '../extproc/codec/proto.ts';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthOptions {
  /** --ha-enable-leader-election: liveness and readiness answer differently, unknown names are unknown. */
  leaderElection: boolean;
}

export class HealthServer {
  readonly #leaderElection: boolean;
  readonly #server = new grpc.Server();
  #synced = false;
  #leader = false;
  #draining = false;
  readonly #watchers = new Set<{ service: string; last: HealthStatus; send(s: HealthStatus): void }>();
  port = 0;

  constructor(options: HealthOptions = { leaderElection: false }) {
    this.#leaderElection = options.leaderElection;
  }

  async start(host: string, port: number): Promise<void> {
    this.#server.addService(healthService, {
      check: (call: grpc.ServerUnaryCall<{ service?: string }, { status: HealthStatus }>, cb: grpc.sendUnaryData<{ status: HealthStatus }>) =>
        cb(null, { status: this.status(call.request.service ?? '') }),
      watch: (call: grpc.ServerWritableStream<{ service?: string }, { status: HealthStatus }>) => {
        const service = call.request.service ?? '';
        const w = { service, last: this.status(service), send: (status: HealthStatus) => call.write({ status }) };
        this.#watchers.add(w);
        call.on('cancelled', () => this.#watchers.delete(w));
        w.send(w.last);
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  }

  /** The initial state is loaded (pool and pods known): upstream's `PoolHasSynced`. Cheap; idempotent. */
  setSynced(synced: boolean): void {
    this.#synced = synced;
    this.#notify();
  }

  /** This replica holds the Lease (only read with leader election). */
  setLeader(leader: boolean): void {
    this.#leader = leader;
    this.#notify();
  }

  /** SIGTERM: readiness goes NOT_SERVING for good; liveness stays SERVING with leader election. */
  setDraining(): void {
    this.#draining = true;
    this.#notify();
  }

  #notify(): void {
    for (const w of this.#watchers) {
      const now = this.status(w.service);
      if (now !== w.last) w.send((w.last = now));
    }
  }

  /** The status of one service name, as the health service reports it. */
  status(service: string): HealthStatus {
    const ready = this.#synced && !this.#draining;
    if (!this.#leaderElection) return ready ? 'SERVING' : 'NOT_SERVING';
    if (service === 'liveness') return 'SERVING';
    if (service === '' || service === 'readiness' || service === EXT_PROC_SERVICE_NAME) return ready && this.#leader ? 'SERVING' : 'NOT_SERVING';
    return 'SERVICE_UNKNOWN';
  }

  /** Ready to take traffic: what `readiness` answers. */
  isReady(): boolean {
    return this.status('readiness') === 'SERVING';
  }

  isDraining(): boolean {
    return this.#draining;
  }

  stop(): void {
    this.#server.forceShutdown();
  }
}
