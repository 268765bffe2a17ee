/**
 * Request control: turns a parsed request into a routing decision. Model rewrite -> objective priority ->
 * candidates (subset hint) -> admission (shed sheddable requests when saturated) -> scheduler -> in-flight
 * accounting. Synchronous: nothing here waits on I/O.
 */
import type { Logger } from 'pino';
import type { DatastoreReader } from '../datastore/datastore.ts';
import type { Endpoint } from '../datastore/endpoint.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { SaturationDetector, Scheduler } from '../framework/scheduling.ts';
import type { PickerMetrics } from '../observability/metrics.ts';
import { locateCandidates } from './candidates.ts';
import { EppError } from './errors.ts';
import { weightedChoice } from './weighted-choice.ts';

export const HEADER_OBJECTIVE = 'x-gateway-inference-objective';
export const HEADER_MODEL_REWRITE = 'x-gateway-model-name-rewrite';

/** What the director reads from the datastore. */
export type DirectorDatastore = DatastoreReader & { models(): readonly unknown[] };

export interface DirectorOptions {
  datastore: DirectorDatastore;
  scheduler: Scheduler;
  saturation: SaturationDetector;
  metrics: PickerMetrics | undefined;
  logger: Logger;
  /** Reject models that no InferenceModel or rewrite names (404) instead of routing them as sheddable. */
  strictModels: boolean;
  /** Ignore the gateway's subset hint (--disable-endpoint-subset-filter). */
  disableSubsetFilter: boolean;
  random?: () => number;
}

/** Where to send a request. */
export interface RouteDecision {
  /** Ordered: primary first, then fallbacks. */
  endpoints: Endpoint[];
  /** Comma-joined "ip:port" list for x-gateway-destination-endpoint. */
  destination: string;
}

export class Director {
  readonly #o: DirectorOptions;
  readonly #random: () => number;
  readonly #subsetScratch: Endpoint[] = [];

  constructor(options: DirectorOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Fills req.targetModel, req.priority, req.sheddable. Throws MODEL_NOT_FOUND in strict mode. */
  resolveModel(req: LLMRequest): void {
    const ds = this.#o.datastore;
    const model = ds.model(req.model);
    const headerTarget = req.headers.get(HEADER_MODEL_REWRITE);
    let target = req.model;
    if (headerTarget) {
      target = headerTarget;
    } else {
      const rule = ds.rewriteRule(req.model);
      const fromRule = rule && weightedChoice(rule.targets, this.#random);
      if (fromRule) {
        target = fromRule.modelRewrite;
      } else if (model && model.targetModels.length > 0) {
        target = weightedChoice(model.targetModels, this.#random)?.name ?? req.model;
      } else if (!model && this.#o.strictModels) {
        throw new EppError('MODEL_NOT_FOUND', `The model \`${req.model}\` does not exist.`, 'model');
      }
    }
    req.targetModel = target;
    if (target !== req.model) this.#o.metrics?.rewriteDecisions.labels(model?.name ?? '', req.model, target).inc();

    const objectiveName = req.headers.get(HEADER_OBJECTIVE) ?? '';
    req.objective = objectiveName;
    const objective = objectiveName ? ds.objective(objectiveName) : undefined;
    req.priority = objective?.priority ?? 0;
    if (objective) {
      // InferenceObjective is the successor API: its priority decides (negative = sheddable).
      req.sheddable = req.priority < 0;
    } else {
      // InferenceModel criticality; an unknown model while InferenceModels are in use is sheddable (upstream v1alpha2).
      const criticality = model ? (model.criticality ?? 'Standard') : ds.models().length > 0 ? 'Sheddable' : 'Standard';
      req.sheddable = criticality === 'Sheddable';
    }
  }

  /** Picks endpoints for `req`. Throws EppError (NO_ENDPOINT 503, SHED 429, SCHEDULING_FAILED 429). */
  route(req: LLMRequest, subset: readonly string[] | null): RouteDecision {
    const ds = this.#o.datastore;
    const all = ds.endpoints();
    const candidates = locateCandidates(all, this.#o.disableSubsetFilter ? null : subset, this.#subsetScratch);
    if (candidates.length === 0) {
      const why = all.length === 0 ? (ds.pool() ? 'the pool has no ready endpoints' : 'the pool is not known yet') : 'no endpoint matches the gateway subset hint';
      throw new EppError('NO_ENDPOINT', `failed to find endpoint candidates for serving the request: ${why}`);
    }
    if (req.sheddable && this.#o.saturation.saturation(candidates) >= 1) {
      this.#o.metrics?.shed.labels(req.model).inc();
      throw new EppError('SHED', 'system saturated, sheddable request dropped');
    }
    const result = this.#o.scheduler.schedule(req, candidates);
    // Only the scheduling cycle reads the prompt. For chat it is a slice that holds the whole body text, and
    // a request lives for seconds: kept, every prompt was copied by scavenges and promoted (BUFFERED 32 KB
    // cost 6 us more per request, bench/README.md).
    req.promptText = '';
    if (!result.ok) throw new EppError('SCHEDULING_FAILED', `failed to find target endpoint: ${result.reason}`);
    const endpoints = result.endpoints.slice(0, result.count);
    const primary = endpoints[0];
    if (!primary) throw new EppError('INTERNAL', 'scheduler returned no endpoint');
    primary.inflightRequests++;
    let destination = primary.key;
    for (let i = 1; i < endpoints.length; i++) destination += `,${endpoints[i]!.key}`;
    return { endpoints, destination };
  }

  /** Releases a routed request's accounting. Call exactly once per routed request, however it ended. */
  finished(req: LLMRequest, endpoint: Endpoint): void {
    if (endpoint.inflightRequests > 0) endpoint.inflightRequests--;
    this.#o.scheduler.responseComplete(req, endpoint);
  }

  /** The gateway reported serving from another endpoint of the list: move the accounting there. */
  served(from: Endpoint, toKey: string): Endpoint {
    const to = this.#o.datastore.endpoint(toKey);
    if (!to || to === from) return from;
    if (from.inflightRequests > 0) from.inflightRequests--;
    to.inflightRequests++;
    return to;
  }
}
