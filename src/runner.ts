/**
 * Wires the picker together: datastore <- (resources file | Kubernetes) ; metric collector ; scheduler from
 * config ; director ; ext_proc server ; health ; Prometheus. The only module that knows every part.
 */
import type { Logger } from 'pino';
import { Datastore } from './datastore/datastore.ts';
import { MetricsCollector } from './datalayer/collector.ts';
import { PagePoller } from './datalayer/page-poller.ts';
import { EngineTable } from './datalayer/engines.ts';
import { FileDiscoverySource } from './datalayer/file-discovery.ts';
import { startExtProcServer, serverCredentials, type ExtProcServer } from './extproc/server.ts';
import type { BodySendMode } from './extproc/codec/proto.ts';
import { systemClock, type Clock } from './framework/clock.ts';
import type { EndpointLookup, Plugin, PluginDurationHook, PluginHandle } from './framework/plugin.ts';
import type { Endpoint } from './framework/endpoint.ts';
import { HealthServer } from './observability/health.ts';
import { startTracing } from './observability/tracing.ts';
import { PickerMetrics, type RolloutScreenerFigures } from './observability/metrics.ts';
import { registerEncoderCacheMetrics, type EncoderCacheCounts } from './observability/encoder-cache-metrics.ts';
import { registerPrefixHitMetrics, type PrefixHitCounts } from './observability/prefix-hit-metrics.ts';
import { startMetricsServer } from './observability/metrics-server.ts';
import { inTreePluginRegistry } from './plugins/registry.ts';
import { Director } from './requestcontrol/director.ts';
import { EVICTION_ENGINE_RECLAIM_BUDGET_MS, EVICTION_LEADING_SENSOR_GRACE_MS, flowControllerFactory } from './config/flow-control.ts';
import { realTimers } from './flowcontrol/timers.ts';
import { FlowControlMetrics } from './observability/flowcontrol-metrics.ts';
import { FLOW_CONTROL_GATE } from './config/sections.ts';
import { EMPTY_FLOW_CONTROL } from './config/parse.ts';
import { createFcfsOrderingPolicy, FCFS_ORDERING_POLICY_TYPE } from './plugins/flowcontrol/ordering/fcfs/fcfs.ts';
import { CONCURRENCY_DETECTOR_TYPE } from './plugins/flowcontrol/saturation-detector/concurrency/concurrency-detector.ts';
import { createGlobalStrictFairnessPolicy, GLOBAL_STRICT_FAIRNESS_POLICY_TYPE } from './plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { ResourceFileSource } from './resources/file-source.ts';
import { compactHeap } from './runtime/heap-compaction.ts';
import { LargeBodyReclaimer } from './runtime/large-body-reclaim.ts';
import { loadSchedulerConfig } from './config/loader.ts';
import { DecisionRing } from './operator/live-page/decision-ring.ts';
import { LiveHub } from './operator/live-page/hub.ts';
import { LiveSnapshots } from './operator/live-page/snapshot.ts';
import { operatorRoutes } from './operator/operator-routes.ts';
import { pluginStabilityError } from './config/stability.ts';
import { observesEndpoints } from './framework/datalayer.ts';
import { AdapterSyncer } from './adaptersync/syncer.ts';

/** Request bodies from this size on arm the memory-reducing GC after a burst (runtime/large-body-reclaim.ts). */
const LARGE_BODY_BYTES = 4 * 1024 * 1024;
import type { Flags } from './cli/flags.ts';
import { StartupError } from './startup/startup-error.ts';
import { readConfigFile, scrapeTls } from './startup/files.ts';
import { metricsServerOptions, PENDING_REVIEWER } from './startup/metrics-endpoint.ts';
import { startKubernetes, type Source } from './startup/kubernetes.ts';
import { startReplicas } from './startup/replicas.ts';

export { StartupError } from './startup/startup-error.ts';
import type { KubeClient } from './k8s/client.ts';

export interface PickerHandle {
  readonly grpcPort: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly datastore: Datastore;
  readonly health: HealthServer;
  readonly metrics: PickerMetrics;
  readonly resources: ResourceFileSource | undefined;
  readonly extProc: ExtProcServer;
  /** Graceful stop: not ready, stop accepting streams, let in-flight ones finish (up to the grace period). */
  stop(): Promise<void>;
  /**
   * SIGTERM as upstream: health NOT_SERVING and the Lease released at once, ext_proc kept serving new and
   * in-flight requests for --drain-timeout, then stop().
   */
  drain(): Promise<void>;
}

