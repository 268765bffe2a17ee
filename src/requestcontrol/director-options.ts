/** What the director is built from (the runner, the fast simulation and tests construct it). */
import type { Logger } from 'pino';
import type { Clock } from '../framework/clock.ts';
import type { EndpointLookup, PluginDurationHook } from '../framework/plugin.ts';
import type { Parser } from '../framework/parser.ts';
import type { RequestControlPlugins, SaturationDetector } from '../framework/requestcontrol.ts';
import type { Scheduler } from '../framework/scheduling.ts';
import type { RequestTracer } from '../framework/tracing.ts';
import type { PoolSpec } from '../datastore/resources.ts';
import type { FlowController } from '../flowcontrol/controller.ts';
import type { PickerMetrics } from '../observability/metrics.ts';
import type { DecisionSink } from './explain.ts';
import type { ModelStore } from './model-resolution.ts';

export interface DirectorDatastore extends ModelStore, EndpointLookup {
  pool(): PoolSpec | undefined;
}

/** The request body as the stream gathered it: chunks (views of the received messages) and their size. */
export interface RequestBody {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
}

export interface DirectorOptions {
  datastore: DirectorDatastore;
  scheduler: Scheduler;
  saturation: SaturationDetector;
  /** Request-control hooks in run order (the config loader's requestControl). */
  plugins: RequestControlPlugins;
  /** Request parsers in config order (the config loader's parsers): chosen per request by path. */
  parsers: readonly Parser[];
  metrics: PickerMetrics | undefined;
  logger: Logger;
  /** Reject models that no InferenceModel or rewrite names (404) instead of routing them as sheddable. */
  strictModels: boolean;
  /** Ignore the gateway's subset hint (--disable-endpoint-subset-filter). */
  disableSubsetFilter: boolean;
  /** Put the primary profile's per-endpoint scores in the routing decision (--emit-endpoint-scores). */
  emitEndpointScores?: boolean;
  /** Answer the x-epp-explain request header with the decision's explanation (--enable-explain-header). */
  explainHeader?: boolean;
  /** Receives explanations of sampled requests (the live page); absent = none sampled. */
  decisionSink?: DecisionSink | undefined;
  /** Per-plugin timing of the hooks; off when absent. */
  onPluginDuration?: PluginDurationHook | undefined;
  random?: () => number;
  /** The scrape loop's clock: endpoints' scrape deadlines are in its time. systemClock by default. */
  metricsClock?: Clock;
  /** Time source for request timings (ms); performance.now by default. */
  now?: () => number;
  /** One span per request (--tracing with an exporter); absent = no tracing work at all. */
  tracer?: RequestTracer | undefined;
  /**
   * Flow control (feature gate flowControl): builds the controller, given the pool's "room for one more"
   * test. Absent = legacy admission (sheddable requests shed under saturation).
   */
  flowControl?: ((canDispatch: () => boolean, pool?: { saturation(): number; hasEndpoints(): boolean }) => FlowController) | undefined;
}
