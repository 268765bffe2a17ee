/**
 * The OpenTelemetry SDK behind --tracing, loaded only when tracing exports (src/observability/tracing.ts).
 * As upstream's `pkg/common/observability/tracing`: service name `llm-d-epp` unless OTEL_SERVICE_NAME (or
 * OTEL_RESOURCE_ATTRIBUTES) says otherwise; sampler from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, default
 * parentbased_traceidratio at 0.1; batch export over OTLP/gRPC (OTEL_EXPORTER_OTLP_* as the SDK reads them) or
 * to the console; W3C trace context taken from the request headers.
 *
 * One SERVER span per request, `gateway.request`, with the attributes upstream's request, orchestration and
 * picker spans carry: gen_ai.request.model, gen_ai.request.id, target_model, request_prio,
 * llm_d.epp.picker.candidate_endpoints, plus the endpoints picked and how the request ended.
 */
import { context, SpanKind, SpanStatusCode, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { LLMRequest } from '../framework/request.ts';
import type { RequestSpan, RequestTracer } from '../framework/tracing.ts';
import type { TraceExporterKind, Tracing } from './tracing.ts';

export const SERVICE_NAME = 'llm-d-epp';
export const SPAN_NAME = 'gateway.request';
const SCOPE = 'epp/requestcontrol';

const propagator = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<ReadonlyMap<string, string>> = {
  keys: (m) => [...m.keys()],
  get: (m, k) => m.get(k),
};
const SERVER = { kind: SpanKind.SERVER };

class OtelRequestSpan implements RequestSpan {
  readonly #span: Span;
  constructor(span: Span) {
    this.#span = span;
  }
  candidates(count: number): void {
    if (this.#span.isRecording()) this.#span.setAttribute('llm_d.epp.picker.candidate_endpoints', count);
  }
  routed(req: LLMRequest, destination: string): void {
    const s = this.#span;
    if (!s.isRecording()) return;
    s.setAttributes({
      'gen_ai.request.model': req.targetModel || req.model,
      'gen_ai.request.id': req.requestId,
      target_model: req.targetModel || req.model,
      request_prio: req.priority,
      'llm_d.epp.destination_endpoints': destination.split(','),
    });
  }
  failed(code: string, httpStatus: number, message: string): void {
    const s = this.#span;
    if (!s.isRecording()) return;
    s.setAttributes({ 'llm_d.epp.error.code': code, 'http.response.status_code': httpStatus });
    s.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  end(cause: string, httpStatus: number): void {
    const s = this.#span;
    if (s.isRecording()) {
      s.setAttribute('llm_d.epp.termination_cause', cause);
      if (httpStatus > 0) s.setAttribute('http.response.status_code', httpStatus);
    }
    s.end();
  }
}

export class OtelRequestTracer implements RequestTracer {
  readonly #tracer: Tracer;
  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }
  start(headers: ReadonlyMap<string, string>): RequestSpan {
    const parent = propagator.extract(context.active(), headers, headerGetter);
    return new OtelRequestSpan(this.#tracer.startSpan(SPAN_NAME, SERVER, parent));
  }
}

/** The sampler upstream builds from the environment (unknown types fall back to its default, with a warning). */
export function samplerFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): Sampler {
  const type = env.OTEL_TRACES_SAMPLER ?? 'parentbased_traceidratio';
  const arg = Number.parseFloat(env.OTEL_TRACES_SAMPLER_ARG ?? '0.1');
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 0.1;
  switch (type) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      logger?.warn({ sampler: type }, 'unsupported sampler type, fallback to parentbased_traceidratio with 0.1 ratio');
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });
  }
}

export interface OtelOptions {
  exporter: SpanExporter;
  sampler: Sampler;
  /** OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (k=v,k=v) come from here. */
  env?: NodeJS.ProcessEnv;
  /** Export each span as it ends (tests); batched otherwise. */
  simple?: boolean;
}

/** A tracer over `exporter`; resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES over the defaults. */
export function createOtelTracing(options: OtelOptions): Tracing {
  const resource = resourceFromAttributes(resourceAttributes(options.env ?? {}));
  const processor = options.simple ? new SimpleSpanProcessor({ exporter: options.exporter }) : new BatchSpanProcessor({ exporter: options.exporter });
  const provider = new TracerProvider({ resource, sampler: options.sampler, spanProcessors: [processor] });
  return { tracer: new OtelRequestTracer(provider.getTracer(SCOPE)), shutdown: () => provider.shutdown() };
}

/** service.name llm-d-epp, then OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME (later wins, as the SDK). */
export function resourceAttributes(env: NodeJS.ProcessEnv): Record<string, string> {
  const attrs: Record<string, string> = { 'service.name': SERVICE_NAME };
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) attrs[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  if (env.OTEL_SERVICE_NAME) attrs['service.name'] = env.OTEL_SERVICE_NAME;
  return attrs;
}

export async function startOtel(kind: TraceExporterKind, env: NodeJS.ProcessEnv, logger: Logger): Promise<Tracing> {
  let exporter: SpanExporter;
  if (kind === 'otlp') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
    const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
    exporter = new OTLPTraceExporter(url ? { url } : {});
  } else {
    exporter = new ConsoleSpanExporter();
  }
  logger.info({ exporter: kind, endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? null }, 'init OTel trace exporter');
  return createOtelTracing({ exporter, sampler: samplerFromEnv(env, logger), env });
}
