/**
 * Command-line flags, with the upstream names and defaults (GIE v1.5.0 and llm-d Router `pkg/epp/server/
 * options.go`, plus the controller-runtime zap flags). Accepts --name=value, --name value, -name=value (Go
 * style) and bare --bool. One table drives parsing, defaults and --help; `now` says what each flag does here.
 */
import type { LabelSelector } from '../input/label-selector.ts';
import { bool, byteSize, duration, FlagError, int, list, oneOf, port, ports, selector } from './flag-values.ts';
import type { LogOptions } from '../observability/logger.ts';
import { nodeCipherList, nodeTlsVersion, TlsNameError, type NodeTlsVersion } from '../tls/go-names.ts';

export { FlagError } from './flag-values.ts';

type Kind = 'string' | 'bool' | 'int' | 'duration' | 'ports' | 'size' | 'list';

/**
 * What a flag does here. `acts`: as upstream (or our own flag). `no-effect`: accepted and validated, nothing
 * here for it to change. `not-supported-yet`: accepted at values that need nothing new, a startup error at
 * the others. `rejected`: upstream rejects it when set, and so do we, with upstream's message.
 */
export type FlagStatus = 'acts' | 'no-effect' | 'not-supported-yet' | 'rejected';

interface FlagSpec {
  kind: Kind;
  default: string;
  help: string;
  now?: FlagStatus;
}

const DEPRECATED_METRIC = 'deprecated upstream (use engineConfigs in EndpointPickerConfig); an error when set';

