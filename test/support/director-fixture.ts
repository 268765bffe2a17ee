/** A real Director over a real datastore and the default scheduler config, for request-control and stream tests. */
import pino, { type Logger } from 'pino';
import { Datastore } from '../../src/datastore/datastore.ts';
import type { ModelSpec, ObjectiveSpec, PodSpec, RewriteSpec } from '../../src/datastore/resources.ts';
import type { Endpoint } from '../../src/framework/endpoint.ts';
import type { LLMRequest } from '../../src/framework/request.ts';
import type { Scheduler } from '../../src/framework/scheduling.ts';
import { isResponseComplete, isResponseReceived, type LLMResponse, type RequestControlPlugins, type ResponseComplete, type ResponseReceived } from '../../src/framework/requestcontrol.ts';
import { PickerMetrics } from '../../src/observability/metrics.ts';
import { inTreePluginRegistry } from '../../src/plugins/registry.ts';
import { Director, type DirectorOptions } from '../../src/requestcontrol/director.ts';
import type { RequestTracer } from '../../src/framework/tracing.ts';
import { loadSchedulerConfig } from '../../src/config/loader.ts';
import { observesEndpoints } from '../../src/framework/datalayer.ts';
import { testHandle } from './scheduling/testing.ts';

export interface DirectorFixture {
  readonly director: Director;
  readonly datastore: Datastore;
  readonly metrics: PickerMetrics;
  readonly completed: { req: LLMRequest; res: LLMResponse; endpoint: Endpoint }[];
  readonly received: string[];
  readonly clock: { advance(ms: number): void };
  /** The config's request-control plugins (before the recorder and `hooks`). */
  readonly requestControl: RequestControlPlugins;
}

export interface DirectorFixtureOptions {
  /** Hooks run after the config's own (and after the recorder). */
  hooks?: (ResponseReceived | ResponseComplete)[];
  models?: Partial<ModelSpec>[];
  objectives?: Partial<ObjectiveSpec>[];
  rewrites?: Partial<RewriteSpec>[];
  strictModels?: boolean;
  /** Queue depth every endpoint reports (>= 5 saturates the default detector). */
  queue?: number;
  pods?: number;
  /** Fixed draw for weighted choices. */
  random?: number;
  /** A datastore already filled (from a resources file or the Kubernetes source): used as is, the options above that fill one are ignored. */
  datastore?: Datastore;
  /** Replaces the default config's scheduler. */
  scheduler?: Scheduler;
  /** --emit-endpoint-scores. */
  emitEndpointScores?: boolean;
  /** Extra pod labels by pod index (e.g. llm-d.ai/role for P/D configs). */
  podLabels?: readonly Record<string, string>[];
  /** EndpointPickerConfig text; the default config when absent. */
  configText?: string;
  tracer?: RequestTracer;
  /** Flow control on, with this controller factory. */
  flowControl?: DirectorOptions['flowControl'];
  /** The director's and the plugins' logger; silent when absent. */
  logger?: Logger;
}

export const NOW = 1_000_000;

/** A director over a datastore of `pods` endpoints (10.0.0.1..n:8000), the default config and a recording hook. */
export function directorFixture(o: DirectorFixtureOptions = {}): DirectorFixture {
  const given = o.datastore;
  const datastore = given ?? new Datastore({ poolName: 'pool', poolNamespace: 'default' });
  const pods: PodSpec[] = Array.from({ length: o.pods ?? 3 }, (_, i) => ({
    name: `p${i}`,
    namespace: 'default',
    labels: { app: 'm', ...(o.podLabels?.[i] ?? {}) },
    annotations: {},
    ip: `10.0.0.${i + 1}`,
    ready: true,
    terminating: false,
  }));
  const meta = { namespace: 'default', poolRef: 'pool', createdAt: 0 };
  if (!given) datastore.replaceAll({
    pools: [{ name: 'pool', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' }],
    models: (o.models ?? []).map((m, i) => ({ name: `im${i}`, modelName: '', criticality: undefined, targetModels: [], ...meta, ...m })),
    objectives: (o.objectives ?? []).map((x, i) => ({ name: `obj${i}`, priority: undefined, ...meta, ...x })),
    rewrites: (o.rewrites ?? []).map((r, i) => ({ name: `rw${i}`, rules: [], ...meta, ...r })),
    pods,
  });
  if (!given) datastore.markSynced();
  const handle = { ...testHandle(), ...(o.logger ? { logger: o.logger } : {}) };
  handle.clock.advance(NOW - handle.clock.now());
  for (const ep of datastore.endpoints()) {
    ep.metricsUpdatedAt = handle.clock.now();
    ep.waitingQueue = o.queue ?? 0;
  }
  const logger = o.logger ?? pino({ level: 'silent' });
  const loaded = loadSchedulerConfig(o.configText, { ...handle, endpoints: datastore }, { registry: inTreePluginRegistry() });
  // As the runner wires them: endpoint observers see every join and relabel, state holders every removal.
  const observers = [...loaded.plugins.values()].filter(observesEndpoints);
  for (const ep of datastore.endpoints()) for (const o of observers) o.endpointChanged(ep);
  datastore.on('endpointAdded', (ep) => observers.forEach((o) => o.endpointChanged(ep)));
  datastore.on('endpointRelabelled', (ep) => observers.forEach((o) => o.endpointChanged(ep)));
  datastore.on('endpointRemoved', (ep) => loaded.removeEndpoint(ep.key));
  const completed: DirectorFixture['completed'] = [];
  const received: string[] = [];
  const recorder: ResponseComplete & ResponseReceived = {
    type: 'test-recorder',
    name: 'recorder',
    responseReceived: (_req, res, endpoint) => received.push(`${res.status}@${endpoint.key}`),
    responseComplete: (req, res, endpoint) => completed.push({ req, res, endpoint }),
  };
  const metrics = new PickerMetrics(datastore, { stalenessMs: 60_000, now: () => handle.clock.now() });
  const director = new Director({
    datastore,
    scheduler: o.scheduler ?? loaded.scheduler,
    saturation: loaded.saturationDetector,
    plugins: {
      ...loaded.requestControl,
      responseReceived: [...loaded.requestControl.responseReceived, recorder, ...(o.hooks ?? []).filter(isResponseReceived)],
      responseComplete: [...loaded.requestControl.responseComplete, recorder, ...(o.hooks ?? []).filter(isResponseComplete)],
    },
    parsers: loaded.parsers,
    metrics,
    logger,
    strictModels: o.strictModels ?? false,
    disableSubsetFilter: false,
    emitEndpointScores: o.emitEndpointScores ?? false,
    random: () => o.random ?? 0,
    now: () => handle.clock.now(),
    tracer: o.tracer,
    flowControl: o.flowControl,
  });
  return { director, datastore, metrics, completed, received, clock: handle.clock, requestControl: loaded.requestControl };
}

