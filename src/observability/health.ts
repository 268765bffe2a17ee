/**
 * gRPC health (grpc.health.v1.Health) on its own port, with the upstream service names. Serving iff the pool is
 * known and synced, and (with leader election) this replica leads; liveness is always serving.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { EXT_PROC_SERVICE_NAME } from '../extproc/codec/proto.ts';

export const READINESS_SERVICES = ['', 'readiness', EXT_PROC_SERVICE_NAME] as const;

export class HealthServer {
  readonly #health = new HealthImplementation({ liveness: 'SERVING', readiness: 'NOT_SERVING', '': 'NOT_SERVING', [EXT_PROC_SERVICE_NAME]: 'NOT_SERVING' });
  readonly #server = new grpc.Server();
  #ready = false;
  #live = true;
  port = 0;

  async start(host: string, port: number): Promise<void> {
    this.#health.addToServer(this.#server);
    this.port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  }

  /** Sets readiness (idempotent; cheap to call on every datastore change). */
  setReady(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    const status: ServingStatus = ready ? 'SERVING' : 'NOT_SERVING';
    for (const s of READINESS_SERVICES) this.#health.setStatus(s, status);
  }

  /** The status of one service name, as the health service reports it. */
  status(service: string): 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' {
    if (service === 'liveness') return this.#live ? 'SERVING' : 'NOT_SERVING';
    if ((READINESS_SERVICES as readonly string[]).includes(service)) return this.#ready ? 'SERVING' : 'NOT_SERVING';
    return 'SERVICE_UNKNOWN';
  }

  isReady(): boolean {
    return this.#ready;
  }

  /** Shutting down: no longer ready, liveness too. */
  setShuttingDown(): void {
    this.setReady(false);
    this.#live = false;
    this.#health.setStatus('liveness', 'NOT_SERVING');
  }

  stop(): void {
    this.#server.forceShutdown();
  }
}