export const FLAGS = {
  'grpc-port': { kind: 'int', default: '9002', help: 'gRPC port of the ext_proc server' },
  'grpc-health-port': { kind: 'int', default: '9003', help: 'gRPC port of the health server (grpc.health.v1)' },
  'metrics-port': { kind: 'int', default: '9090', help: 'HTTP port serving Prometheus metrics at /metrics' },
  'bind-address': { kind: 'string', default: '0.0.0.0', help: 'address the servers listen on' },
  'secure-serving': { kind: 'bool', default: 'true', help: 'serve ext_proc over TLS (self-signed unless --cert-path); false = plaintext h2c' },
  'cert-path': { kind: 'string', default: '', help: 'directory holding tls.crt and tls.key for the ext_proc server' },
  'enable-cert-reload': { kind: 'bool', default: 'false', help: 'reload the --cert-path certificate when its directory changes (new connections get it; open ones keep theirs)' },
  'tls-min-version': { kind: 'string', default: '', help: 'minimum TLS version of the ext_proc server: VersionTLS10-VersionTLS13 (Node default: TLS 1.2)' },
  'tls-cipher-suites': { kind: 'list', default: '', help: 'comma-separated Go TLS cipher suite names for TLS 1.2 and below (TLS 1.3 suites are not configurable, as upstream)' },
  'grpc-max-recv-msg-size': { kind: 'size', default: '', help: 'largest gRPC message received, e.g. 10MiB (validated; request bodies are bounded by --max-request-body-bytes)', now: 'no-effect' },
  'grpc-max-send-msg-size': { kind: 'size', default: '', help: 'largest gRPC message sent, e.g. 10MiB (validated; no effect)', now: 'no-effect' },
  resources: { kind: 'string', default: '', help: 'standalone mode: multi-document YAML of InferencePool/InferenceModel/InferenceObjective/InferenceModelRewrite/Pod objects, watched for changes (no cluster needed)' },
  'pool-name': { kind: 'string', default: '', help: 'name of the InferencePool to serve (standalone: optional when the file holds one pool)' },
  'pool-namespace': { kind: 'string', default: '', help: 'namespace of the pool (default: env NAMESPACE, then "default")' },
  'pool-group': { kind: 'string', default: 'inference.networking.k8s.io', help: 'API group of the pool (inference.networking.x-k8s.io for v1alpha2 pools)' },
  'endpoint-selector': { kind: 'string', default: '', help: 'pool-less mode: Kubernetes label selector choosing the model-server pods (k=v, k!=v, k in (a,b), k notin (a,b), k, !k; comma = and)' },
  'endpoint-target-ports': { kind: 'ports', default: '', help: 'pool-less mode: comma-separated target ports (1-8)' },
  'ha-enable-leader-election': { kind: 'bool', default: 'false', help: 'Kubernetes mode: elect a leader through the Lease epp-<namespace>-<pool>.llm-d.ai; only the leader reports ready' },
  'drain-timeout': { kind: 'duration', default: '30s', help: 'on SIGTERM: health NOT_SERVING and the Lease released at once, ext_proc kept serving this long, then stopped (with --resources: 0 unless set); a second signal stops at once' },
  'disable-endpoint-subset-filter': { kind: 'bool', default: 'false', help: 'ignore the gateway subset hint (envoy.lb.subset_hint metadata)' },
  'emit-endpoint-scores': { kind: 'bool', default: 'false', help: "emit the scheduler's per-endpoint scores in the request-path dynamic metadata under the 'x-gateway-destination-endpoint-scores' key of the 'envoy.lb' namespace" },
  'enable-explain-header': { kind: 'bool', default: 'false', help: 'a request with the x-epp-explain header gets the decision explained (every filter, scorer and the pick) as JSON in the x-epp-explanation response header' },
  'debug-explain': { kind: 'bool', default: 'true', help: 'serve POST /debug/explain on the metrics port (same auth as /metrics): dry-runs the scheduler on a posted request, routes nothing' },
  'live-page': { kind: 'bool', default: 'true', help: 'serve the live pool page at / on the metrics port (same auth as /metrics), pushed with server-sent events' },
  'refresh-metrics-interval': { kind: 'duration', default: '50ms', help: 'interval between model-server metric scrapes, per endpoint' },
  'refresh-prometheus-metrics-interval': { kind: 'duration', default: '5s', help: 'upstream flushes pool gauges this often; here they are computed when /metrics is scraped', now: 'no-effect' },
  'metrics-scrape-timeout': { kind: 'duration', default: '1s', help: 'timeout of one model-server metric scrape' },
  'metrics-staleness-threshold': { kind: 'duration', default: '2s', help: 'metrics older than this are stale: the endpoint counts as saturated' },
  'model-server-metrics-scheme': { kind: 'string', default: 'http', help: 'scheme of model-server metric scrapes (GIE, deprecated there): http (https not supported yet)', now: 'not-supported-yet' },
  'model-server-metrics-https-insecure-skip-verify': { kind: 'bool', default: 'true', help: 'skip certificate checks of https scrapes (GIE, deprecated there; no https scrapes yet)', now: 'no-effect' },
  'adapter-syncer': { kind: 'bool', default: 'false', help: 'ours: reconcile the LoRA adapters InferenceModelRewrite / InferenceModel targets name onto the model servers (vLLM /v1/load_lora_adapter, /v1/unload_lora_adapter)' },
  'adapter-syncer-interval': { kind: 'duration', default: '2s', help: 'ours: how often the adapter syncer reconciles (also on every resource change)' },
  'adapter-path-template': { kind: 'string', default: '/adapters/{name}', help: 'ours: lora_path the adapter syncer loads an adapter from; {name} is the adapter name' },
  'autoscaling-target-queue-size': { kind: 'int', default: '5', help: 'ours: waiting requests per replica the desired-replica hints aim at (inference_extension_pool_desired_replicas)' },
  'autoscaling-target-saturation': { kind: 'string', default: '0.8', help: 'ours: pool saturation (saturation detector, 1 = saturated) the desired-replica hints aim at' },
  'autoscaling-target-inflight': { kind: 'int', default: '32', help: 'ours: in-flight requests per replica the per-model desired-replica hint aims at' },
  'model-server-metrics-path': { kind: 'string', default: '', help: 'metrics path override (default per engine: /metrics, trtllm-serve /prometheus/metrics)' },
  'model-server-metrics-port': { kind: 'int', default: '0', help: 'metrics port override (0 = the endpoint\'s target port)' },
  'total-queued-requests-metric': { kind: 'string', default: 'vllm:num_requests_waiting', help: DEPRECATED_METRIC, now: 'rejected' },
  'total-running-requests-metric': { kind: 'string', default: 'vllm:num_requests_running', help: DEPRECATED_METRIC, now: 'rejected' },
  'kv-cache-usage-percentage-metric': { kind: 'string', default: 'vllm:kv_cache_usage_perc', help: DEPRECATED_METRIC, now: 'rejected' },
  'lora-info-metric': { kind: 'string', default: 'vllm:lora_requests_info', help: DEPRECATED_METRIC, now: 'rejected' },
  'cache-info-metric': { kind: 'string', default: 'vllm:cache_config_info', help: DEPRECATED_METRIC, now: 'rejected' },
  'config-file': { kind: 'string', default: '', help: 'scheduler config file (EndpointPickerConfig YAML)' },
  'config-text': { kind: 'string', default: '', help: 'scheduler config as inline text (exclusive with --config-file)' },
  'allow-experimental-plugins': { kind: 'bool', default: 'false', help: 'Allows loading of experimental Alpha plugins (without it a config naming an Alpha type fails to start)' },
  'max-request-body-bytes': { kind: 'int', default: String(32 * 1024 * 1024), help: 'larger request bodies are rejected with 413' },
  'request-body-mode': { kind: 'string', default: 'FULL_DUPLEX_STREAMED', help: 'request body mode assumed when Envoy sends no protocol_config (Envoy < 1.34): FULL_DUPLEX_STREAMED or BUFFERED' },
  'response-body-mode': { kind: 'string', default: 'FULL_DUPLEX_STREAMED', help: 'response body mode assumed when Envoy sends no protocol_config' },
  'strict-models': { kind: 'bool', default: 'false', help: 'reject (404) models no InferenceModel or InferenceModelRewrite names, instead of routing them as sheddable' },
  'plugin-duration-metrics': { kind: 'bool', default: 'false', help: 'record inference_extension_plugin_duration_seconds per plugin call (costs ~0.3 us per pick)' },
  'enable-grpc-stream-metrics': { kind: 'bool', default: 'false', help: 'upstream ext_proc stream metrics (accepted; not exported here)', now: 'no-effect' },
  'metrics-endpoint-auth': { kind: 'bool', default: 'true', help: 'bearer-token auth on /metrics: Kubernetes TokenReview + SubjectAccessReview (get /metrics); with --resources only the --metrics-auth-token-file token (unset there and not given: off)' },
  'metrics-auth-token-file': { kind: 'string', default: '', help: 'file holding a static bearer token accepted on /metrics (the auth of standalone mode; also accepted in Kubernetes mode)' },
  'metrics-cert-dir': { kind: 'string', default: '', help: 'HTTPS on /metrics with tls.crt/tls.key from this directory (TLS 1.2+, reloaded on change)' },
  'metrics-client-ca-file': { kind: 'string', default: '', help: 'mTLS on /metrics: client certificates must verify against this PEM CA (needs --metrics-cert-dir)' },
  'enable-pprof': { kind: 'bool', default: 'true', help: 'Go pprof handlers upstream; none in Node (use --inspect)', now: 'no-effect' },
  'health-checking': { kind: 'bool', default: 'false', help: 'upstream: grpc.health on the ext_proc port too; here it is always answered there', now: 'no-effect' },
  tracing: { kind: 'bool', default: 'true', help: 'OpenTelemetry span per request, exported when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set (sampler: OTEL_TRACES_SAMPLER[_ARG], default parentbased_traceidratio 0.1)' },
  'shutdown-grace-period': { kind: 'duration', default: '30s', help: 'after the drain window, how long in-flight streams may take to finish before they are cut' },
  'replica-sync': { kind: 'bool', default: 'false', help: 'active-active replicas: share learned state (prefix index, in-flight load) with the other picker replicas over ZMQ' },
  'replica-sync-port': { kind: 'int', default: '9005', help: 'replica sync PUB port; the snapshot port a joining replica asks is this + 1' },
  'replica-peers': { kind: 'list', default: '', help: 'standalone mode: comma-separated host:port sync addresses of the other replicas (Kubernetes mode discovers them)' },
  'replica-service': { kind: 'string', default: '', help: "Kubernetes mode: the picker's own Service, whose EndpointSlices list the replicas (default: <pool-name>-epp)" },
  'replica-sync-interval': { kind: 'duration', default: '5ms', help: 'how often a replica publishes its batched state changes' },
  'replica-sync-curve-keys': { kind: 'string', default: '', help: "ours: directory (a mounted Secret) with the replicas' shared CURVE keypair, public.key and secret.key (Z85), and an optional allowed-peers file; set = the sync is encrypted and only peers with an allowed key are served" },
  'replica-sync-allowed-peers': { kind: 'string', default: '', help: 'ours: file of extra CURVE public keys (Z85, one a line) admitted besides the shared one, e.g. during a key rotation' },
  'replica-peer-ttl': { kind: 'duration', default: '2s', help: "a peer silent this long is dropped with its in-flight load (heartbeats every quarter of it)" },
  v: { kind: 'int', default: '0', help: 'log verbosity: 0-1 info, 2-3 debug (per-request lines), 4+ trace' },
  'zap-encoder': { kind: 'string', default: 'json', help: 'log encoding: json or console' },
  'zap-log-level': { kind: 'string', default: '', help: 'log level: debug, info, error, panic or an integer verbosity (default from --v)' },
  'zap-devel': { kind: 'bool', default: 'false', help: 'development logging: console encoding, debug level, stack traces from warn' },
  'zap-stacktrace-level': { kind: 'string', default: 'error', help: 'records at or above this level carry a stacktrace: info, error or panic' },
  'zap-time-encoding': { kind: 'string', default: 'epoch', help: 'time field: epoch (s), millis, nano, iso8601, rfc3339 or rfc3339nano' },
} satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

