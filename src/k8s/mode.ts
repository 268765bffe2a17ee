/**
 * Kubernetes mode as the runner uses it: the source plus, with --ha-enable-leader-election, a LeaderElector
 * sharing its API client. `ready()` is the readiness rule (synced, and leader when electing); liveness stays
 * SERVING either way.
 */
import type { LeaderElectorOptions } from './leader-election.ts';
import { LeaderElector, leaseNameForPool, leaseNameForSelector, readinessGate } from './leader-election.ts';
import { startKubernetesSource, type KubernetesSource, type KubernetesSourceOptions } from './source.ts';

type ElectionTuning = Partial<Pick<LeaderElectorOptions, 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'clock'>>;

export interface KubernetesModeOptions extends KubernetesSourceOptions {
  /** --ha-enable-leader-election; an object tunes the Lease timings (tests). */
  leaderElection?: boolean | ElectionTuning;
}

export interface KubernetesMode {
  ready(): boolean;
  /** Resolves once the pool and pods are synced (not leadership). */
  readonly synced: Promise<void>;
  /** Present with leader election; emits 'started' / 'stopped' when leadership changes. */
  readonly elector: LeaderElector | undefined;
  /** The API client (--metrics-endpoint-auth's reviews go through it). */
  readonly client: KubernetesSource['client'];
  /** Releases the Lease (when leading), then stops every watch. */
  stop(): Promise<void>;
}

export function startKubernetesMode(options: KubernetesModeOptions): KubernetesMode {
  const source = startKubernetesSource(options);
  let elector: LeaderElector | undefined;
  if (options.leaderElection) {
    const tuning = options.leaderElection === true ? {} : options.leaderElection;
    const selector = options.endpointSelector ?? options.datastore.options.endpointSelector;
    elector = new LeaderElector({
      ...tuning,
      client: source.client,
      namespace: options.poolNamespace,
      name: selector ? leaseNameForSelector(options.poolNamespace, selector) : leaseNameForPool(options.poolNamespace, options.poolName),
      logger: options.logger,
    });
    elector.start();
  }
  const ready = readinessGate(source, elector);
  return {
    ready,
    synced: source.synced,
    elector,
    client: source.client,
    async stop() {
      await elector?.stop();
      await source.stop();
    },
  };
}
