/**
 * One aggregated view of the pool for the live page, built at most once per push interval whatever the
 * number of open pages: endpoints as the scraper last saw them, picks per second (from the scheduler
 * attempt counter), shed and rejected counts (from the Prometheus registry), and the sampled decisions.
 */
import type { Registry } from 'prom-client';
import type { Endpoint } from '../../framework/endpoint.ts';
import type { Explanation } from '../../framework/explain.ts';
import type { DecisionRing } from './decision-ring.ts';

const ATTEMPTS = 'llm_d_epp_scheduler_attempts_total';
const ERRORS = 'llm_d_epp_request_error_total';
const SHED = 'inference_extension_shed_requests_total';
/** Decisions sent per snapshot (the ring keeps more for the prefix hit rate). */
const DECISIONS_SENT = 6;

export interface LiveEndpoint {
  readonly key: string;
  readonly pod: string;
  readonly role: string;
  readonly queue: number;
  readonly running: number;
  readonly kv: number;
  readonly inflight: number;
  readonly adapters: readonly string[];
  readonly waitingAdapters: readonly string[];
  readonly maxLora: number;
  /** ms since the last good scrape; null = never scraped. */
  readonly metricAgeMs: number | null;
  readonly health: 'ok' | 'stale' | 'failing' | 'unscraped';
  readonly picksPerSec: number;
  readonly picks: number;
}

export interface LiveSnapshot {
  readonly at: number;
  readonly pools: readonly {
    readonly name: string;
    readonly namespace: string;
    readonly endpoints: readonly LiveEndpoint[];
    readonly picksPerSec: number;
    /** Mean share of the prompt the picked endpoint held in its prefix cache, over the sampled decisions; null without a prefix scorer. */
    readonly prefixHitRate: number | null;
    readonly shed: Readonly<Record<string, number>>;
    readonly rejected: Readonly<Record<string, number>>;
    readonly decisions: readonly Explanation[];
  }[];
}

export interface SnapshotSources {
  endpoints(): readonly Endpoint[];
  pool(): { name: string; namespace: string } | undefined;
  registry: Registry;
  ring: DecisionRing;
  /** The scrape loop's clock (ms): endpoints' metric times are in it. */
  now(): number;
  stalenessMs: number;
}

export class LiveSnapshots {
  readonly #s: SnapshotSources;
  #prevPicks = new Map<string, number>();
  #prevAt = -1;

  constructor(sources: SnapshotSources) {
    this.#s = sources;
  }

  async build(): Promise<LiveSnapshot> {
    const s = this.#s;
    const now = s.now();
    const picks = await sumBy(s.registry, ATTEMPTS, (l) => (l['status'] === 'success' ? `${l['endpoint_name']}:${l['port']}` : null));
    const dt = this.#prevAt < 0 ? 0 : (now - this.#prevAt) / 1000;
    let poolRate = 0;
    const endpoints = s.endpoints().map((ep): LiveEndpoint => {
      const total = picks.get(`${ep.podName}-rank-${ep.rank}:${ep.port}`) ?? 0;
      const rate = dt > 0 ? Math.max(0, total - (this.#prevPicks.get(ep.key) ?? total)) / dt : 0;
      poolRate += rate;
      const age = ep.metricsUpdatedAt < 0 ? null : Math.max(0, now - ep.metricsUpdatedAt);
      return {
        key: ep.key,
        pod: ep.podName,
        role: ep.role,
        queue: ep.waitingQueue,
        running: ep.runningRequests,
        kv: ep.kvCacheUsage,
        inflight: ep.inflightRequests,
        adapters: [...ep.activeAdapters],
        waitingAdapters: [...ep.waitingAdapters],
        maxLora: ep.maxLora,
        metricAgeMs: age,
        health: age === null ? 'unscraped' : !ep.isAnswering(now) ? 'failing' : age > s.stalenessMs ? 'stale' : 'ok',
        picksPerSec: rate,
        picks: total,
      };
    });
    this.#prevPicks = new Map(endpoints.map((e) => [e.key, e.picks]));
    this.#prevAt = now;
    const pool = s.pool();
    const recent = s.ring.recent();
    return {
      at: Date.now(),
      pools: [{
        name: pool?.name ?? '',
        namespace: pool?.namespace ?? '',
        endpoints,
        picksPerSec: poolRate,
        prefixHitRate: prefixHitRate(recent),
        shed: Object.fromEntries(await sumBy(s.registry, SHED, (l) => String(l['model_name'] ?? ''))),
        rejected: Object.fromEntries(await sumBy(s.registry, ERRORS, (l) => String(l['error_code'] ?? ''))),
        decisions: recent.slice(0, DECISIONS_SENT),
      }],
    };
  }
}

/** Sums a counter's series by the key `keyOf` gives its labels (null = skip the series). */
async function sumBy(registry: Registry, name: string, keyOf: (labels: Record<string, string | number>) => string | null): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const metric = registry.getSingleMetric(name);
  if (!metric) return out;
  const { values } = await metric.get();
  for (const v of values) {
    const key = keyOf(v.labels as Record<string, string | number>);
    if (key !== null) out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

/** The picked endpoint's raw prefix-scorer score (matched share of the prompt's blocks), averaged over routed decisions. */
export function prefixHitRate(decisions: readonly Explanation[]): number | null {
  let sum = 0;
  let n = 0;
  for (const d of decisions) {
    if (d.outcome !== 'routed') continue;
    const p = d.profiles.find((x) => x.profile === d.primaryProfile);
    if (!p) continue;
    const s = p.scorers.findIndex((x) => x.type.includes('prefix'));
    const picked = p.endpoints.find((e) => e.rank === 0);
    if (s < 0 || !picked) continue;
    sum += picked.scores[s] ?? 0;
    n++;
  }
  return n === 0 ? null : sum / n;
}