export interface StartOptions {
  /** Waits out the drain window; tests resolve it themselves. */
  wait?: (ms: number) => Promise<void>;
  /** The OTEL_* environment --tracing reads (process.env by default). */
  env?: NodeJS.ProcessEnv;
}

export async function startPicker(flags: Flags, logger: Logger, clock: Clock = systemClock, options: StartOptions = {}): Promise<PickerHandle> {
  // Scheduler first: a bad config must stop startup before any port opens.
  // The config says how endpoints map to engines (core-metrics-extractor), so the datastore comes after it;
  // plugins reach the endpoints through this lookup, which no factory calls.
  let datastore: Datastore | undefined;
  const endpoints: EndpointLookup = { endpoints: () => datastore?.endpoints() ?? [], endpoint: (key) => datastore?.endpoint(key) };
  const handle: PluginHandle = { endpoints, clock, logger, metricsStalenessMs: flags.metricsStalenessThresholdMs };
  const configText = flags.configFile ? readConfigFile(flags.configFile) : flags.configText || undefined;
  // /metrics files and the standalone auth rule are checked before anything starts (Kubernetes mode builds its
  // reviewer once the API client exists; the check here stands in for it).
  const earlyMetricsOptions = metricsServerOptions(flags, flags.resources ? undefined : PENDING_REVIEWER, logger);
  let metrics: PickerMetrics | undefined;
  // Per-plugin timing costs ~0.3 us per pick at 100 endpoints (bench/overhead/pick.bench.ts): only on request.
  const onPluginDuration: PluginDurationHook | undefined = flags.pluginDurationMetrics
    ? (point, type, name, seconds) => metrics?.pluginDuration(point, type, name).observe(seconds)
    : undefined;
  const registry = inTreePluginRegistry();
  const loaded = loadSchedulerConfig(configText, handle, {
    registry,
    observer: { onScheduleDuration: (seconds, ok) => metrics?.schedulingDone(ok, seconds), onPluginDuration },
  });
  for (const w of loaded.warnings) logger.warn({ config: flags.configFile || '(inline)' }, `scheduler config: ${w}`);
  const unstable = pluginStabilityError(loaded.plugins, registry, flags.allowExperimentalPlugins);
  if (unstable !== undefined) throw new StartupError(`Plugin stability validation failed: ${unstable}`);
  const engines = loaded.dataLayer.engines;
  // Built-in engines, replaced or joined by the core-metrics-extractor's engineConfigs.
  const engineTable = new EngineTable(engines?.engineConfigs);
  const ds = (datastore = new Datastore({
    poolName: flags.poolName,
    poolNamespace: flags.poolNamespace,
    endpointSelector: flags.endpointSelector,
    endpointTargetPorts: flags.endpointTargetPorts,
    ...(engines?.engineLabelKey ? { engineLabel: engines.engineLabelKey } : {}),
    ...(engines?.defaultEngine ? { defaultEngine: engines.defaultEngine } : {}),
    engines: engineTable.names(),
  }));
  const scheduler = loaded.scheduler;
  metrics = new PickerMetrics(datastore, { stalenessMs: flags.metricsStalenessThresholdMs, now: () => clock.now(), prefixIndexSize: () => loaded.indexEntries(),
    disaggDecisions: () => disaggDecisions(loaded.plugins.values()),
    // Registered only with a screener configured, as upstream registers them in the plugin factory.
    ...([...rolloutScreeners(loaded.plugins.values())].length > 0 ? { rolloutScreeners: () => rolloutScreeners(loaded.plugins.values()) } : {}),
    autoscaling: {
      targets: { queueSize: flags.autoscalingTargetQueueSize, saturation: flags.autoscalingTargetSaturation, inflightPerReplica: flags.autoscalingTargetInflight },
      saturation: (eps) => loaded.saturationDetector.saturation(eps),
    },
    warn: (msg) => logger.warn(msg),
  });
  // The encoder-cache families exist only when an mm-embeddings-cache producer is configured.
  if (!encoderCacheCounts(loaded.plugins.values()).next().done) registerEncoderCacheMetrics(metrics.registry, () => encoderCacheCounts(loaded.plugins.values()));
  // The prefix hit families exist only when an approx prefix producer (or a prefix scorer with its own) is configured.
  if (!prefixHitCounts(loaded.plugins.values()).next().done) registerPrefixHitMetrics(metrics.registry, () => prefixHitCounts(loaded.plugins.values()));
  datastore.on('endpointRemoved', (ep) => loaded.removeEndpoint(ep.key));
  // Extractors that read the endpoint itself (topology-extractor: pod labels) see every join and relabel.
  const observers = [...loaded.plugins.values()].filter(observesEndpoints);
  if (observers.length > 0) {
    const observe = (ep: Endpoint): void => {
      for (const o of observers) o.endpointChanged(ep);
    };
    datastore.on('endpointAdded', observe);
    datastore.on('endpointRelabelled', observe);
  }
  // Model names configured in InferenceModelRewrite keep their metric label past the 1000-name cap (upstream #2119).
  // InferenceModel names too: the autoscaling signals label models only by configured names.
  datastore.on('changed', () => metrics?.pinModels([...datastore.rewriteModelNames(), ...datastore.models().flatMap((m) => [m.modelName, ...m.targetModels.map((t) => t.name)])]));

  // State source.
  let source: Source & { onLeadershipChange?(f: () => void): void; kubeClient?: KubeClient };
  let resources: ResourceFileSource | undefined;
  if (flags.resources) {
    resources = new ResourceFileSource({ file: flags.resources, datastore, logger });
    resources.on('applied', () => metrics?.resourceReloads.labels('applied').inc());
    resources.on('rejected', () => metrics?.resourceReloads.labels('rejected').inc());
    const first = await resources.start();
    if (!first.ok) {
      resources.close();
      throw new StartupError(first.error.message);
    }
    const r = resources;
    source = { stop: () => r.close(), ready: () => true, leader: () => true, releaseLeadership: async () => {}, synced: Promise.resolve() };
  } else if (loaded.dataLayer.discovery !== undefined) {
    // dataLayer.discovery (multicluster-file-discovery): the endpoints file instead of an InferencePool.
    const files = new FileDiscoverySource(loaded.dataLayer.discovery, datastore, logger, flags.poolName);
    try {
      files.start();
    } catch (err) {
      throw new StartupError(`${loaded.dataLayer.discovery.type}: initial load failed: ${(err as Error).message}`);
    }
    source = { stop: () => files.stop(), ready: () => true, leader: () => true, releaseLeadership: async () => {}, synced: Promise.resolve() };
  } else {
    source = await startKubernetes(flags, datastore, logger);
  }
  const replicaSync = flags.replicaSync ? await startReplicas(flags, loaded.plugins.values(), source, clock, logger, metrics.registry) : undefined;
  // The garbage of loading the initial state (and the modules) is gone for good: give its pages back to the
  // OS (runtime/heap-compaction.ts). In standalone mode this runs before the collector starts and the ports
  // open. `stopped` is declared here, not read from `stopping` below: the sync may land during the awaits
  // before that declaration.
  let stopped = false;
  const compact = () => {
    if (stopped) return;
    const ms = compactHeap();
    logger.info({ ms: ms === null ? null : Math.round(ms), rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'heap compacted after loading the initial state');
  };
  if (resources) compact();
  else void source.synced.then(compact, () => {});

  // dataLayer: the metrics source's settings win over the flags; without a metrics source (injectDefaults:
  // false and none configured) nothing is scraped, as upstream.
  const scrape = loaded.dataLayer.scrape;
  const metricsPort = scrape?.port || flags.modelServerMetricsPort;
  const metricsPath = scrape?.path || flags.modelServerMetricsPath;
  const tls = scrape?.scheme === 'https' ? scrapeTls(scrape) : undefined;
  // Set once the director exists: a scrape may free capacity for requests waiting in flow control.
  let onCapacity = (): void => {};
  const collector =
    scrape === undefined
      ? undefined
      : new MetricsCollector({
          ...(tls ? { tls } : {}),
          datastore: ds,
          clock,
          logger,
          engines: engineTable,
          intervalMs: scrape.intervalMs || flags.refreshMetricsIntervalMs,
          timeoutMs: flags.metricsScrapeTimeoutMs,
          ...(metricsPort ? { metricsPort } : {}),
          ...(metricsPath ? { metricsPath } : {}),
          onScrape: (_ep, ok, durationMs) => {
            metrics?.scrapes.labels(ok ? 'success' : 'failure').inc();
            if (!ok) metrics?.pollError();
            metrics?.scrapeDuration.observe(durationMs / 1000);
            // A scrape may show an endpoint no longer saturated: queued requests can go (flow control).
            if (ok) onCapacity();
          },
        });
  if (collector) collector.start();
  else logger.warn('no metrics data source configured (dataLayer.injectDefaults: false): metrics collection is disabled');
  // dcgm-data-source, models-data-source: their pages polled beside the model-server metrics.
  const poller =
    loaded.dataLayer.polled.length === 0
      ? undefined
      : new PagePoller({ datastore: ds, logger, sources: loaded.dataLayer.polled, defaultIntervalMs: flags.refreshMetricsIntervalMs, timeoutMs: flags.metricsScrapeTimeoutMs });
  poller?.start();

  // The live page samples a few explained decisions per second, only while a page is open.
  const ring = flags.livePage ? new DecisionRing() : undefined;
  const m = metrics;
  const hub = ring
    ? new LiveHub({
        ring,
        snapshots: new LiveSnapshots({ endpoints: () => ds.endpoints(), pool: () => ds.pool(), registry: m.registry, ring, now: () => clock.now(), stalenessMs: flags.metricsStalenessThresholdMs }),
        onError: (err) => logger.warn({ err }, 'live page snapshot failed'),
      })
    : undefined;
  // The adapter syncer reads the scrapes above; off the request path (adaptersync/syncer.ts).
  const adapterSyncer = flags.adapterSyncer
    ? new AdapterSyncer(datastore, { intervalMs: flags.adapterSyncerIntervalMs, pathTemplate: flags.adapterPathTemplate, callTimeoutMs: 60_000, clock, logger })
    : undefined;
  adapterSyncer?.start();

  // The OpenTelemetry SDK is imported only when tracing exports somewhere (observability/tracing.ts).
  const tracing = await startTracing(flags.tracing, options.env ?? process.env, logger);
  const flowControlOn = loaded.featureGates.get(FLOW_CONTROL_GATE) === true;
  // Registered only with the gate on: its families are absent from /metrics otherwise.
  const fcMetrics = flowControlOn && metrics ? new FlowControlMetrics(metrics.registry, flags.poolName) : undefined;
  const flowControl = flowControlOn
    ? flowControllerFactory({
        entry: loaded.flowControl ?? EMPTY_FLOW_CONTROL,
        plugins: loaded.plugins,
        defaultOrdering: createFcfsOrderingPolicy(FCFS_ORDERING_POLICY_TYPE),
        defaultFairness: createGlobalStrictFairnessPolicy(GLOBAL_STRICT_FAIRNESS_POLICY_TYPE),
        clock: systemClock,
        timers: realTimers,
        observer: fcMetrics,
        reclamationObserver: fcMetrics,
        evictionGraceMs: loaded.saturationDetector.type === CONCURRENCY_DETECTOR_TYPE
          ? EVICTION_LEADING_SENSOR_GRACE_MS
          : flags.refreshMetricsIntervalMs + flags.metricsStalenessThresholdMs + EVICTION_ENGINE_RECLAIM_BUDGET_MS,
      })
    : undefined;
  const director = new Director({
    flowControl,
    tracer: tracing?.tracer,
    datastore,
    scheduler,
    saturation: loaded.saturationDetector,
    plugins: loaded.requestControl,
    parsers: loaded.parsers,
    onPluginDuration,
    metrics,
    logger,
    strictModels: flags.strictModels,
    disableSubsetFilter: flags.disableEndpointSubsetFilter,
    emitEndpointScores: flags.emitEndpointScores,
    explainHeader: flags.enableExplainHeader,
    decisionSink: ring,
    metricsClock: clock,
  });

  onCapacity = () => director.capacityChanged();

  const metricsOptions = flags.resources ? earlyMetricsOptions : metricsServerOptions(flags, source.reviewer, logger);
  const health = new HealthServer({ leaderElection: flags.haEnableLeaderElection && !flags.resources });
  await health.start(flags.bindAddress, flags.grpcHealthPort);
  const updateReadiness = () => {
    health.setSynced(datastore.synced());
    health.setLeader(source.leader());
  };
  datastore.on('changed', updateReadiness);
  source.onLeadershipChange?.(updateReadiness);
  // Informer sync completes without a datastore change when a namespace is empty: re-check now and then too.
  const readinessTimer = setInterval(updateReadiness, 1000).unref();
  updateReadiness();

  // Memory a burst of large bodies took goes back to the OS once the burst is over (runtime/large-body-reclaim.ts).
  const reclaimer = new LargeBodyReclaimer({
    thresholdBytes: LARGE_BODY_BYTES,
    delayMs: 1000,
    minIntervalMs: 10_000,
    onCompacted: (ms) => logger.debug({ ms: ms === null ? null : Math.round(ms), rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'heap compacted after large request bodies'),
  });
  if (flags.enableCertReload && !flags.certPath) logger.warn('--enable-cert-reload has no effect without --cert-path (the self-signed certificate is not reloaded), as upstream');
  const credentials = await serverCredentials({ secure: flags.secureServing, certPath: flags.certPath, minVersion: flags.tlsMinVersion, ciphers: flags.tlsCiphers });
  const certReload = flags.enableCertReload && flags.certPath ? { dir: flags.certPath } : undefined;
  const extProc = await startExtProcServer(flags.bindAddress, flags.grpcPort, credentials, {
    director,
    logger,
    onBodyDone: reclaimer.noteBody,
    maxBodyBytes: flags.maxRequestBodyBytes,
    requestBodyMode: flags.requestBodyMode as BodySendMode,
    responseBodyMode: flags.responseBodyMode as BodySendMode,
  }, (service) => health.status(service), certReload);
  const routes = operatorRoutes({ hub, dryRun: flags.debugExplain ? (headers, body) => director.explain(headers, body) : undefined });
  const metricsServer = await startMetricsServer(metrics.registry, flags.bindAddress, flags.metricsPort, { ...metricsOptions, routes });

  logger.info(
    { grpcPort: extProc.port, healthPort: health.port, metricsPort: metricsServer.boundPort, secure: flags.secureServing, pool: datastore.pool()?.name ?? null, endpoints: datastore.endpoints().length, scheduler: loaded.usedDefault ? 'default' : flags.configFile || 'inline' },
    'endpoint picker started',
  );

  let stopping: Promise<void> | undefined;
  let draining: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopped = true;
      health.setDraining();
      clearInterval(readinessTimer);
      reclaimer.stop();
      adapterSyncer?.stop();
      director.flowController?.close();
      await extProc.shutdown(flags.shutdownGracePeriodMs);
      await collector?.stop();
      await poller?.stop();
      await replicaSync?.stop();
      await source.stop();
      hub?.close();
      metricsServer.close();
      metricsServer.closeAllConnections();
      health.stop();
      await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'trace export shutdown failed'));
      logger.info('endpoint picker stopped');
    })());
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    grpcPort: extProc.port,
    healthPort: health.port,
    metricsPort: metricsServer.boundPort,
    datastore,
    health,
    metrics,
    resources,
    extProc,
    stop,
    drain: () =>
      (draining ??= (async () => {
        health.setDraining();
        logger.info({ drainTimeoutMs: flags.drainTimeoutMs }, 'shutdown signal received: draining (NOT_SERVING) while serving requests');
        await source.releaseLeadership();
        if (flags.drainTimeoutMs > 0 && !stopping) await wait(flags.drainTimeoutMs);
        logger.info('drain window elapsed, stopping');
        await stop();
      })()),
  };
}

