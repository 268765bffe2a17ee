/**
 * Data-layer plugin contracts (upstream `fwkdl.DataSource`, extractors): what `dataLayer.sources` may name.
 * The metric collector (src/datalayer/) runs the scraping; these plugins carry its configuration.
 */
import type { Endpoint, EngineType } from './endpoint.ts';
import type { Plugin } from './plugin.ts';

/** How a metrics source scrapes each endpoint (upstream metrics-data-source parameters). */
export interface MetricsScrapeSettings {
  readonly scheme: 'http' | 'https';
  /** URL path of the page; '' = not configured (the --model-server-metrics-path flag, else each engine's default). */
  readonly path: string;
  /** Port instead of each endpoint's own; 0 = not configured (the --model-server-metrics-port flag, else the endpoint's). */
  readonly port: number;
  /** Scrape period in ms; 0 = the --refresh-metrics-interval tick. */
  readonly intervalMs: number;
  readonly insecureSkipVerify: boolean;
  readonly caCertPath: string;
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
}

/** A plugin `dataLayer.sources[].pluginRef` may name. */
export interface DataSource extends Plugin {
  readonly dataSource: true;
  /** Set for a model-server metrics source; undefined for sources the collector does not run. */
  readonly scrape: MetricsScrapeSettings | undefined;
}

/** How endpoints map to an engine's metric names (upstream core-metrics-extractor parameters). */
export interface EngineSettings {
  /** Pod label naming the engine; '' = the built-in label. */
  readonly engineLabelKey: string;
  /** Engine of pods without the label; undefined = the built-in default (vllm). */
  readonly defaultEngine: EngineType | undefined;
  /** Engines' metric names from `engineConfigs`: each replaces the built-in engine of its name, or adds one. */
  readonly engineConfigs: readonly EngineMetricConfig[];
}

/**
 * One `engineConfigs` entry (upstream engineConfigParams): PromQL-style selectors (`name` or
 * `name{label=value}`), '' = the engine does not expose that figure.
 */
export interface EngineMetricConfig {
  readonly name: string;
  readonly queuedRequestsSpec: string;
  readonly runningRequestsSpec: string;
  readonly kvUsageSpec: string;
  readonly loraSpec: string;
  readonly cacheInfoSpec: string;
  /** Labels of cacheInfoSpec carrying the block size and count; '' = block_size, num_gpu_blocks. */
  readonly cacheBlockSizeLabelName: string;
  readonly cacheNumBlocksLabelName: string;
  /** Gauges giving the cache geometry directly (TensorRT-LLM), instead of cacheInfoSpec. */
  readonly cacheBlockSizeSpec: string;
  readonly cacheNumBlocksSpec: string;
  /** Scalars written as endpoint attributes `<attributeKey>/core-metrics-extractor`. */
  readonly customMetrics: readonly { readonly attributeKey: string; readonly metricSpec: string }[];
}

/** A plugin `dataLayer.sources[].extractors[].pluginRef` may name. */
export interface DataExtractor extends Plugin {
  readonly dataExtractor: true;
  readonly engines: EngineSettings | undefined;
}

export function isDataSource(p: Plugin): p is DataSource {
  return (p as Partial<DataSource>).dataSource === true;
}

export function isDataExtractor(p: Plugin): p is DataExtractor {
  return (p as Partial<DataExtractor>).dataExtractor === true;
}

/**
 * A plugin that derives endpoint attributes from the endpoint itself (its pod labels), upstream's extractors
 * on endpoint-notification-source: the runner calls it when an endpoint joins and when its labels change.
 */
export interface EndpointObserver extends Plugin {
  endpointChanged(endpoint: Endpoint): void;
}

export function observesEndpoints(p: Plugin): p is EndpointObserver {
  return typeof (p as Partial<EndpointObserver>).endpointChanged === 'function';
}

/** How a polled source fetches one page per endpoint (upstream HTTPDataSource options). */
export interface PollSettings {
  readonly scheme: 'http' | 'https';
  /** URL path, with its leading slash. */
  readonly path: string;
  /** Port instead of the endpoint's own; 0 = the endpoint's. */
  readonly port: number;
  /** Poll period in ms; 0 = the --refresh-metrics-interval tick. */
  readonly intervalMs: number;
  readonly insecureSkipVerify: boolean;
  /** Poll the pod's node (status.hostIP: a DaemonSet exporter) instead of the pod IP. */
  readonly useNodeAddress: boolean;
  /**
   * Poll the host of the endpoint's `metricsAddress` label (and `metricsPort`, else the endpoint port) when it has
   * one: a peer cluster serving its pool metrics apart from its routable address (multicluster).
   */
  readonly metricsHostFromLabels?: boolean;
  /** https: CA bundle, client certificate and key (mTLS) files; '' = none. */
  readonly caCertPath: string;
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
}

/**
 * A data source the poller runs besides the model-server metrics source (upstream HTTPDataSource: DCGM exporter,
 * /v1/models): one GET per endpoint per period; the page goes to the source's extractors.
 */
export interface PolledSource extends DataSource {
  readonly poll: PollSettings;
}

/**
 * An extractor of a polled source's page. Throws when the page lacks what it needs (the poller counts and logs
 * it, rate-limited); the attribute then keeps its last value.
 */
export interface PageExtractor extends Plugin {
  readonly dataExtractor: true;
  extract(endpoint: Endpoint, page: string): void;
}

export function isPolledSource(p: Plugin): p is PolledSource {
  return isDataSource(p) && typeof (p as Partial<PolledSource>).poll === 'object';
}

export function isPageExtractor(p: Plugin): p is PageExtractor {
  return (p as Partial<PageExtractor>).dataExtractor === true && typeof (p as Partial<PageExtractor>).extract === 'function';
}

/** One endpoint a discovery file lists (upstream file-discovery EndpointEntry, validated). */
export interface DiscoveredEndpoint {
  readonly name: string;
  readonly namespace: string;
  /** An IP, or (multicluster) a peer cluster's gateway host name. */
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * A plugin `dataLayer.discovery` may name (upstream EndpointDiscovery): the endpoints come from its file instead
 * of an InferencePool's pods. The runner's discovery source reads and watches the file; the plugin validates it.
 */
export interface EndpointDiscovery extends Plugin {
  readonly discoveryFile: string;
  readonly watchFile: boolean;
  /** Discovers peer clusters (multicluster-file-discovery): model-server scraping does not apply to them. */
  readonly clusterScoped: boolean;
  /** The valid endpoints of the file's text, and why each other entry was skipped. Throws when the text does not parse. */
  parseEndpoints(text: string): { endpoints: DiscoveredEndpoint[]; skipped: string[] };
}

export function isEndpointDiscovery(p: Plugin): p is EndpointDiscovery {
  return typeof (p as Partial<EndpointDiscovery>).parseEndpoints === 'function';
}