export interface Flags {
  grpcPort: number;
  grpcHealthPort: number;
  metricsPort: number;
  bindAddress: string;
  secureServing: boolean;
  certPath: string;
  enableCertReload: boolean;
  /** node:tls names (--tls-min-version, --tls-cipher-suites mapped from Go's); undefined = Node's defaults. */
  tlsMinVersion: NodeTlsVersion | undefined;
  tlsCiphers: string | undefined;
  metricsEndpointAuth: boolean;
  /** --metrics-endpoint-auth was given (in standalone mode the default does not ask for a token). */
  metricsEndpointAuthSet: boolean;
  metricsAuthTokenFile: string;
  metricsCertDir: string;
  metricsClientCaFile: string;
  resources: string;
  poolName: string;
  poolNamespace: string;
  poolGroup: string;
  endpointSelector: LabelSelector | undefined;
  endpointTargetPorts: number[];
  haEnableLeaderElection: boolean;
  drainTimeoutMs: number;
  disableEndpointSubsetFilter: boolean;
  emitEndpointScores: boolean;
  enableExplainHeader: boolean;
  debugExplain: boolean;
  livePage: boolean;
  refreshMetricsIntervalMs: number;
  metricsScrapeTimeoutMs: number;
  metricsStalenessThresholdMs: number;
  modelServerMetricsPath: string;
  adapterSyncer: boolean;
  adapterSyncerIntervalMs: number;
  adapterPathTemplate: string;
  autoscalingTargetQueueSize: number;
  autoscalingTargetSaturation: number;
  autoscalingTargetInflight: number;
  modelServerMetricsPort: number;
  configFile: string;
  configText: string;
  maxRequestBodyBytes: number;
  grpcMaxRecvMsgSize: number;
  grpcMaxSendMsgSize: number;
  requestBodyMode: string;
  responseBodyMode: string;
  strictModels: boolean;
  pluginDurationMetrics: boolean;
  allowExperimentalPlugins: boolean;
  tracing: boolean;
  shutdownGracePeriodMs: number;
  replicaSync: boolean;
  replicaSyncPort: number;
  replicaPeers: string[];
  replicaService: string;
  replicaSyncIntervalMs: number;
  replicaPeerTtlMs: number;
  replicaSyncCurveKeys: string;
  replicaSyncAllowedPeers: string;
  v: number;
  log: LogOptions;
  help: boolean;
}

