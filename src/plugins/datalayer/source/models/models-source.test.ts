/**
 * models-data-source + models-data-extractor against a loopback server answering `/v1/models` as vLLM does (a
 * base model and a LoRA adapter with `parent`), through the real page poller. Cases from upstream llm-d-router
 * `datalayer/source/models/datasource_test.go` and `datalayer/extractor/models/extractor_test.go` (mirror commit
 * ebab68792).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { PagePoller } from '../../../../datalayer/page-poller.ts';
import { testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createModelsExtractor, MODELS_KEY } from '../../extractor/models/models-extractor.ts';
import { createModelsDataSource } from './models-source.ts';

const VLLM_MODELS = JSON.stringify({
  object: 'list',
  data: [
    { id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model', created: 1735689600, owned_by: 'vllm', root: 'meta-llama/Llama-3.1-8B-Instruct', parent: null, max_model_len: 8192, permission: [] },
    { id: 'sql-lora', object: 'model', created: 1735689600, owned_by: 'vllm', root: '/adapters/sql', parent: 'meta-llama/Llama-3.1-8B-Instruct', permission: [] },
  ],
});

async function server(t: TestContext, routes: Record<string, string>): Promise<number> {
  const s = createServer((req, res) => {
    const body = routes[req.url ?? ''];
    if (body === undefined) res.writeHead(404).end('not found');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

async function pollOnce(port: number, params: unknown): Promise<{ ep: Endpoint; failures: number }> {
  const ep = new Endpoint('127.0.0.1', port, 'pod-a', 'default', 0, 'vllm');
  const source = createModelsDataSource('models', params, testHandle());
  const binding = { source, extractors: [createModelsExtractor('models-data-extractor', undefined, testHandle())] };
  const p = new PagePoller({ datastore: { endpoints: () => [ep], on: () => undefined, off: () => undefined }, logger: pino({ level: 'silent' }), sources: [binding], defaultIntervalMs: 50, timeoutMs: 2000 });
  await p.pollAll(binding);
  await p.stop();
  return { ep, failures: p.counts.get('models')!.failures };
}

test('models-data-source: the endpoint\'s own port and /v1/models; the extractor keeps id, owned_by, parent', async (t) => {
  const port = await server(t, { '/v1/models': VLLM_MODELS });
  const { ep, failures } = await pollOnce(port, undefined);
  assert.equal(failures, 0);
  assert.deepEqual(ep.attributes.get(MODELS_KEY), [
    { id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model', created: 1735689600, owned_by: 'vllm' },
    { id: 'sql-lora', object: 'model', created: 1735689600, owned_by: 'vllm', parent: 'meta-llama/Llama-3.1-8B-Instruct' },
  ]);
});

test('models-data-source: a configured path; a 404 or a non-JSON page is a failure and sets nothing', async (t) => {
  const port = await server(t, { '/custom/models': VLLM_MODELS, '/bad': 'not json' });
  assert.equal((await pollOnce(port, { path: '/custom/models' })).ep.attributes.has(MODELS_KEY), true);
  const missing = await pollOnce(port, undefined);
  assert.equal(missing.failures, 1);
  assert.equal(missing.ep.attributes.has(MODELS_KEY), false);
  assert.equal((await pollOnce(port, { path: '/bad' })).failures, 1);
});

test('models-data-source: parameter errors', () => {
  assert.throws(() => createModelsDataSource('m', { scheme: 'grpc' }, testHandle()), /parameters\.scheme: unsupported scheme: grpc/);
  assert.throws(() => createModelsDataSource('m', { port: 1 }, testHandle()), /parameters\.port: unknown parameter/);
  assert.throws(() => createModelsDataSource('m', { clientCertPath: '/c' }, testHandle()), /parameters\.clientKeyPath: clientCertPath and clientKeyPath must be set together/);
  assert.throws(() => createModelsDataSource('m', { path: 'v1/models' }, testHandle()), /parameters\.path: must start with "\/"/);
});
