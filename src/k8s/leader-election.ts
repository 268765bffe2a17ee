/**
 * Active-passive HA through a coordination.k8s.io/v1 Lease, with client-go's algorithm: a candidate takes
 * the Lease when it is free or when its record has not changed for leaseDuration on the candidate's own
 * clock (so clock skew between nodes does not matter); the holder renews every retryPeriod and steps down
 * when it could not renew for renewDeadline (< leaseDuration, so it stops before anyone else may start).
 * Every replica serves ext_proc; only the leader reports ready (upstream behaviour), so the gateway's
 * health checks send traffic to one replica and its in-memory state (prefix index, in-flight counts).
 */
import { EventEmitter } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { V1MicroTime } from './client-node.ts';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../framework/clock.ts';
import { labelSelectorString, type LabelSelector } from '../input/label-selector.ts';
import { sleep } from './backoff.ts';
import { type KubeClient, statusOf } from './client.ts';

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** Lease name; see leaseNameForPool. */
  name: string;
  /** Unique per replica; default POD_NAME (or hostname) plus a random suffix. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Measures lease expiry (tests use a ManualClock). */
  clock?: Clock;
  logger: Logger;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderElectorEvents {
  /** This replica became the leader. */
  started: [];
  /** This replica stopped being the leader. */
  stopped: [];
}

/**
 * The Lease for a pool, named as upstream names it (llm-d Router `pkg/epp/server/controller_manager.go`:
 * `epp-<namespace>-<name>.llm-d.ai`), so upstream and this picker elect one leader in a mixed fleet.
 */
export function leaseNameForPool(namespace: string, poolName: string): string {
  const name = `epp-${namespace}-${poolName}.llm-d.ai`;
  if (name.length > 253) throw new Error(`lease name too long: ${name}`);
  return name;
}

/**
 * Pool-less mode. Upstream names the Lease after this picker's Deployment, read from POD_NAME
 * (`<deployment>-<replicaset hash>-<suffix>`): `epp-<namespace>-<deployment>.llm-d.ai`. Without a POD_NAME of
 * that form (upstream refuses to start) pickers of the same pods (same selector) share a Lease named after it.
 */
export function leaseNameForSelector(namespace: string, selector: LabelSelector, podName = process.env.POD_NAME ?? ''): string {
  const deployment = /^(.+)-[a-z0-9]+-[a-z0-9]+$/.exec(podName)?.[1];
  if (deployment) return leaseNameForPool(namespace, deployment);
  return `epp-${createHash('sha256').update(labelSelectorString(selector)).digest('hex').slice(0, 16)}-leader`;
}

export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  #client: KubeClient;
  #path: string;
  #namespace: string;
  #name: string;
  #clock: Clock;
  #log: Logger;
  #leader = false;
  #lastRenew = -Infinity;
  #observed = '';
  #observedAt = 0;
  #stopped = false;
  #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    super();
    this.identity = options.identity ?? `${process.env.POD_NAME || hostname()}_${randomUUID()}`;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new Error('renewDeadline must be shorter than leaseDuration');
    this.#client = options.client;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: this.identity });
  }

  /** Leader, and the last successful renewal is recent enough that nobody else can hold the Lease. */
  isLeader(): boolean {
    return this.#leader && this.#clock.now() - this.#lastRenew < this.renewDeadlineMs;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; a leader releases the Lease so a standby takes over at once (`release: false` = crash). */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#loop;
    if (this.#leader && options.release !== false) await this.#release();
    this.#setLeader(false);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.tryAcquireOrRenew();
      if (this.#stopped) break;
      await sleep(this.retryPeriodMs * (1 + 0.2 * Math.random()), this.#abort.signal);
    }
  }

  /** One election step (the loop calls it every retryPeriod; tests call it directly). Returns isLeader(). */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#clock.now();
    try {
      const ok = await this.#attempt(now);
      if (ok) {
        this.#lastRenew = now;
        this.#setLeader(true);
      }
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'lease request failed');
    }
    if (this.#leader && now - this.#lastRenew >= this.renewDeadlineMs) {
      this.#log.warn({ renewDeadlineMs: this.renewDeadlineMs }, 'could not renew the lease in time; stepping down');
      this.#setLeader(false);
    }
    return this.isLeader();
  }

  async #attempt(now: number): Promise<boolean> {
    let lease: Lease;
    try {
      lease = await this.#client.request<Lease>('GET', `${this.#path}/${encodeURIComponent(this.#name)}`);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      return this.#write('POST', this.#path, { metadata: { name: this.#name, namespace: this.#namespace }, spec: this.#record(0) });
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const seen = `${holder}|${spec.renewTime ?? ''}|${lease.metadata.resourceVersion ?? ''}`;
    if (seen !== this.#observed) {
      this.#observed = seen;
      this.#observedAt = now;
    }
    if (holder !== '' && holder !== this.identity) {
      if (this.#leader) {
        this.#log.warn({ holder }, 'lease taken by another replica; stepping down');
        this.#setLeader(false);
      }
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (this.#observedAt + durationMs > now) return false;
      this.#log.info({ previous: holder }, 'lease expired; taking over');
    }
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1);
    const record = this.#record(transitions);
    if (holder === this.identity && spec.acquireTime) record.acquireTime = spec.acquireTime;
    return this.#write('PUT', `${this.#path}/${encodeURIComponent(this.#name)}`, { ...lease, spec: record });
  }

  /** Create or update; a 409 (someone else wrote first) is a lost race, not an error. */
  async #write(method: 'POST' | 'PUT', path: string, body: Omit<Lease, 'metadata'> & { metadata: Lease['metadata'] }): Promise<boolean> {
    try {
      const saved = await this.#client.request<Lease>(method, path, undefined, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...body });
      this.#observed = `${this.identity}|${saved.spec?.renewTime ?? ''}|${saved.metadata.resourceVersion ?? ''}`;
      this.#observedAt = this.#clock.now();
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  #record(transitions: number): LeaseSpec {
    const t = microTime();
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      acquireTime: t,
      renewTime: t,
      leaseTransitions: transitions,
    };
  }

  /** client-go's release: empty holder, 1 s duration, so any candidate may take it on its next try. */
  async #release(): Promise<void> {
    try {
      const path = `${this.#path}/${encodeURIComponent(this.#name)}`;
      const lease = await this.#client.request<Lease>('GET', path);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const t = microTime();
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: t, renewTime: t, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
      await this.#client.request('PUT', path, undefined, { ...lease, spec });
      this.#log.info('lease released');
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'could not release the lease');
    }
  }

  #setLeader(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.#log.info(leader ? 'became leader' : 'no longer leader');
    this.emit(leader ? 'started' : 'stopped');
  }
}

/** RFC 3339 with microseconds, the only form the API server accepts for MicroTime fields. */
function microTime(): string {
  return new V1MicroTime(Date.now()).toISOString();
}

/**
 * Readiness as upstream: without leader election, synced; with it, synced and leader. Liveness stays
 * SERVING either way (a standby is healthy, just not the one to route to).
 */
export function readinessGate(source: { ready(): boolean }, elector?: { isLeader(): boolean }): () => boolean {
  return elector ? () => source.ready() && elector.isLeader() : () => source.ready();
}
