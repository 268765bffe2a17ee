/**
 * Command-line flags, with the upstream names and defaults. Accepts --name=value, --name value, -name=value
 * (Go style) and bare --bool. One table drives parsing, defaults and --help.
 */
import { parseDuration } from '../input/duration.ts';
import { FieldError } from '../input/fields.ts';
import { parseLabelSelector, type LabelSelector } from '../input/label-selector.ts';

type Kind = 'string' | 'bool' | 'int' | 'duration' | 'ports';

interface FlagSpec {
  kind: Kind;
  default: string;
  help: string;
}

export const FLAGS = {
  'grpc-port': { kind: 'int', default: '9002', help: 'gRPC port of the ext_proc server' },
  'grpc-health-port': { kind: 'int', default: '9003', help: 'gRPC port of the health server (grpc.health.v1)' },
  'metrics-port': { kind: 'int', default: '9090', help: 'HTTP port serving Prometheus metrics at /metrics' },
  'bind-address': { kind: 'string', default: '0.0.0.0', help: 'address the servers listen on' },
  'secure-serving': { kind: 'bool', default: 'true', help: 'serve ext_proc over TLS (self-signed unless --cert-path); false = plaintext h2c' },
  'cert-path': { kind: 'string', default: '', help: 'directory holding tls.crt and tls.key for the ext_proc server' },
  resources: { kind: 'string', default: '', help: 'standalone mode: multi-document YAML of InferencePool/InferenceModel/InferenceObjective/InferenceModelRewrite/Pod objects, watched for changes (no cluster needed)' },
  'pool-name': { kind: 'string', default: '', help: 'name of the InferencePool to serve (standalone: optional when the file holds one pool)' },
  'pool-namespace': { kind: 'string', default: '', help: 'namespace of the pool (default: env NAMESPACE, then "default")' },
  'pool-group': { kind: 'string', default: 'inference.networking.k8s.io', help: 'API group of the pool (inference.networking.x-k8s.io for v1alpha2 pools)' },
  'endpoint-selector': { kind: 'string', default: '', help: 'pool-less mode: Kubernetes label selector choosing the model-server pods (k=v, k!=v, k in (a,b), k notin (a,b), k, !k; comma = and)' },
  'endpoint-target-ports': { kind: 'ports', default: '', help: 'pool-less mode: comma-separated target ports (1-8)' },
  'ha-enable-leader-election': { kind: 'bool', default: 'false', help: 'Kubernetes mode: elect a leader through a Lease; only the leader reports ready' },
  'disable-endpoint-subset-filter': { kind: 'bool', default: 'false', help: 'ignore the gateway subset hint (envoy.lb.subset_hint metadata)' },
  'emit-endpoint-scores': { kind: 'bool', default: 'false', help: "emit the scheduler's per-endpoint scores in the request-path dynamic metadata under the 'x-gateway-destination-endpoint-scores' key of the 'envoy.lb' namespace" },
  'refresh-metrics-interval': { kind: 'duration', default: '50ms', help: 'interval between model-server metric scrapes, per endpoint' },
  'metrics-scrape-timeout': { kind: 'duration', default: '1s', help: 'timeout of one model-server metric scrape' },
  'metrics-staleness-threshold': { kind: 'duration', default: '2s', help: 'metrics older than this are stale: the endpoint counts as saturated' },
  'model-server-metrics-path': { kind: 'string', default: '', help: 'metrics path override (default per engine: /metrics, trtllm-serve /prometheus/metrics)' },
  'model-server-metrics-port': { kind: 'int', default: '0', help: 'metrics port override (0 = the endpoint\'s target port)' },
  'config-file': { kind: 'string', default: '', help: 'scheduler config file (EndpointPickerConfig YAML)' },
  'config-text': { kind: 'string', default: '', help: 'scheduler config as inline text (exclusive with --config-file)' },
  'max-request-body-bytes': { kind: 'int', default: String(32 * 1024 * 1024), help: 'larger request bodies are rejected with 413' },
  'request-body-mode': { kind: 'string', default: 'FULL_DUPLEX_STREAMED', help: 'request body mode assumed when Envoy sends no protocol_config (Envoy < 1.34): FULL_DUPLEX_STREAMED or BUFFERED' },
  'response-body-mode': { kind: 'string', default: 'FULL_DUPLEX_STREAMED', help: 'response body mode assumed when Envoy sends no protocol_config' },
  'strict-models': { kind: 'bool', default: 'false', help: 'reject (404) models no InferenceModel or InferenceModelRewrite names, instead of routing them as sheddable' },
  'plugin-duration-metrics': { kind: 'bool', default: 'false', help: 'record inference_extension_plugin_duration_seconds per plugin call (costs ~0.3 us per pick)' },
  'shutdown-grace-period': { kind: 'duration', default: '30s', help: 'on SIGTERM, how long in-flight streams may take to finish' },
  v: { kind: 'int', default: '0', help: 'log verbosity: 0-1 info, 2-3 debug (per-request lines), 4+ trace' },
} satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

export interface Flags {
  grpcPort: number;
  grpcHealthPort: number;
  metricsPort: number;
  bindAddress: string;
  secureServing: boolean;
  certPath: string;
  resources: string;
  poolName: string;
  poolNamespace: string;
  poolGroup: string;
  endpointSelector: LabelSelector | undefined;
  endpointTargetPorts: number[];
  haEnableLeaderElection: boolean;
  disableEndpointSubsetFilter: boolean;
  emitEndpointScores: boolean;
  refreshMetricsIntervalMs: number;
  metricsScrapeTimeoutMs: number;
  metricsStalenessThresholdMs: number;
  modelServerMetricsPath: string;
  modelServerMetricsPort: number;
  configFile: string;
  configText: string;
  maxRequestBodyBytes: number;
  requestBodyMode: string;
  responseBodyMode: string;
  strictModels: boolean;
  pluginDurationMetrics: boolean;
  shutdownGracePeriodMs: number;
  v: number;
  help: boolean;
}

