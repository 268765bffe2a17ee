/**
 * Whether --tracing exports anything, read from the OpenTelemetry environment the upstream charts set
 * (OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER[_ARG]).
 * Off unless an exporter or an endpoint is named; the SDK (src/observability/otel.ts) is imported only then,
 * so a picker without tracing loads none of it.
 */
import type { Logger } from 'pino';
import type { RequestTracer } from '../framework/tracing.ts';

export type TraceExporterKind = 'otlp' | 'console';

export interface Tracing {
  readonly tracer: RequestTracer;
  /** Flushes buffered spans and stops the exporter. */
  shutdown(): Promise<void>;
}

/** The exporter --tracing uses, or null for none. Upstream's default without OTEL_TRACES_EXPORTER is console. */
export function traceExporterKind(env: NodeJS.ProcessEnv): TraceExporterKind | null {
  const kind = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (kind === 'otlp' || kind === 'console') return kind;
  if (kind === '' && (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) return 'otlp';
  return null;
}

/** Starts the SDK when the environment asks for it; null (and nothing loaded) otherwise. */
export async function startTracing(enabled: boolean, env: NodeJS.ProcessEnv, logger: Logger): Promise<Tracing | null> {
  const kind = enabled ? traceExporterKind(env) : null;
  if (kind === null) return null;
  const { startOtel } = await import('./otel.ts');
  return startOtel(kind, env, logger);
}
