/**
 * One routable model-server endpoint: a pod IP x target port. The scraper writes metric fields in place;
 * the scheduler only reads them. Every field is assigned in the constructor so V8 keeps one hidden class
 * for all endpoints (monomorphic property access in the scorer loops).
 */

/** A model-server engine name: a built-in one (ENGINE_TYPES) or one a core-metrics-extractor `engineConfigs` defines. */
export type EngineType = string;
/** The engines with built-in metric names (upstream defaultEngineConfigs, less the non-LLM `triton`). */
export const ENGINE_TYPES: readonly EngineType[] = ['vllm', 'sglang', 'trtllm-serve', 'triton-tensorrt-llm'];

const EMPTY: ReadonlySet<string> = new Set();
/** Shared by endpoints built without labels (tests, benchmarks). */
export const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export class Endpoint {
  /** "ip:port" (IPv6 in brackets): the value routed on, and the identity of the endpoint. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly podName: string;
  readonly namespace: string;
  /** Index of the port among the pool's targetPorts (data-parallel rank). */
  readonly rank: number;
  readonly engine: EngineType;
  /**
   * The pod's Kubernetes labels (filters by label read them: `llm-d.ai/role`, label selectors). Replaced, never
   * mutated, by the datastore when the pod's labels change.
   */
  labels: Readonly<Record<string, string>>;
  /** The pod's llm-d.ai/role label (decode, prefill, ...); '' when unlabelled. Kept in step with `labels`. */
  role = '';
  /** The pod's node (status.hostIP), for sources polling a per-node exporter; '' when unknown. */
  nodeAddress = '';

  // ---- scraped metrics (written by src/datalayer) ----
  waitingQueue = 0;
  runningRequests = 0;
  /** KV-cache usage in [0,1]. */
  kvCacheUsage = 0;
  /** max_lora from the LoRA info metric; 0 when unknown. */
  maxLora = 0;
  activeAdapters: ReadonlySet<string> = EMPTY;
  waitingAdapters: ReadonlySet<string> = EMPTY;
  /** Adapters resident on the server, idle or not (vllm:lora_adapter_loaded); empty when the engine does not say. */
  loadedAdapters: ReadonlySet<string> = EMPTY;
  /** The engine reports adapter residency: loadedAdapters is authoritative. */
  residencyKnown = false;
  /** KV block size in tokens from the cache config metric; 0 when unknown. */
  cacheBlockSize = 0;
  /** Number of KV blocks (num_gpu_blocks); 0 when unknown. */
  cacheNumBlocks = 0;
  /** Clock time (ms) of the last successful scrape; -1 = never scraped. */
  metricsUpdatedAt = -1;
  scrapeFailures = 0;
  /** Failed scrapes since the last good one: > 0 takes the endpoint out of the candidates (isAnswering). */
  consecutiveScrapeFailures = 0;
  /**
   * Clock time (ms) past which the scrape in flight counts as failed (a hung server accepts and never answers);
   * Infinity while no scrape is in flight. Set by the scrape loop from its recent durations, well before the
   * scrape timeout.
   */
  scrapeStallAt = Infinity;

  // ---- picker-side accounting (written by src/requestcontrol) ----
  /** Requests this picker routed here that have not finished. */
  inflightRequests = 0;
  /**
   * Inference watch (requestcontrol/answer-watch.ts): a server whose /metrics answers while its inference hangs
   * is seen only from here. Requests routed here with no response headers yet.
   */
  unanswered = 0;
  /** Clock time (ms) since which requests have waited here with no answer; -1 when none waits. */
  silentSince = -1;
  /** Recent dispatch-to-headers time (ms): rises at once, decays slowly; 0 = never answered (watch off). */
  answerLatencyMs = 0;
  /** Clock time (ms) until which the endpoint counts as hung (left out of the candidates); 0 = not hung. */
  hungUntil = 0;
  /** The next hang's exclusion (ms): doubles while it stays hung, reset by an answer. */
  hungBackoffMs = 0;
  /** While probing after a hang: the requests still waiting from before the probe; -1 otherwise. */
  probeBase = -1;

  /**
   * Per-endpoint state plugins keep for others, by data key (framework/data-keys.ts), e.g. in-flight load.
   * Lives as long as this Endpoint object: an endpoint that leaves and comes back starts empty.
   */
  readonly attributes: Map<string, unknown> = new Map();

  /** Set when the endpoint leaves the datastore, so late callbacks can tell. */
  removed = false;

  constructor(
    address: string,
    port: number,
    podName: string,
    namespace: string,
    rank: number,
    engine: EngineType,
    labels: Readonly<Record<string, string>> = NO_LABELS,
  ) {
    this.address = address;
    this.port = port;
    this.key = endpointKey(address, port);
    this.podName = podName;
    this.namespace = namespace;
    this.rank = rank;
    this.engine = engine;
    this.labels = labels;
  }

  /**
   * Whether the endpoint's metrics server answers: its last scrape succeeded and the one in flight (if any)
   * is not overdue. Frozen metrics of a killed or hung server look idle, so routing skips it (director).
   */
  isAnswering(now: number): boolean {
    return this.consecutiveScrapeFailures === 0 && now <= this.scrapeStallAt;
  }

  /** Age of the metrics in ms at `now`; Infinity when never scraped. */
  metricsAge(now: number): number {
    return this.metricsUpdatedAt < 0 ? Infinity : now - this.metricsUpdatedAt;
  }
}

export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The IP part of an "ip:port" string (the subset hint matches on IP only, as upstream). */
export function hostOf(hostPort: string): string {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    return end > 0 ? hostPort.slice(1, end) : hostPort;
  }
  const colon = hostPort.lastIndexOf(':');
  return colon > 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort;
}
