import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { HealthServer, type HealthStatus } from './health.ts';

type Client = grpc.Client & { check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void };
const EXT_PROC = 'envoy.service.ext_proc.v3.ExternalProcessor';
const SERVICES = ['inference-extension', 'liveness', 'readiness', '', EXT_PROC, 'other'];

/** Upstream `cmd/epp/runner/health.go` Check, per state, over the service names charts and Envoy probe. */
const CASES: { le: boolean; synced: boolean; leader: boolean; draining: boolean; want: Record<string, HealthStatus> }[] = [
  { le: false, synced: false, leader: false, draining: false, want: all('NOT_SERVING') },
  { le: false, synced: true, leader: false, draining: false, want: all('SERVING') },
  { le: false, synced: true, leader: false, draining: true, want: all('NOT_SERVING') },
  { le: true, synced: true, leader: true, draining: false, want: elected('SERVING') },
  { le: true, synced: true, leader: false, draining: false, want: elected('NOT_SERVING') },
  { le: true, synced: false, leader: true, draining: false, want: elected('NOT_SERVING') },
  { le: true, synced: true, leader: true, draining: true, want: elected('NOT_SERVING') },
];

function all(s: HealthStatus): Record<string, HealthStatus> {
  return Object.fromEntries(SERVICES.map((n) => [n, s]));
}
function elected(ready: HealthStatus): Record<string, HealthStatus> {
  return { 'inference-extension': 'SERVICE_UNKNOWN', other: 'SERVICE_UNKNOWN', liveness: 'SERVING', readiness: ready, '': ready, [EXT_PROC]: ready };
}

test('health answers as upstream: every name without leader election; liveness/readiness/""/ext_proc with it; draining', async () => {
  for (const c of CASES) {
    const h = new HealthServer({ leaderElection: c.le });
    await h.start('127.0.0.1', 0);
    const Ctor = grpc.makeGenericClientConstructor(healthService, 'Health');
    const client = new Ctor(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure()) as unknown as Client;
    try {
      h.setSynced(c.synced);
      h.setLeader(c.leader);
      if (c.draining) h.setDraining();
      for (const service of SERVICES) {
        const res = await new Promise<{ status: string }>((resolve, reject) => client.check({ service }, (err, r) => (err ? reject(err) : resolve(r))));
        assert.equal(res.status, c.want[service], `${JSON.stringify(c)} service "${service}"`);
        assert.equal(h.status(service), c.want[service]);
      }
    } finally {
      client.close();
      h.stop();
    }
  }
});