const ZAP_LEVELS = ['debug', 'info', 'error', 'panic'] as const;
const TLS_VERSIONS = ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'] as const;

/** Parses argv (without node and script). Throws FlagError naming the flag. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Flags {
  const { raw, help } = scan(argv);
  const get = (n: FlagName) => raw.get(n) ?? FLAGS[n].default;
  checkSupported(raw);
  const v = int(get('v'), 'v', 0, 10);
  const flags: Flags = {
    grpcPort: port(get('grpc-port'), 'grpc-port'),
    grpcHealthPort: port(get('grpc-health-port'), 'grpc-health-port'),
    metricsPort: port(get('metrics-port'), 'metrics-port'),
    bindAddress: get('bind-address'),
    secureServing: bool(get('secure-serving'), 'secure-serving'),
    certPath: get('cert-path'),
    enableCertReload: bool(get('enable-cert-reload'), 'enable-cert-reload'),
    tlsMinVersion: get('tls-min-version') ? nodeTlsVersion(oneOf(get('tls-min-version'), 'tls-min-version', TLS_VERSIONS)) : undefined,
    tlsCiphers: tlsNames(() => nodeCipherList(list(get('tls-cipher-suites'))), 'tls-cipher-suites'),
    metricsEndpointAuth: bool(get('metrics-endpoint-auth'), 'metrics-endpoint-auth'),
    metricsEndpointAuthSet: raw.has('metrics-endpoint-auth'),
    metricsAuthTokenFile: get('metrics-auth-token-file'),
    metricsCertDir: get('metrics-cert-dir'),
    metricsClientCaFile: get('metrics-client-ca-file'),
    resources: get('resources'),
    poolName: get('pool-name'),
    poolNamespace: get('pool-namespace') || env.NAMESPACE || 'default',
    poolGroup: get('pool-group'),
    endpointSelector: selector(get('endpoint-selector')),
    endpointTargetPorts: ports(get('endpoint-target-ports')),
    haEnableLeaderElection: bool(get('ha-enable-leader-election'), 'ha-enable-leader-election'),
    // Standalone mode has no Service endpoints to drain from: no window unless asked for.
    drainTimeoutMs: flagsResourcesOnly(raw) ? 0 : duration(get('drain-timeout'), 'drain-timeout', false),
    disableEndpointSubsetFilter: bool(get('disable-endpoint-subset-filter'), 'disable-endpoint-subset-filter'),
    emitEndpointScores: bool(get('emit-endpoint-scores'), 'emit-endpoint-scores'),
    enableExplainHeader: bool(get('enable-explain-header'), 'enable-explain-header'),
    debugExplain: bool(get('debug-explain'), 'debug-explain'),
    livePage: bool(get('live-page'), 'live-page'),
    refreshMetricsIntervalMs: duration(get('refresh-metrics-interval'), 'refresh-metrics-interval'),
    metricsScrapeTimeoutMs: duration(get('metrics-scrape-timeout'), 'metrics-scrape-timeout'),
    metricsStalenessThresholdMs: duration(get('metrics-staleness-threshold'), 'metrics-staleness-threshold'),
    modelServerMetricsPath: get('model-server-metrics-path'),
    adapterSyncer: bool(get('adapter-syncer'), 'adapter-syncer'),
    adapterSyncerIntervalMs: duration(get('adapter-syncer-interval'), 'adapter-syncer-interval'),
    adapterPathTemplate: get('adapter-path-template'),
    autoscalingTargetQueueSize: int(get('autoscaling-target-queue-size'), 'autoscaling-target-queue-size', 1, 1_000_000),
    autoscalingTargetSaturation: positiveNumber(get('autoscaling-target-saturation'), 'autoscaling-target-saturation'),
    autoscalingTargetInflight: int(get('autoscaling-target-inflight'), 'autoscaling-target-inflight', 1, 1_000_000),
    modelServerMetricsPort: int(get('model-server-metrics-port'), 'model-server-metrics-port', 0, 65535),
    configFile: get('config-file'),
    configText: get('config-text'),
    maxRequestBodyBytes: int(get('max-request-body-bytes'), 'max-request-body-bytes', 1, 2 ** 31),
    grpcMaxRecvMsgSize: byteSize(get('grpc-max-recv-msg-size'), 'grpc-max-recv-msg-size'),
    grpcMaxSendMsgSize: byteSize(get('grpc-max-send-msg-size'), 'grpc-max-send-msg-size'),
    requestBodyMode: bodyMode(get('request-body-mode'), 'request-body-mode'),
    responseBodyMode: bodyMode(get('response-body-mode'), 'response-body-mode'),
    strictModels: bool(get('strict-models'), 'strict-models'),
    pluginDurationMetrics: bool(get('plugin-duration-metrics'), 'plugin-duration-metrics'),
    allowExperimentalPlugins: bool(get('allow-experimental-plugins'), 'allow-experimental-plugins'),
    tracing: bool(get('tracing'), 'tracing'),
    shutdownGracePeriodMs: duration(get('shutdown-grace-period'), 'shutdown-grace-period'),
    replicaSync: bool(get('replica-sync'), 'replica-sync'),
    replicaSyncPort: int(get('replica-sync-port'), 'replica-sync-port', 0, 65534),
    replicaPeers: list(get('replica-peers')),
    replicaService: get('replica-service'),
    replicaSyncIntervalMs: duration(get('replica-sync-interval'), 'replica-sync-interval'),
    replicaPeerTtlMs: duration(get('replica-peer-ttl'), 'replica-peer-ttl'),
    replicaSyncCurveKeys: get('replica-sync-curve-keys'),
    replicaSyncAllowedPeers: get('replica-sync-allowed-peers'),
    v,
    log: logOptions(raw, v),
    help,
  };
  duration(get('refresh-prometheus-metrics-interval'), 'refresh-prometheus-metrics-interval', false);
  for (const n of ['enable-pprof', 'health-checking', 'enable-grpc-stream-metrics', 'model-server-metrics-https-insecure-skip-verify'] as const) bool(get(n), n);
  if (flags.configFile && flags.configText) throw new FlagError('both the "config-file" and "config-text" flags cannot be set at the same time', 1); // upstream's text
  if (flags.endpointSelector && flags.poolName && !flags.resources) throw new FlagError('--pool-name and --endpoint-selector are mutually exclusive', 1);
  for (const peer of flags.replicaPeers) if (!/^[^\s]+:\d{1,5}$/.test(peer)) throw new FlagError(`--replica-peers: ${peer} is not host:port`, 1);
  if (flags.refreshMetricsIntervalMs <= 0) throw new FlagError('--refresh-metrics-interval must be positive', 1);
  if (flags.endpointSelector && flags.endpointTargetPorts.length === 0) throw new FlagError('--endpoint-selector needs --endpoint-target-ports', 1);
  // Upstream's Validate rules and messages.
  if (flags.metricsClientCaFile && !flags.metricsCertDir) throw new FlagError('"metrics-client-ca-file" requires "metrics-cert-dir"', 1);
  if (flags.metricsCertDir && !flags.metricsClientCaFile && !flags.metricsEndpointAuth) {
    throw new FlagError('"metrics-cert-dir" enables metrics TLS without authentication; set "metrics-client-ca-file" or "metrics-endpoint-auth"', 1);
  }
  return flags;
}

function flagsResourcesOnly(raw: ReadonlyMap<FlagName, string>): boolean {
  return !!raw.get('resources') && !raw.has('drain-timeout');
}

/** argv to name -> raw value; the last occurrence wins, as with pflag. */
function scan(argv: readonly string[]): { raw: Map<FlagName, string>; help: boolean } {
  const raw = new Map<FlagName, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h' || arg === '-help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-')) throw new FlagError(`unexpected argument "${arg}" (flags start with --)`);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = (eq >= 0 ? body.slice(0, eq) : body) as FlagName;
    const spec: FlagSpec | undefined = (FLAGS as Record<string, FlagSpec>)[name];
    if (!spec) throw new FlagError(`unknown flag --${name} (see --help)`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec.kind === 'bool') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag --${name} needs a value`);
      value = next;
      i++;
    }
    raw.set(name, value);
  }
  return { raw, help };
}

/** Rejected flags (upstream's message) and values of flags whose feature is not here yet. */
function checkSupported(raw: ReadonlyMap<FlagName, string>): void {
  for (const name of raw.keys()) {
    if ((FLAGS[name] as FlagSpec).now === 'rejected') {
      throw new FlagError(`flag "${name}" is deprecated and cannot be used; configure metrics via engineConfigs in EndpointPickerConfig instead`, 1);
    }
  }
  const needs: [FlagName, (v: string) => boolean, string][] = [
    ['model-server-metrics-scheme', (v) => scheme(v) === 'https', 'https metric scrapes'],
  ];
  for (const [name, needsFeature, feature] of needs) {
    const value = raw.get(name);
    if (value !== undefined && needsFeature(value)) throw new FlagError(`--${name}=${value}: ${feature} is not supported yet`, 1);
  }
}

/** The zap flags as pino options; --zap-log-level, when given, overrides --v (as upstream's Complete does). */
function logOptions(raw: ReadonlyMap<FlagName, string>, v: number): LogOptions {
  const devel = bool(raw.get('zap-devel') ?? 'false', 'zap-devel');
  const encoder = oneOf(raw.get('zap-encoder') ?? (devel ? 'console' : 'json'), 'zap-encoder', ['json', 'console']);
  let level: LogOptions['level'] = { verbosity: v };
  const lv = raw.get('zap-log-level');
  if (lv !== undefined) {
    if (/^\d+$/.test(lv)) level = { verbosity: int(lv, 'zap-log-level', 1, 127) };
    else level = { named: oneOf(lv, 'zap-log-level', ZAP_LEVELS, (s) => s.toLowerCase()) };
  } else if (devel && v === 0) level = { named: 'debug' };
  const stacktraceLevel = oneOf(raw.get('zap-stacktrace-level') ?? (devel ? 'warn' : 'error'), 'zap-stacktrace-level', ['debug', 'info', 'warn', 'error', 'panic'], (s) => s.toLowerCase());
  const timeEncoding = oneOf(raw.get('zap-time-encoding') ?? 'default', 'zap-time-encoding', ['default', 'epoch', 'millis', 'nano', 'iso8601', 'rfc3339', 'rfc3339nano']);
  return { encoder, level, stacktraceLevel, timeEncoding };
}

/** What each flag does here, for the docs and the compatibility table. */
export function flagStatus(name: FlagName): FlagStatus {
  return (FLAGS[name] as FlagSpec).now ?? 'acts';
}

export function helpText(): string {
  const lines = ['Usage: epp [flags]', '       epp explain [options]   how a running picker would route a request (epp explain --help)', '', 'Inference-aware endpoint picker: an Envoy ext_proc server that routes each LLM request to the best model-server pod.', '', 'Flags:'];
  for (const [name, spec] of Object.entries(FLAGS) as [string, FlagSpec][]) {
    const def = spec.default === '' ? '""' : spec.default;
    lines.push(`  --${name}${spec.kind === 'bool' ? '' : ` <${spec.kind}>`}`.padEnd(40) + `${spec.help} (default ${def})`);
  }
  lines.push('  --help'.padEnd(40) + 'show this help');
  return lines.join('\n');
}

/** Upstream's "invalid tls-cipher-suites: ..." for a name Go or this OpenSSL does not know. */
function tlsNames<T>(read: () => T, name: string): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof TlsNameError) throw new FlagError(`invalid ${name}: ${e.message}`, 1);
    throw e;
  }
}

function scheme(v: string): string {
  if (v !== 'http' && v !== 'https') throw new FlagError(`unexpected "${v}" value for "model-server-metrics-scheme" flag, it can only be set to 'http' or 'https'`, 1);
  return v;
}

function bodyMode(s: string, name: string): string {
  return oneOf(s, name, ['FULL_DUPLEX_STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'STREAMED', 'NONE'], (v) => v.toUpperCase());
}

function positiveNumber(v: string, name: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new FlagError(`invalid value "${v}" for flag -${name}: not a positive number`, 2);
  return n;
}
