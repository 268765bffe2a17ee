/**
 * disaggregatedset-rollout-screener (upstream requestcontrol/screener/disaggregatedsetrollout, Screener and
 * ResponseHeaderProcessor): keeps the prefill and decode pods of one request on one DisaggregatedSet revision.
 * Before any scheduling profile runs it drops revisions missing a Ready pod of a required role, draws one
 * covered revision weighted by its Ready pods (sum or max-role), and applies strict header selectors; on the
 * response it stamps each selector's header with the serving endpoint's label.
 *
 * Pods are observed through the datastore (its endpoints are the pool's Ready pods), counted once per pod
 * whatever its ranks; upstream watches every Pod in the namespace matching scope.labelSelector.
 */
import type { EndpointObserver } from '../../../../framework/datalayer.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { EndpointStateHolder, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { LLMResponse, ResponseReceived, Screener } from '../../../../framework/requestcontrol.ts';
import { countsTowardCoverage, parseRolloutConfig, type GatingMode, type HeaderSelector, type RolloutConfig } from './config.ts';
import { EMPTY_DISTRIBUTION, pickWeightedRevision, revisionDistribution, shareOf, type RevisionDistribution } from './revision-distribution.ts';

export const DISAGGREGATEDSET_ROLLOUT_SCREENER_TYPE = 'disaggregatedset-rollout-screener';

interface PodRecord {
  readonly pod: string;
  readonly revision: string;
  readonly role: string;
}

/** What the metrics page reads (upstream metrics.go), pulled at scrape time. */
export interface RolloutMetricsSnapshot {
  readonly mode: GatingMode;
  /** Strict selections that matched no endpoint, by selector name. */
  readonly strictHeaderNoMatch: ReadonlyMap<string, number>;
  /** Every observed revision's share; 0 for one missing a required role. */
  readonly revisionShares: readonly (readonly [string, number])[];
}

export class DisaggregatedSetRolloutScreener implements Screener, ResponseReceived, EndpointObserver, EndpointStateHolder {
  readonly type = DISAGGREGATEDSET_ROLLOUT_SCREENER_TYPE;
  readonly name: string;
  readonly config: RolloutConfig;
  readonly #gating: boolean;
  readonly #strict: readonly HeaderSelector[];
  readonly #random: () => number;
  /** endpoint key -> the pod behind it, for in-scope Ready pods with a revision and a role. */
  readonly #pods = new Map<string, PodRecord>();
  #distribution: RevisionDistribution = EMPTY_DISTRIBUTION;
  readonly #noMatch = new Map<string, number>();
  /** Per-request scratch, grown by doubling: this screener's own verdict and the revision index per candidate, revisions present. */
  #own = new Uint8Array(64);
  #revision = new Int32Array(64);
  #present = new Uint8Array(8);

  constructor(name: string, config: RolloutConfig, random: () => number = Math.random) {
    this.name = name;
    this.config = config;
    this.#gating = config.mode !== 'disabled';
    this.#strict = config.headerSelectors.filter((s) => s.mode === 'strict');
    this.#random = random;
  }

  // ------------------------------------------------------------ pods (off the request path)