export class FlagError extends Error {
  override name = 'FlagError';
}

/** Parses argv (without node and script). Throws FlagError naming the flag. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Flags {
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
  const get = (n: FlagName) => raw.get(n) ?? FLAGS[n].default;
  const flags: Flags = {
    grpcPort: port(get('grpc-port'), 'grpc-port'),
    grpcHealthPort: port(get('grpc-health-port'), 'grpc-health-port'),
    metricsPort: port(get('metrics-port'), 'metrics-port'),
    bindAddress: get('bind-address'),
    secureServing: bool(get('secure-serving'), 'secure-serving'),
    certPath: get('cert-path'),
    resources: get('resources'),
    poolName: get('pool-name'),
    poolNamespace: get('pool-namespace') || env.NAMESPACE || 'default',
    poolGroup: get('pool-group'),
    endpointSelector: selector(get('endpoint-selector')),
    endpointTargetPorts: ports(get('endpoint-target-ports')),
    haEnableLeaderElection: bool(get('ha-enable-leader-election'), 'ha-enable-leader-election'),
    disableEndpointSubsetFilter: bool(get('disable-endpoint-subset-filter'), 'disable-endpoint-subset-filter'),
    emitEndpointScores: bool(get('emit-endpoint-scores'), 'emit-endpoint-scores'),
    refreshMetricsIntervalMs: duration(get('refresh-metrics-interval'), 'refresh-metrics-interval'),
    metricsScrapeTimeoutMs: duration(get('metrics-scrape-timeout'), 'metrics-scrape-timeout'),
    metricsStalenessThresholdMs: duration(get('metrics-staleness-threshold'), 'metrics-staleness-threshold'),
    modelServerMetricsPath: get('model-server-metrics-path'),
    modelServerMetricsPort: int(get('model-server-metrics-port'), 'model-server-metrics-port', 0, 65535),
    configFile: get('config-file'),
    configText: get('config-text'),
    maxRequestBodyBytes: int(get('max-request-body-bytes'), 'max-request-body-bytes', 1, 2 ** 31),
    requestBodyMode: bodyMode(get('request-body-mode'), 'request-body-mode'),
    responseBodyMode: bodyMode(get('response-body-mode'), 'response-body-mode'),
    strictModels: bool(get('strict-models'), 'strict-models'),
    pluginDurationMetrics: bool(get('plugin-duration-metrics'), 'plugin-duration-metrics'),
    shutdownGracePeriodMs: duration(get('shutdown-grace-period'), 'shutdown-grace-period'),
    v: int(get('v'), 'v', 0, 10),
    help,
  };
  if (flags.configFile && flags.configText) throw new FlagError('--config-file and --config-text are mutually exclusive');
  if (flags.endpointSelector && flags.poolName && !flags.resources) throw new FlagError('--pool-name and --endpoint-selector are mutually exclusive');
  if (flags.refreshMetricsIntervalMs <= 0) throw new FlagError('--refresh-metrics-interval must be positive');
  if (flags.endpointSelector && flags.endpointTargetPorts.length === 0) throw new FlagError('--endpoint-selector needs --endpoint-target-ports');
  return flags;
}

export function helpText(): string {
  const lines = ['Usage: epp [flags]', '', 'Inference-aware endpoint picker: an Envoy ext_proc server that routes each LLM request to the best model-server pod.', '', 'Flags:'];
  for (const [name, spec] of Object.entries(FLAGS) as [string, FlagSpec][]) {
    const def = spec.default === '' ? '""' : spec.default;
    lines.push(`  --${name}${spec.kind === 'bool' ? '' : ` <${spec.kind}>`}`.padEnd(40) + `${spec.help} (default ${def})`);
  }
  lines.push('  --help'.padEnd(40) + 'show this help');
  return lines.join('\n');
}

function int(s: string, name: string, min: number, max: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new FlagError(`--${name}: expected an integer ${min}-${max}, got "${s}"`);
  return n;
}
function port(s: string, name: string): number {
  return int(s, name, 0, 65535);
}
function bool(s: string, name: string): boolean {
  if (/^(true|1|t|yes)$/i.test(s)) return true;
  if (/^(false|0|f|no)$/i.test(s)) return false;
  throw new FlagError(`--${name}: expected true or false, got "${s}"`);
}
/** Go durations; a bare number is milliseconds, as these flags have always accepted. */
function duration(s: string, name: string): number {
  return fieldToFlag(() => parseDuration(s, `--${name}`, { bareNumberMs: true }));
}
function ports(s: string): number[] {
  if (s.trim() === '') return [];
  const list = s.split(',').map((p) => int(p.trim(), 'endpoint-target-ports', 1, 65535));
  if (list.length > 8) throw new FlagError('--endpoint-target-ports: at most 8 ports');
  if (new Set(list).size !== list.length) throw new FlagError('--endpoint-target-ports: ports must be unique');
  return list;
}
function selector(s: string): LabelSelector | undefined {
  if (s.trim() === '') return undefined;
  return fieldToFlag(() => parseLabelSelector(s, '--endpoint-selector'));
}
function fieldToFlag<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof FieldError) throw new FlagError(e.text());
    throw e;
  }
}
function bodyMode(s: string, name: string): string {
  const m = s.toUpperCase();
  if (!['FULL_DUPLEX_STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'STREAMED', 'NONE'].includes(m)) {
    throw new FlagError(`--${name}: expected FULL_DUPLEX_STREAMED, BUFFERED, BUFFERED_PARTIAL, STREAMED or NONE, got "${s}"`);
  }
  return m;
}
