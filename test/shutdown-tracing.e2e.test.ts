/**
 * The process-level behaviours of issue 12 through a real picker: the SIGTERM drain sequence (--drain-timeout)
 * and --tracing, one span per request, exported over OTLP/gRPC to a receiver on 127.0.0.1 and, directly, to
 * an in-memory exporter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { InMemorySpanExporter, AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { mutatedHeader } from './support/envoy-driver.ts';
import { startFixture } from './support/picker-fixture.ts';
import { directorFixture } from './support/director-fixture.ts';
import { createOtelTracing, SPAN_NAME } from '../src/observability/otel.ts';
import { traceExporterKind } from '../src/observability/tracing.ts';
import { RequestContext } from '../src/requestcontrol/request-context.ts';

const PROMPT = { model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'Write a haiku about load balancing.', max_tokens: 16 };
const DEST = 'x-gateway-destination-endpoint';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

test('drain: NOT_SERVING at once, ext_proc keeps routing for the window, then stops', async () => {
  let endWindow!: () => void;
  let windowMs = -1;
  const fx = await startFixture({
    flags: ['--drain-timeout=20s'],
    start: { wait: (ms) => ((windowMs = ms), new Promise<void>((resolve) => (endWindow = resolve))) },
  });
  try {
    assert.equal(fx.picker.health.status('readiness'), 'SERVING');
    const drained = fx.picker.drain();
    assert.equal(fx.picker.health.status('readiness'), 'NOT_SERVING');
    assert.equal(fx.picker.health.status('inference-extension'), 'NOT_SERVING');
    // The window is open: a new request is still routed.
    const { session, responses } = await fx.envoy.request({ body: PROMPT });
    assert.match(mutatedHeader(responses[0]!, DEST) ?? '', /^127\.0\.0\.\d:\d+$/);
    session.close();
    assert.equal(windowMs, 20_000);
    endWindow();
    await drained;
    await assert.rejects(fx.envoy.request({ body: PROMPT }), 'stopped after the window');
  } finally {
    await fx.close();
  }
});

test('drain: --drain-timeout=0 stops without a window', async () => {
  const fx = await startFixture({ flags: ['--drain-timeout=0'], start: { wait: () => Promise.reject(new Error('no window expected')) } });
  try {
    await fx.picker.drain();
    await assert.rejects(fx.envoy.request({ body: PROMPT }));
  } finally {
    await fx.close();
  }
});

test('tracing exports only when an exporter or endpoint is named', () => {
  assert.equal(traceExporterKind({}), null);
  assert.equal(traceExporterKind({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317' }), 'otlp');
  assert.equal(traceExporterKind({ OTEL_TRACES_EXPORTER: 'otlp' }), 'otlp');
  assert.equal(traceExporterKind({ OTEL_TRACES_EXPORTER: 'console' }), 'console');
  assert.equal(traceExporterKind({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }), null);
});

test('tracing: one gateway.request span per request with the scheduling decision (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = createOtelTracing({ exporter, sampler: new AlwaysOnSampler(), simple: true });
  const f = directorFixture({ tracer: tracing.tracer });
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  ctx.request.headers.set('x-request-id', 'req-1');
  ctx.request.headers.set('traceparent', TRACEPARENT);
  f.director.handleRequestHeaders(ctx);
  const body = Buffer.from(JSON.stringify({ model: 'm', prompt: 'hi' }));
  const d = f.director.handleRequest(ctx, { chunks: [body], bytes: body.length });
  assert.ok(d.ok);
  assert.equal(exporter.getFinishedSpans().length, 0, 'open until the request completes');
  f.director.handleResponseComplete(ctx, 'natural');
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 1);
  const s = spans[0]!;
  assert.equal(s.name, SPAN_NAME);
  assert.equal(s.spanContext().traceId, TRACE_ID, 'joins the caller trace');
  assert.equal(s.attributes['gen_ai.request.id'], 'req-1');
  assert.equal(s.attributes['target_model'], 'm');
  assert.equal(s.attributes['request_prio'], 0);
  assert.equal(s.attributes['llm_d.epp.picker.candidate_endpoints'], 3);
  assert.deepEqual(s.attributes['llm_d.epp.destination_endpoints'], [d.destination]);
  assert.equal(s.attributes['llm_d.epp.termination_cause'], 'natural');

  // A rejected request: status ERROR with the code.
  const bad = new RequestContext();
  f.director.handleRequestHeaders(bad);
  const broken = Buffer.from('{not json');
  const r = f.director.handleRequest(bad, { chunks: [broken], bytes: broken.length });
  assert.ok(!r.ok);
  f.director.handleResponseComplete(bad, 'error');
  const e = exporter.getFinishedSpans()[1]!;
  assert.equal(e.status.code, 2);
  assert.equal(e.attributes['http.response.status_code'], 400);
});

test('tracing: spans reach an OTLP/gRPC receiver on 127.0.0.1 with the service name', async () => {
  const received: Buffer[] = [];
  const server = new grpc.Server();
  const id = (b: Buffer) => b;
  server.addService(
    { Export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id, originalName: 'Export' } },
    { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => (received.push(call.request), cb(null, Buffer.alloc(0))) },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'epp-under-test' };
  const fx = await startFixture({ flags: ['--tracing=true'], start: { env } });
  try {
    const { session } = await fx.envoy.request({ body: PROMPT, headers: { traceparent: TRACEPARENT } });
    session.close();
  } finally {
    await fx.close(); // stop() flushes the batch
    server.forceShutdown();
  }
  const all = Buffer.concat(received);
  assert.ok(all.includes(Buffer.from(SPAN_NAME)), 'span exported');
  assert.ok(all.includes(Buffer.from(TRACE_ID, 'hex')), 'in the caller trace');
  assert.ok(all.includes(Buffer.from('epp-under-test')), 'OTEL_SERVICE_NAME');
  assert.ok(all.includes(Buffer.from('target_model')));
});