  endpointChanged(ep: Endpoint): void {
    if (!this.#gating) return;
    if (countsTowardCoverage(this.config, ep.labels)) {
      const l = ep.labels;
      this.#pods.set(ep.key, { pod: `${ep.namespace}/${ep.podName}`, revision: l[this.config.revisionLabelKey]!, role: l[this.config.roleLabelKey]! });
    } else if (!this.#pods.delete(ep.key)) return;
    this.#rebuild();
  }

  removeEndpoint(key: string): void {
    if (this.#pods.delete(key)) this.#rebuild();
  }

  #rebuild(): void {
    const seen = new Set<string>();
    const counts = new Map<string, Map<string, number>>();
    for (const r of this.#pods.values()) {
      if (seen.has(r.pod)) continue; // a pod's ranks are one pod
      seen.add(r.pod);
      let perRole = counts.get(r.revision);
      if (perRole === undefined) counts.set(r.revision, (perRole = new Map()));
      perRole.set(r.role, (perRole.get(r.role) ?? 0) + 1);
    }
    this.#distribution = revisionDistribution(counts, this.config.requireRoles, this.config.mode);
  }

  /** The current distribution (tests, metrics). */
  get distribution(): RevisionDistribution {
    return this.#distribution;
  }

  // ------------------------------------------------------------ request path

  screen(request: LLMRequest, candidates: readonly Endpoint[], keep: Uint8Array): void {
    const n = candidates.length;
    if (this.#own.length < n) {
      this.#own = new Uint8Array(Math.max(n, this.#own.length * 2));
      this.#revision = new Int32Array(this.#own.length);
    }
    const own = this.#own;
    own.fill(1, 0, n);
    let left = n;
    if (this.#gating) left = this.#gate(request, candidates, own);
    if (left > 0) this.#screenStrict(request, candidates, own);
    for (let i = 0; i < n; i++) if (own[i] === 0) keep[i] = 0;
  }

  /**
   * Keeps the candidates of covered revisions, and, without a strict header, of one revision drawn by share among
   * those present. An empty distribution (no pod seen yet) keeps nothing: fail closed, as upstream.
   */
  #gate(request: LLMRequest, candidates: readonly Endpoint[], own: Uint8Array): number {
    const d = this.#distribution;
    const key = this.config.revisionLabelKey;
    if (this.#present.length < d.revisions.length) this.#present = new Uint8Array(d.revisions.length * 2);
    const present = this.#present;
    const revision = this.#revision;
    present.fill(0, 0, d.revisions.length);
    // One label read and map lookup per candidate, kept for the second pass (half the cost at 1,000 endpoints).
    for (let i = 0; i < candidates.length; i++) {
      const r = d.index.get(candidates[i]!.labels[key] ?? '') ?? -1;
      revision[i] = r;
      if (r >= 0) present[r] = 1;
    }
    const chosen = this.#hasStrictHeader(request) ? -1 : pickWeightedRevision(d.shares, present, this.#random());
    let left = 0;
    for (let i = 0; i < candidates.length; i++) {
      const r = revision[i]!;
      const ok = r >= 0 && (chosen === -1 || r === chosen);
      own[i] = ok ? 1 : 0;
      if (ok) left++;
    }
    return left;
  }

  #hasStrictHeader(request: LLMRequest): boolean {
    for (const s of this.#strict) if ((request.headers.get(s.headerName) ?? '') !== '') return true;
    return false;
  }

  /** Each strict selector whose header is set keeps only the candidates labelled with its value; none left fails closed. */
  #screenStrict(request: LLMRequest, candidates: readonly Endpoint[], own: Uint8Array): void {
    for (const s of this.#strict) {
      const wanted = request.headers.get(s.headerName) ?? '';
      if (wanted === '') continue;
      let left = 0;
      for (let i = 0; i < candidates.length; i++) {
        if (own[i] === 0) continue;
        if (candidates[i]!.labels[s.labelKey] === wanted) left++;
        else own[i] = 0;
      }
      if (left === 0) {
        this.#noMatch.set(s.name, (this.#noMatch.get(s.name) ?? 0) + 1);
        return;
      }
    }
  }

  // ------------------------------------------------------------ response

  /** Upstream ResponseHeader: every selector, strict or prefer, stamps the serving endpoint's label when it has one. */
  responseReceived(_request: LLMRequest, response: LLMResponse, endpoint: Endpoint): void {
    for (const s of this.config.headerSelectors) {
      const value = endpoint.labels[s.labelKey] ?? '';
      if (value !== '') response.setHeader(s.headerName, value);
    }
  }

  rolloutMetrics(): RolloutMetricsSnapshot {
    const d = this.#distribution;
    return {
      mode: this.config.mode,
      strictHeaderNoMatch: this.#noMatch,
      revisionShares: [...d.roleCounts.keys()].map((r) => [r, shareOf(d, r)] as const),
    };
  }
}

export function createDisaggregatedSetRolloutScreener(name: string, params: unknown, _handle: PluginHandle): DisaggregatedSetRolloutScreener {
  return new DisaggregatedSetRolloutScreener(name, parseRolloutConfig(name, params));
}
