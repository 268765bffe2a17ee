/**
 * Pool gauges computed at scrape time from the datastore (no timers), canonical llm_d_epp_* and GIE names, as
 * llm-d Router's datalayer/logger refreshPrometheusMetrics: over the endpoints whose metrics are fresh, ready
 * count, mean and sample standard deviation rounded to two decimals; with no fresh endpoint only the ready
 * count is written and the averages keep their last value.
 */
import client from 'prom-client';
import type { DatastoreReader } from '../datastore/datastore.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import { LeanScalar } from './lean-scalar.ts';

interface Stats {
  mean: number;
  std: number;
}

/** Mean and sample standard deviation (n-1, at least 1), both rounded to 2 decimals as upstream. */
export function poolStats(eps: readonly Endpoint[], f: (e: Endpoint) => number): Stats {
  if (eps.length === 0) return { mean: 0, std: 0 };
  let sum = 0;
  for (const e of eps) sum += f(e);
  const mean = sum / eps.length;
  let ss = 0;
  for (const e of eps) ss += (f(e) - mean) ** 2;
  return { mean: round2(mean), std: round2(Math.sqrt(ss / Math.max(1, eps.length - 1))) };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

const DEP = (c: string) => `[Deprecated: Use ${c}] `;

export function registerPoolGauges(registry: client.Registry, ds: DatastoreReader, opts: { stalenessMs: number; now: () => number }): void {
  const registers = [registry];
  let fresh: Endpoint[] = [];
  let pool = '';
  /** Recomputed by each gauge's read (a few passes over the endpoints per scrape). */
  const refresh = () => {
    const now = opts.now();
    fresh = ds.endpoints().filter((e) => e.metricsAge(now) <= opts.stalenessMs);
    pool = ds.pool()?.name ?? '';
  };
  /** A gauge {name=<pool>} set at each read from `value()`; null leaves the last value (no fresh endpoint). */
  const poolGauge = (name: string, help: string, value: () => number | null) =>
    new LeanScalar('gauge', {
      name,
      help,
      labelNames: ['name'],
      registers,
      collect() {
        refresh();
        const v = value();
        if (pool && v !== null) this.labels(pool).set(v);
      },
    });
  const ready = () => fresh.length;
  poolGauge('llm_d_epp_ready_endpoints', 'The number of ready endpoints in the inference server pool.', ready);
  poolGauge('inference_pool_ready_pods', `${DEP('llm_d_epp_ready_endpoints')}The number of ready pods in the inference server pool.`, ready);

  const stat = (name: string, help: string, f: (e: Endpoint) => number, which: keyof Stats) =>
    poolGauge(name, help, () => (fresh.length > 0 ? poolStats(fresh, f)[which] : null));
  const kv = (e: Endpoint) => e.kvCacheUsage;
  const queue = (e: Endpoint) => e.waitingQueue;
  const running = (e: Endpoint) => e.runningRequests;
  const kvHelp = 'The average kv cache utilization for an inference server pool.';
  const queueHelp = 'The average number of requests pending in the model server queue.';
  const runningHelp = 'The average number of running requests across model servers in the pool.';
  stat('llm_d_epp_average_kv_cache_utilization', kvHelp, kv, 'mean');
  stat('inference_pool_average_kv_cache_utilization', DEP('llm_d_epp_average_kv_cache_utilization') + kvHelp, kv, 'mean');
  stat('llm_d_epp_average_queue_size', queueHelp, queue, 'mean');
  stat('inference_pool_average_queue_size', DEP('llm_d_epp_average_queue_size') + queueHelp, queue, 'mean');
  stat('llm_d_epp_average_running_requests', runningHelp, running, 'mean');
  stat('inference_pool_average_running_requests', DEP('llm_d_epp_average_running_requests') + runningHelp, running, 'mean');
  stat('llm_d_epp_std_dev_kv_cache_utilization', 'The standard deviation kv cache utilization for an inference server pool.', kv, 'std');
  stat('llm_d_epp_std_dev_queue_size', 'The standard deviation number of requests pending in the model server queue.', queue, 'std');
  stat('llm_d_epp_std_dev_running_requests', 'The standard deviation number of running requests across model servers in the pool.', running, 'std');

  // Upstream labels both with the endpoint's name, "<pod>-rank-<i>" (datastore createEndpointNamespacedName).
  const perEndpoint = (name: string, help: string, epLabel: string) =>
    new LeanScalar('gauge', {
      name,
      help,
      labelNames: ['name', epLabel],
      registers,
      collect() {
        this.reset();
        const p = ds.pool()?.name ?? '';
        for (const e of ds.endpoints()) this.labels(p, `${e.podName}-rank-${e.rank}`).set(e.waitingQueue);
      },
    });
  perEndpoint('llm_d_epp_per_endpoint_queue_size', 'The total number of requests pending in the model server queue for each underlying endpoint.', 'model_server_endpoint');
  perEndpoint('inference_pool_per_pod_queue_size', `${DEP('llm_d_epp_per_endpoint_queue_size')}The total number of requests pending in the model server queue for each underlying pod.`, 'model_server_pod');

  // Ours only.
  new client.Gauge({ name: 'inference_extension_endpoint_metrics_age_seconds', help: 'Age of each endpoint\'s last successful metric scrape in seconds (-1 = never scraped). Older than the staleness threshold = treated as saturated.', labelNames: ['endpoint', 'pod'], registers, collect() { this.reset(); const now = opts.now(); for (const e of ds.endpoints()) { const age = e.metricsAge(now); this.labels(e.key, e.podName).set(Number.isFinite(age) ? age / 1000 : -1); } } });
  new client.Gauge({ name: 'inference_extension_endpoint_inflight_requests', help: 'Requests this picker routed to each endpoint that have not finished.', labelNames: ['endpoint'], registers, collect() { this.reset(); for (const e of ds.endpoints()) this.labels(e.key).set(e.inflightRequests); } });
}