/** The figures of the disaggregatedset-rollout-screeners among `plugins` (duck-typed, as disaggDecisions). */
function* rolloutScreeners(plugins: Iterable<Plugin>): Iterable<RolloutScreenerFigures> {
  for (const p of plugins) {
    const figures = (p as { rolloutMetrics?: () => Omit<RolloutScreenerFigures, 'name' | 'type'> }).rolloutMetrics;
    if (typeof figures === 'function') yield { name: p.name, type: p.type, ...figures.call(p) };
  }
}

/** The counts of the mm-embeddings-cache producers among `plugins` (duck-typed, as disaggDecisions). */
function* encoderCacheCounts(plugins: Iterable<Plugin>): Generator<readonly [string, string, EncoderCacheCounts]> {
  for (const p of plugins) {
    const counts = (p as { encoderCacheCounts?: () => EncoderCacheCounts }).encoderCacheCounts;
    if (typeof counts === 'function') yield [p.type, p.name, counts.call(p)];
  }
}

/** The hit counts of the approx prefix producers among `plugins` (duck-typed; a scorer without its own producer has none). */
function* prefixHitCounts(plugins: Iterable<Plugin>): Generator<readonly [string, string, PrefixHitCounts]> {
  for (const p of plugins) {
    const counts = (p as { prefixHitStats?: () => PrefixHitCounts | null }).prefixHitStats?.call(p);
    if (counts) yield [p.name, p.type, counts];
  }
}

/** The decision counts of the disaggregated profile handlers among `plugins` (duck-typed: runner imports no plugin). */
function* disaggDecisions(plugins: Iterable<Plugin>): Iterable<readonly [string, string, string, string, number]> {
  for (const p of plugins) {
    const counts = (p as { disaggDecisionCounts?: () => Iterable<readonly [string, string, number]> }).disaggDecisionCounts;
    if (typeof counts !== 'function') continue;
    for (const [model, d, n] of counts.call(p)) yield [p.name, p.type, model, d, n];
  }
}
