/**
 * The real picker (ext_proc server, datastore, scraper, scheduler) driven exactly as Envoy drives it, against
 * fake vLLM metric pages on 127.0.0.x.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { lbMetadata, mutatedHeader } from './support/envoy-driver.ts';
import { resourcesYaml, startFixture, type Fixture } from './support/picker-fixture.ts';
import type { ProcessingResponse } from '../src/extproc/codec/proto.ts';
import { ManualClock } from '../src/framework/clock.ts';
import type { FakeVllm } from './support/fake-vllm.ts';

const PROMPT = { model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'Write a haiku about load balancing.', max_tokens: 16 };
const DEST = 'x-gateway-destination-endpoint';

function echoedBody(responses: ProcessingResponse[]): Buffer {
  return Buffer.concat(responses.map((r) => r.request_body?.response?.body_mutation?.streamed_response?.body ?? Buffer.alloc(0)).map((b) => Buffer.from(b)));
}

const STATUS: Record<string, number> = { BadRequest: 400, NotFound: 404, PayloadTooLarge: 413, TooManyRequests: 429, InternalServerError: 500, ServiceUnavailable: 503 };

function immediate(responses: ProcessingResponse[]) {
  const r = responses.at(-1)?.immediate_response;
  assert.ok(r, `expected an immediate response, got ${JSON.stringify(responses.at(-1))}`);
  return { status: typeof r.status.code === 'number' ? r.status.code : (STATUS[r.status.code] ?? NaN), body: JSON.parse(Buffer.from(r.body!).toString()) as { error: { message: string; code: string; type: string } } };
}

describe('routing by load', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    Object.assign(fx.servers[0]!.load, { waiting: 10, kv: 0.9 });
    Object.assign(fx.servers[1]!.load, { waiting: 0, kv: 0.1 });
    Object.assign(fx.servers[2]!.load, { waiting: 5, kv: 0.5 });
    await fx.synced();
  });
  after(() => fx.close());

  test('FULL_DUPLEX: the least-loaded endpoint wins; header in raw_value, envoy.lb metadata, body echoed', async () => {
    const { session, responses } = await fx.envoy.request({ body: PROMPT });
    const headers = responses[0]!;
    const want = `127.0.0.3:${fx.port}`;
    assert.equal(mutatedHeader(headers, DEST), want);
    assert.equal(lbMetadata(headers), want);
    assert.equal(headers.request_headers?.response?.clear_route_cache, true);
    assert.deepEqual(JSON.parse(echoedBody(responses).toString()), PROMPT);
    assert.equal(responses.at(-1)!.request_body?.response?.body_mutation?.streamed_response?.end_of_stream, true);
    // Response phase: headers answered, body streamed back unchanged, trailers answered.
    const resp = await fx.envoy.respond(session, { headers: { 'content-type': 'application/json' }, chunks: ['{"id":"1",', '"usage":{"prompt_tokens":9,"completion_tokens":3}}'], trailers: {} });
    assert.ok(resp[0]!.response_headers);
    assert.equal(Buffer.from(resp[1]!.response_body!.response!.body_mutation!.streamed_response!.body).toString(), '{"id":"1",');
    assert.equal(resp[2]!.response_body!.response!.body_mutation!.streamed_response!.end_of_stream, false);
    assert.ok(resp[3]!.response_trailers);
    session.close();
    await fx.picker.extProc.idle();
    assert.equal(fx.picker.datastore.endpoint(want)!.inflightRequests, 0);
    const text = await fx.picker.metrics.registry.metrics();
    assert.match(text, /inference_objective_input_tokens_sum\{model_name="meta-llama\/Llama-3.1-8B-Instruct",target_model_name="meta-llama\/Llama-3.1-8B-Instruct"\} 9/);
    assert.match(text, /inference_objective_output_tokens_sum\{[^}]*\} 3/);
  });

  test('body split into many chunks is reassembled and echoed in order', async () => {
    const big = { ...PROMPT, prompt: 'x'.repeat(150_000) };
    const { session, responses } = await fx.envoy.request({ body: big, chunkSize: 7_000 });
    assert.equal(mutatedHeader(responses[0]!, DEST), `127.0.0.3:${fx.port}`);
    const chunks = responses.slice(1).map((r) => r.request_body!.response!.body_mutation!.streamed_response!);
    assert.ok(chunks.every((c) => c.body.length <= 62_000));
    assert.equal(echoedBody(responses).toString(), JSON.stringify(big));
    session.close();
  });

  test('BUFFERED: headers answered at once, the decision rides on the body response', async () => {
    const { session, responses } = await fx.envoy.request({ body: PROMPT, requestBodyMode: 'BUFFERED' });
    assert.deepEqual(responses[0]!.request_headers?.response?.header_mutation, undefined);
    assert.equal(mutatedHeader(responses[1]!, DEST, 'request_body'), `127.0.0.3:${fx.port}`);
    assert.equal(lbMetadata(responses[1]!), `127.0.0.3:${fx.port}`);
    assert.equal(responses[1]!.request_body?.response?.clear_route_cache, true);
    session.close();
  });

  test('without protocol_config (Envoy < 1.34) the configured default mode (full duplex) is used', async () => {
    const { session, responses } = await fx.envoy.request({ body: PROMPT, protocolConfig: false });
    assert.equal(mutatedHeader(responses[0]!, DEST), `127.0.0.3:${fx.port}`);
    assert.deepEqual(JSON.parse(echoedBody(responses).toString()), PROMPT);
    session.close();
  });

  test('header-only request (GET) is routed on headers', async () => {
    const { session, responses } = await fx.envoy.request({ method: 'GET', path: '/v1/models' });
    assert.equal(mutatedHeader(responses[0]!, DEST), `127.0.0.3:${fx.port}`);
    assert.ok(mutatedHeader(responses[0]!, 'x-request-id'), 'a request id is generated when absent');
    session.close();
  });

  test('request trailers end the body: decision, echoed body without end_of_stream, trailers answered', async () => {
    const { session, responses } = await fx.envoy.request({ body: PROMPT, trailers: { 'x-t': '1' } });
    assert.equal(mutatedHeader(responses[0]!, DEST), `127.0.0.3:${fx.port}`);
    assert.equal(responses.at(-2)!.request_body?.response?.body_mutation?.streamed_response?.end_of_stream, false);
    assert.ok(responses.at(-1)!.request_trailers);
    session.close();
  });

  test('subset hint: only listed endpoints are candidates; none left -> 503', async () => {
    const { session, responses } = await fx.envoy.request({ body: PROMPT, subset: [`127.0.0.2:${fx.port}`] });
    assert.equal(mutatedHeader(responses[0]!, DEST), `127.0.0.2:${fx.port}`);
    session.close();
    const none = await fx.envoy.request({ body: PROMPT, subset: ['10.9.9.9:8000'] });
    assert.equal(immediate(none.responses).status, 503);
    none.session.close();
    const empty = await fx.envoy.request({ body: PROMPT, subset: [] });
    assert.equal(immediate(empty.responses).status, 503);
    empty.session.close();
  });

  test('bad requests get OpenAI-style errors: malformed JSON and missing model -> 400', async () => {
    const bad = await fx.envoy.request({ body: '{"model": "m", "prompt": ' });
    const e1 = immediate(bad.responses);
    assert.equal(e1.status, 400);
    assert.equal(e1.body.error.type, 'invalid_request_error');
    assert.match(e1.body.error.message, /not valid JSON/);
    bad.session.close();
    const noModel = await fx.envoy.request({ body: { prompt: 'hi' } });
    const e2 = immediate(noModel.responses);
    assert.equal(e2.status, 400);
    assert.match(e2.body.error.message, /model not found/);
    noModel.session.close();
  });

  test('a stream cancelled mid-request releases its in-flight accounting', async () => {
    const { session } = await fx.envoy.request({ body: PROMPT });
    const ep = fx.picker.datastore.endpoint(`127.0.0.3:${fx.port}`)!;
    assert.equal(ep.inflightRequests, 1);
    session.close();
    await fx.picker.extProc.idle();
    assert.equal(ep.inflightRequests, 0);
  });

  test('gRPC health reports readiness for every upstream service name', async () => {
    const Client = grpc.makeGenericClientConstructor(healthService, 'Health');
    const client = new Client(`127.0.0.1:${fx.picker.healthPort}`, grpc.credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
      close(): void;
    };
    for (const service of ['', 'liveness', 'readiness', 'envoy.service.ext_proc.v3.ExternalProcessor']) {
      const res = await new Promise<{ status: string }>((resolve, reject) => client.check({ service }, (err, r) => (err ? reject(err) : resolve(r))));
      assert.equal(res.status, 'SERVING', service);
    }
    client.close();
    // Envoy health-checks the ext_proc cluster on the ext_proc port itself.
    const onExtProcPort = new Client(`127.0.0.1:${fx.picker.grpcPort}`, grpc.credentials.createInsecure()) as unknown as typeof client;
    const res = await new Promise<{ status: string }>((resolve, reject) => onExtProcPort.check({ service: 'envoy.service.ext_proc.v3.ExternalProcessor' }, (err, r) => (err ? reject(err) : resolve(r))));
    assert.equal(res.status, 'SERVING');
    // Without leader election upstream answers every name (its charts probe `inference-extension`).
    const other = await new Promise<{ status: string }>((resolve, reject) => onExtProcPort.check({ service: 'inference-extension' }, (err, r) => (err ? reject(err) : resolve(r))));
    assert.equal(other.status, 'SERVING');
    onExtProcPort.close();
  });
});

describe('saturation and shedding', () => {
  let fx: Fixture;
  const extra = `---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceObjective
metadata: {name: batch, namespace: default}
spec: {priority: -1, poolRef: {name: pool}}
---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceObjective
metadata: {name: interactive, namespace: default}
spec: {priority: 10, poolRef: {name: pool}}
`;
  before(async () => {
    fx = await startFixture({ extraResources: extra });
    for (const s of fx.servers) Object.assign(s.load, { waiting: 20, kv: 0.95 });
    await fx.synced();
  });
  after(() => fx.close());

  test('sheddable request (negative priority) gets 429 when the pool is saturated', async () => {
    const { session, responses } = await fx.envoy.request({ body: PROMPT, headers: { 'x-gateway-inference-objective': 'batch' } });
    const e = immediate(responses);
    assert.equal(e.status, 429);
    assert.match(e.body.error.message, /saturated/);
    session.close();
  });

  test('non-sheddable requests are still routed when saturated', async () => {
    for (const headers of [{ 'x-gateway-inference-objective': 'interactive' }, {}] as Record<string, string>[]) {
      const { session, responses } = await fx.envoy.request({ body: PROMPT, headers });
      assert.ok(mutatedHeader(responses[0]!, DEST), JSON.stringify(headers));
      session.close();
    }
  });
});

describe('model rewrite, fallbacks, LoRA and prefix affinity, body limit', () => {
  let fx: Fixture;
  const extra = `---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModel
metadata: {name: food-review, namespace: default}
spec:
  modelName: food-review
  criticality: Standard
  poolRef: {name: pool}
  targetModels: [{name: food-review-1, weight: 100}]
`;
  const config = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: lora-affinity-scorer
- type: max-score-picker
  parameters: {maxNumOfEndpoints: 3}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer, weight: 2}
  - {pluginRef: kv-cache-utilization-scorer, weight: 2}
  - {pluginRef: prefix-cache-scorer, weight: 3}
  - {pluginRef: lora-affinity-scorer, weight: 5}
  - {pluginRef: max-score-picker}
`;
  before(async () => {
    fx = await startFixture({ extraResources: extra, config, flags: ['--max-request-body-bytes=200000'] });
  });
  after(() => fx.close());

  test('fallback list: comma-separated, ordered by score, primary least loaded', async () => {
    Object.assign(fx.servers[0]!.load, { waiting: 0, kv: 0.1, loras: [] });
    Object.assign(fx.servers[1]!.load, { waiting: 8, kv: 0.8, loras: [] });
    Object.assign(fx.servers[2]!.load, { waiting: 4, kv: 0.4, loras: [] });
    await fx.synced();
    const { session, responses } = await fx.envoy.request({ body: { ...PROMPT, prompt: 'short' } });
    const p = fx.port;
    assert.equal(mutatedHeader(responses[0]!, DEST), `127.0.0.2:${p},127.0.0.4:${p},127.0.0.3:${p}`);
    assert.equal(lbMetadata(responses[0]!), `127.0.0.2:${p},127.0.0.4:${p},127.0.0.3:${p}`);
    session.close();
  });

  test('model rewrite: body model and content-length changed; response carries the client name back', async () => {
    const body = { model: 'food-review', prompt: 'Is the soup good?' };
    const { session, responses } = await fx.envoy.request({ path: '/v1/completions', body });
    const sent = JSON.parse(echoedBody(responses).toString());
    assert.equal(sent.model, 'food-review-1');
    assert.equal(mutatedHeader(responses[0]!, 'content-length'), String(echoedBody(responses).length));
    const resp = await fx.envoy.respond(session, { headers: { 'content-type': 'application/json' }, chunks: ['{"model":"food-review-1","choices":[]}'] });
    assert.equal(Buffer.from(resp[1]!.response_body!.response!.body_mutation!.streamed_response!.body).toString(), '{"model":"food-review","choices":[]}');
    session.close();
  });

  test('LoRA affinity: the server already running the adapter wins at equal load', async () => {
    for (const s of fx.servers) Object.assign(s.load, { waiting: 1, kv: 0.3, loras: [], maxLora: 1 });
    fx.servers[1]!.load.loras = ['sql-lora'];
    fx.servers[0]!.load.loras = ['other'];
    fx.servers[2]!.load.loras = ['other'];
    await fx.synced();
    const { session, responses } = await fx.envoy.request({ body: { model: 'sql-lora', prompt: 'SELECT' } });
    assert.equal(mutatedHeader(responses[0]!, DEST)!.split(',')[0], `127.0.0.3:${fx.port}`);
    session.close();
  });

  test('prefix affinity: a long shared prompt keeps going to the endpoint that served it', async () => {
    for (const s of fx.servers) Object.assign(s.load, { waiting: 0, kv: 0.2, loras: [] });
    await fx.synced();
    const system = 'You are a meticulous assistant. '.repeat(80);
    const first = await fx.envoy.request({ path: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: 'q0' }] } });
    const home = mutatedHeader(first.responses[0]!, DEST)!.split(',')[0];
    first.session.close();
    for (let i = 1; i <= 5; i++) {
      const r = await fx.envoy.request({ path: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: `q${i}` }] } });
      assert.equal(mutatedHeader(r.responses[0]!, DEST)!.split(',')[0], home, `request ${i}`);
      r.session.close();
    }
  });

  test('a body over --max-request-body-bytes gets 413', async () => {
    const { session, responses } = await fx.envoy.request({ body: { ...PROMPT, prompt: 'y'.repeat(250_000) }, chunkSize: 50_000 });
    assert.equal(immediate(responses).status, 413);
    session.close();
  });
});

describe('stale metrics', () => {
  let fx: Fixture;
  const clock = new ManualClock(1_000);
  before(async () => {
    fx = await startFixture({ clock });
  });
  after(() => fx.close());

  test('an endpoint whose scrapes fail goes stale and is avoided, though its last numbers looked best', async () => {
    const [a, b, c] = fx.servers as [FakeVllm, FakeVllm, FakeVllm];
    Object.assign(a.load, { waiting: 6, kv: 0.6 });
    Object.assign(b.load, { waiting: 0, kv: 0.0 });
    Object.assign(c.load, { waiting: 3, kv: 0.3 });
    await fx.synced();
    const best = `127.0.0.3:${fx.port}`;
    let r = await fx.envoy.request({ body: PROMPT });
    assert.equal(mutatedHeader(r.responses[0]!, DEST), best);
    r.session.close();
    b.load.failing = true;
    await b.scraped(2);
    clock.advance(5_000); // past the 2 s staleness threshold
    await Promise.all([a.scraped(2), c.scraped(2)]); // the healthy ones are fresh again
    const ep = fx.picker.datastore.endpoint(best)!;
    assert.ok(ep.metricsAge(clock.now()) > 2_000);
    assert.ok(ep.consecutiveScrapeFailures > 0);
    r = await fx.envoy.request({ body: PROMPT });
    assert.equal(mutatedHeader(r.responses[0]!, DEST), `127.0.0.4:${fx.port}`);
    r.session.close();
    const text = await fx.picker.metrics.registry.metrics();
    assert.match(text, new RegExp(`inference_extension_endpoint_metrics_age_seconds\\{endpoint="${best.replace(/\./g, '\\.')}",pod="vllm-1"\\} ([5-9]|\\d\\d)`));
    assert.match(text, /inference_extension_model_server_scrapes_total\{result="failure"\} [1-9]/);
  });
});

describe('resources file', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(() => fx.close());

  test('an edit is applied live; a broken edit is rejected and the last good state stays', async () => {
    const ds = fx.picker.datastore;
    assert.equal(ds.endpoints().length, 3);
    const applied = new Promise((resolve) => fx.picker.resources!.once('applied', resolve));
    fx.writeResources(resourcesYaml(['127.0.0.2', '127.0.0.3'], fx.port));
    await applied;
    assert.deepEqual(ds.endpoints().map((e) => e.address).sort(), ['127.0.0.2', '127.0.0.3']);
    for (let i = 0; i < 5; i++) {
      const { session, responses } = await fx.envoy.request({ body: PROMPT });
      assert.notEqual(mutatedHeader(responses[0]!, DEST), `127.0.0.4:${fx.port}`);
      session.close();
    }
    const rejected = new Promise<Error>((resolve) => fx.picker.resources!.once('rejected', resolve));
    fx.writeResources(resourcesYaml(['127.0.0.2'], fx.port).replace('targetPorts: [{number', 'targetPorts: [{numbr'));
    const err = await rejected;
    assert.match(err.message, /targetPorts/);
    assert.equal(ds.endpoints().length, 2, 'last good state kept');
  });
});

describe('graceful shutdown', () => {
  test('stop() turns readiness off, refuses new streams and lets an in-flight request finish', async () => {
    const fx = await startFixture();
    try {
      const { session, responses } = await fx.envoy.request({ body: PROMPT });
      const dest = mutatedHeader(responses[0]!, DEST)!;
      const stopped = fx.picker.stop();
      assert.equal(fx.picker.health.isReady(), false);
      // The open stream still completes its response phase.
      const resp = await fx.envoy.respond(session, { headers: { 'content-type': 'application/json' }, chunks: ['{"usage":{"prompt_tokens":1,"completion_tokens":1}}'] });
      assert.equal(resp.length, 2);
      session.close();
      await stopped;
      assert.equal(fx.picker.datastore.endpoint(dest)!.inflightRequests, 0);
      await assert.rejects(fx.envoy.request({ body: PROMPT }));
    } finally {
      await fx.close();
    }
  });
});
