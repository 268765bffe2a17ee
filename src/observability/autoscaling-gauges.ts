/**
 * Aggregate signals for HPA / KEDA, computed at scrape time like pool-gauges.ts (no timers). Upstream's pool
 * averages (llm_d_epp_average_queue_size, llm_d_epp_average_kv_cache_utilization, llm_d_epp_ready_endpoints) are
 * registered there; these are what upstream lacks, under our prefix:
 *   pool: max queue and KV use over fresh endpoints, saturation (the configured saturation detector, 1 =
 *   saturated), in-flight requests, and a desired-replica hint
 *     desired = max(ceil(ready x avg queue / target queue), ceil(ready x saturation / target saturation), 1)
 *   (the HPA formula for both signals; ready = endpoints with fresh metrics);
 *   model: in-flight requests per target model (plus queued ones when a flow-control queue reports them) and
 *     desired = ceil((in flight + queued) / target in-flight per replica).
 * model_name takes only names the resources configure (InferenceModelRewrite, InferenceModel); any other name a
 * client sends counts under "other", so clients cannot grow the series.
 */
import client from 'prom-client';
import type { DatastoreReader } from '../datastore/datastore.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import { OVERFLOW_VALUE } from './bounded-label.ts';

export interface AutoscalingTargets {
  /** Waiting requests per replica the hint aims at. */
  queueSize: number;
  /** Pool saturation the hint aims at (1 = saturated). */
  saturation: number;
  /** In-flight requests per replica the per-model hint aims at. */
  inflightPerReplica: number;
}

export const DEFAULT_AUTOSCALING_TARGETS: AutoscalingTargets = { queueSize: 5, saturation: 0.8, inflightPerReplica: 32 };

export interface AutoscalingOptions {
  stalenessMs: number;
  now: () => number;
  targets?: AutoscalingTargets | undefined;
  /** Pool saturation from the configured saturation detector over the endpoints; absent = gauge not emitted. */
  saturation?: ((eps: readonly Endpoint[]) => number) | undefined;
  /** Requests held in the picker's flow-control queues per model, when flow control runs. */
  modelQueued?: (() => Iterable<readonly [string, number]>) | undefined;
}

/** One model's in-flight count, shared by every request series of that model (a number, no label work per request). */
export class ModelLoad {
  inflight = 0;
}

/** The pool's desired-replica hint (see the file comment); null without fresh endpoints. */
export function desiredReplicas(ready: number, avgQueue: number, saturation: number | null, t: AutoscalingTargets): number | null {
  if (ready === 0) return null;
  let d = Math.ceil((ready * avgQueue) / t.queueSize);
  if (saturation !== null) d = Math.max(d, Math.ceil((ready * saturation) / t.saturation - 1e-9));
  return Math.max(1, d);
}

export class AutoscalingGauges {
  readonly #loads = new Map<string, ModelLoad>();
  readonly #configured: (name: string) => boolean;

  constructor(registry: client.Registry, ds: DatastoreReader, configured: (name: string) => boolean, o: AutoscalingOptions) {
    this.#configured = configured;
    const t = o.targets ?? DEFAULT_AUTOSCALING_TARGETS;
    const registers = [registry];
    const fresh = () => {
      const now = o.now();
      return ds.endpoints().filter((e) => e.metricsAge(now) <= o.stalenessMs);
    };
    const pool = () => ds.pool()?.name ?? '';
    const poolGauge = (name: string, help: string, value: (eps: readonly Endpoint[]) => number | null) =>
      new client.Gauge({
        name,
        help,
        labelNames: ['name'],
        registers,
        collect() {
          const p = pool();
          const v = value(fresh());
          if (p && v !== null) this.labels(p).set(v);
        },
      });
    const max = (f: (e: Endpoint) => number) => (eps: readonly Endpoint[]) => (eps.length === 0 ? null : eps.reduce((m, e) => Math.max(m, f(e)), 0));
    poolGauge('inference_extension_pool_max_queue_size', 'The largest number of requests waiting in one model server\'s queue, over endpoints with fresh metrics.', max((e) => e.waitingQueue));
    poolGauge('inference_extension_pool_max_kv_cache_utilization', 'The highest KV-cache utilization of one model server, over endpoints with fresh metrics.', max((e) => e.kvCacheUsage));
    poolGauge('inference_extension_pool_inflight_requests', 'Requests this picker routed to the pool that have not finished.', () => ds.endpoints().reduce((n, e) => n + e.inflightRequests, 0));
    const sat = o.saturation;
    if (sat) poolGauge('inference_extension_pool_saturation', 'Pool saturation as the configured saturation detector computes it over every endpoint (1 = saturated; stale endpoints count as saturated).', () => sat(ds.endpoints()));
    poolGauge('inference_extension_pool_desired_replicas', `Replicas the pool needs to hold the targets: max(ceil(ready x average queue / ${t.queueSize}), ceil(ready x saturation / ${t.saturation})), at least 1.`, (eps) => {
      const avg = eps.length === 0 ? 0 : eps.reduce((n, e) => n + e.waitingQueue, 0) / eps.length;
      return desiredReplicas(eps.length, avg, sat ? sat(ds.endpoints()) : null, t);
    });

    const loads = this.#loads;
    const queued = (): Map<string, number> => {
      const q = new Map<string, number>();
      if (o.modelQueued) for (const [m, n] of o.modelQueued()) q.set(this.label(m), (q.get(this.label(m)) ?? 0) + n);
      return q;
    };
    new client.Gauge({
      name: 'inference_extension_model_inflight_requests',
      help: 'Requests for each target model this picker routed that have not finished (model_name: models the resources configure, else "other").',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        for (const [m, l] of loads) this.labels(m).set(l.inflight);
      },
    });
    if (o.modelQueued) {
      new client.Gauge({
        name: 'inference_extension_model_queued_requests',
        help: 'Requests for each model held in the picker\'s flow-control queues.',
        labelNames: ['model_name'],
        registers,
        collect() {
          this.reset();
          for (const [m, n] of queued()) this.labels(m).set(n);
        },
      });
    }
    new client.Gauge({
      name: 'inference_extension_model_desired_replicas',
      help: `Replicas worth of demand for each model: ceil((in flight + queued) / ${t.inflightPerReplica}).`,
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        const q = queued();
        const names = new Set([...loads.keys(), ...q.keys()]);
        for (const m of names) this.labels(m).set(Math.ceil(((loads.get(m)?.inflight ?? 0) + (q.get(m) ?? 0)) / t.inflightPerReplica));
      },
    });
  }

  /** The model_name a request's model counts under: a configured name, else "other". */
  label(model: string): string {
    return this.#configured(model) ? model : OVERFLOW_VALUE;
  }

  /** The shared in-flight counter of a request's (target, requested) model, resolved once per request series. */
  load(target: string, model: string): ModelLoad {
    const name = this.#configured(target) ? target : this.label(model);
    let l = this.#loads.get(name);
    if (l === undefined) this.#loads.set(name, (l = new ModelLoad()));
    return l;
  }
}
