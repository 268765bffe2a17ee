import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { LLAMA3_8B_H100 } from './profile.ts';
import { SimServer } from './server.ts';

const config = { ...LLAMA3_8B_H100, modelName: 'base', maxLoras: 2, stepBaseMs: 0.2, prefillTokenMs: 0.0001, decodeRequestMs: 0.0001, queueBaseMs: 0, queueTokenMs: 0 };
const fixed = new SimServer({ config, timeScale: 1, maxAdapters: 2, adapterLoadMs: 30 });
const onDemand = new SimServer({ config, timeScale: 1, maxAdapters: 1, adapterLoadMs: 30, loraOnDemand: true });
const urls = await Promise.all([fixed, onDemand].map(async (s) => `http://127.0.0.1:${(await s.listen(0, '127.0.0.1')).port}`));
after(() => Promise.all([fixed.close(), onDemand.close()]));

const post = (base: string, path: string, body: unknown) =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
const complete = (base: string, model: string) => post(base, '/v1/completions', { model, prompt: 'hello there', max_tokens: 2, ignore_eos: true });
const metrics = async (base: string) => (await fetch(base + '/metrics')).text();

test('load_lora_adapter: takes the load time, then serves the adapter and reports it loaded; the slot limit refuses a third', async () => {
  const base = urls[0]!;
  assert.equal((await complete(base, 'v1')).status, 404, 'unknown adapter: 404 as vLLM');
  const t0 = performance.now();
  const res = await post(base, '/v1/load_lora_adapter', { lora_name: 'v1', lora_path: '/adapters/v1' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "Success: LoRA adapter 'v1' added successfully.");
  assert.ok(performance.now() - t0 >= 29, 'the load took its time');
  assert.equal((await post(base, '/v1/load_lora_adapter', { lora_name: 'v1', lora_path: '/adapters/v1' })).status, 400, 'already loaded');
  assert.equal((await complete(base, 'v1')).status, 200);
  assert.match(await metrics(base), /vllm:lora_adapter_loaded\{adapter_name="v1",level="gpu",pinned="false"\} 1\.0/);
  assert.equal((await post(base, '/v1/load_lora_adapter', { lora_name: 'v2', lora_path: '/adapters/v2' })).status, 200);
  const full = await post(base, '/v1/load_lora_adapter', { lora_name: 'v3', lora_path: '/adapters/v3' });
  assert.equal(full.status, 400);
  assert.match(((await full.json()) as { message: string }).message, /No free adapter slot/);
  const models = (await (await fetch(base + '/v1/models')).json()) as { data: { id: string; parent: string | null }[] };
  assert.deepEqual(models.data.map((m) => m.id), ['base', 'v1', 'v2']);
});

test('unload_lora_adapter: the adapter leaves /metrics and /v1/models; unknown -> 404; bad body -> 400', async () => {
  const base = urls[0]!;
  const res = await post(base, '/v1/unload_lora_adapter', { lora_name: 'v1' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "Success: LoRA adapter 'v1' removed successfully.");
  assert.doesNotMatch(await metrics(base), /adapter_name="v1"/);
  assert.equal((await complete(base, 'v1')).status, 404);
  assert.equal((await post(base, '/v1/unload_lora_adapter', { lora_name: 'v1' })).status, 404);
  assert.equal((await post(base, '/v1/load_lora_adapter', { lora_name: 'x' })).status, 400);
});

test('on demand: a request for an unloaded adapter pays the load (a cold load); the idle LRU adapter is evicted for it', async () => {
  const base = urls[1]!;
  const t0 = performance.now();
  assert.equal((await complete(base, 'a')).status, 200);
  assert.ok(performance.now() - t0 >= 29, 'the first request waited for the load');
  assert.equal((await complete(base, 'b')).status, 200);
  assert.equal(onDemand.adapters.coldLoads, 2);
  assert.deepEqual(onDemand.adapters.names(), ['b'], 'one slot: a was evicted for b');
});
