/** Lease-based leader election against the fake API server; lease expiry measured on an injected clock. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ManualClock } from '../../src/framework/clock.ts';
import { Datastore } from '../../src/datastore/datastore.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import { LeaderElector, leaseNameForPool, leaseNameForSelector } from '../../src/k8s/leader-election.ts';
import { startKubernetesMode } from '../../src/k8s/mode.ts';
import { FakeApiServer } from '../support/k8s/fake-apiserver.ts';
import { silentLogger } from '../support/k8s/helpers.ts';
import { NS, pod, pool } from '../support/k8s/objects.ts';
import { selectorFromLabels } from '../../src/input/label-selector.ts';

const LEASE = leaseNameForPool(NS, 'pool');
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEASE}`;

interface LeaseView {
  spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number; renewTime?: string };
}

async function setup(t: TestContext) {
  const server = await FakeApiServer.start();
  const client = new KubeClient(server.kubeConfig());
  const clock = new ManualClock(1_000_000);
  const make = (identity: string) =>
    new LeaderElector({ client, namespace: NS, name: LEASE, identity, clock, logger: silentLogger, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  const lease = () => client.request<LeaseView>('GET', LEASE_PATH);
  t.after(async () => {
    await client.close();
    await server.close();
  });
  return { server, client, clock, make, lease };
}

test('the first candidate creates the Lease; the second waits for a full lease duration of silence', async (t) => {
  const { clock, make, lease } = await setup(t);
  const a = make('a');
  const b = make('b');
  assert.equal(await a.tryAcquireOrRenew(), true);
  assert.equal(await b.tryAcquireOrRenew(), false);
  const l = await lease();
  assert.equal(l.spec.holderIdentity, 'a');
  assert.equal(l.spec.leaseDurationSeconds, 15);
  assert.match(l.spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime with 6 fractional digits');

  // A renews within the duration: B keeps seeing a live holder.
  clock.advance(8_000);
  assert.equal(await a.tryAcquireOrRenew(), true);
  assert.equal(await b.tryAcquireOrRenew(), false);
  clock.advance(14_000);
  assert.equal(await b.tryAcquireOrRenew(), false, 'B observed the renewal 14 s ago: not expired yet');

  // A has crashed (no renewals). Its leadership lapses locally after renewDeadline...
  assert.equal(a.isLeader(), false, 'A cannot claim leadership past its renew deadline');
  // ...and B takes over once the record has been unchanged for leaseDuration on B's clock.
  clock.advance(1_001);
  assert.equal(await b.tryAcquireOrRenew(), true);
  const after = await lease();
  assert.equal(after.spec.holderIdentity, 'b');
  assert.equal(after.spec.leaseTransitions, 1);

  // A comes back: it sees B's record and stays a follower.
  assert.equal(await a.tryAcquireOrRenew(), false);
});

test('a leader that sees another holder steps down at once', async (t) => {
  const { client, make } = await setup(t);
  const a = make('a');
  assert.equal(await a.tryAcquireOrRenew(), true);
  const stopped = once(a, 'stopped');
  const l = await client.request<LeaseView & { metadata: object }>('GET', LEASE_PATH);
  await client.request('PUT', LEASE_PATH, undefined, { ...l, spec: { ...l.spec, holderIdentity: 'intruder' } });
  assert.equal(await a.tryAcquireOrRenew(), false);
  await stopped;
  assert.equal(a.isLeader(), false);
});

test('simultaneous candidates: exactly one wins the create race', async (t) => {
  const { make } = await setup(t);
  const electors = ['a', 'b', 'c'].map(make);
  const results = await Promise.all(electors.map((e) => e.tryAcquireOrRenew()));
  assert.equal(results.filter(Boolean).length, 1);
});

test('stop() releases the Lease so a standby takes over without waiting', async (t) => {
  const { make, lease } = await setup(t);
  const a = make('a');
  const b = make('b');
  assert.equal(await a.tryAcquireOrRenew(), true);
  assert.equal(await b.tryAcquireOrRenew(), false);
  await a.stop();
  assert.equal((await lease()).spec.holderIdentity, '');
  assert.equal(await b.tryAcquireOrRenew(), true, 'no lease-duration wait after a release');
});

test('two replicas against one pool: only the leader is ready; the standby takes over after a crash', async (t) => {
  const server = await FakeApiServer.start();
  server.apply(pool('pool', { app: 'vllm' }));
  server.apply(pod('p1', { ip: '10.0.0.1' }));
  const clock = new ManualClock(0);
  const replicas = ['r1', 'r2'].map((identity) => {
    const datastore = new Datastore({ poolName: 'pool', poolNamespace: NS });
    const mode = startKubernetesMode({
      datastore,
      poolName: 'pool',
      poolNamespace: NS,
      kubeConfig: server.kubeConfig(),
      logger: silentLogger,
      backoff: { initialMs: 5, maxMs: 40 },
      leaderElection: { identity, clock, leaseDurationMs: 1_000, renewDeadlineMs: 800, retryPeriodMs: 5 },
    });
    return { identity, mode, elector: mode.elector!, datastore, ready: () => mode.ready() };
  });
  t.after(async () => {
    for (const r of replicas) await r.mode.stop();
    await server.close();
  });
  const firstLeader = Promise.race(replicas.map((r) => once(r.elector, 'started').then(() => r)));
  await Promise.all(replicas.map((r) => r.mode.synced));
  assert.ok(replicas.every((r) => r.datastore.synced()), 'both synced');
  const leader = await firstLeader;
  const standby = replicas.find((r) => r !== leader)!;
  assert.equal(leader.ready(), true);
  assert.equal(standby.ready(), false);

  // The leader crashes (no release). The standby's next attempt observes the final record (its clock reads
  // the time before it sends the GET); once the lease duration has passed on that clock, it takes over.
  await leader.elector.stop({ release: false });
  await server.nextRequest((r) => r.method === 'GET' && r.path === LEASE_PATH);
  const takeover = once(standby.elector, 'started');
  clock.advance(1_001);
  await takeover;
  assert.equal(standby.ready(), true);
  assert.equal(leader.ready(), false);
});

test('lease names: per pool, and per selector in pool-less mode', () => {
  assert.equal(leaseNameForPool('ml', 'llama'), 'epp-ml-llama.llm-d.ai', 'upstream controller_manager.go LeaderElectionID');
  assert.equal(leaseNameForSelector('ml', selectorFromLabels({ app: 'x' }), 'my-epp-7d9f8c6b5-x2x4z'), 'epp-ml-my-epp.llm-d.ai', 'pool-less: the Deployment from POD_NAME, as upstream');
  const a = leaseNameForSelector('ml', selectorFromLabels({ app: 'x', tier: 'gpu' }), '');
  assert.equal(a, leaseNameForSelector('ml', selectorFromLabels({ tier: 'gpu', app: 'x' }), ''), 'key order does not matter');
  assert.notEqual(a, leaseNameForSelector('ml', selectorFromLabels({ app: 'y' }), ''));
  assert.match(a, /^epp-[0-9a-f]{16}-leader$/);
});
