import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SimRequest } from './engine.ts';
import { LLAMA3_8B_H100 } from './profile.ts';
import { SimServer, type KvRole } from './server.ts';
import { PREFILLED_BY_HEADER, RoutingSidecar } from './sidecar.ts';

// Sub-millisecond steps keep the test fast; the model is the same.
const CONFIG = { ...LLAMA3_8B_H100, modelName: 'base', stepBaseMs: 0.2, prefillTokenMs: 0.0001, decodeRequestMs: 0.0001, queueBaseMs: 0, queueTokenMs: 0 };
const seen: Record<string, SimRequest[]> = { prefill: [], decode: [] };

async function sim(name: string, kvRole: KvRole): Promise<{ server: SimServer; hostPort: string }> {
  const server = new SimServer({ config: CONFIG, timeScale: 1, podName: name, kvRole, kvTransfer: { bytesPerToken: 131072, gbps: 25, baseMs: 1 }, onFinish: (r) => seen[name]!.push(r) });
  const a = await server.listen(0, '127.0.0.1');
  return { server, hostPort: `127.0.0.1:${a.port}` };
}

const prefill = await sim('prefill', 'kv_producer');
const decode = await sim('decode', 'kv_consumer');
const [decodeHost, decodePort] = [decode.hostPort.split(':')[0]!, Number(decode.hostPort.split(':')[1])];
const sidecar = new RoutingSidecar({ decoderHost: decodeHost, decoderPort: decodePort, allowedPrefill: [prefill.hostPort] });
const sidecarAddr = await sidecar.listen(0, '127.0.0.1');
after(() => Promise.all([prefill.server.close(), decode.server.close(), sidecar.close()]));

const PROMPT = 'a long shared context, '.repeat(40);

function send(headers: Record<string, string>, body: Record<string, unknown>): Promise<Response> {
  return fetch(`http://127.0.0.1:${sidecarAddr.port}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'base', prompt: PROMPT, max_tokens: 6, ignore_eos: true, ...body }),
  });
}

function reset(): void {
  seen.prefill!.length = 0;
  seen.decode!.length = 0;
}

test('with x-prefiller-host-port: a one-token prefill leg on the prefill server, then decode with its KV, streamed as asked', async () => {
  reset();
  const res = await send({ 'x-prefiller-host-port': prefill.hostPort }, { stream: true });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get(PREFILLED_BY_HEADER), prefill.hostPort);
  const text = await res.text();
  assert.equal(text.split('\n\n').filter((l) => l.startsWith('data: {')).length, 6, 'the decoder streams all six tokens');
  assert.ok(text.endsWith('data: [DONE]\n\n'));
  assert.equal(seen.prefill!.length, 1);
  assert.equal(seen.prefill![0]!.outputTokens, 1, 'the prefill leg is capped at one token');
  assert.equal(seen.decode!.length, 1);
  const d = seen.decode![0]!;
  assert.equal(d.remoteTokens, d.promptTokens - 1, 'the decoder loads all but the last prompt token');
  assert.equal(d.numOutput, 6);
});

test('without the header the request goes straight to the decoder', async () => {
  reset();
  const res = await send({}, {});
  assert.equal(res.status, 200);
  assert.equal(res.headers.get(PREFILLED_BY_HEADER), null);
  const body = (await res.json()) as { usage: { completion_tokens: number } };
  assert.equal(body.usage.completion_tokens, 6);
  assert.equal(seen.prefill!.length, 0);
  assert.equal(seen.decode!.length, 1);
  assert.equal(seen.decode![0]!.remoteTokens, 0);
});

test('a prefill target outside the allow-list is refused with 403 and reaches no server', async () => {
  reset();
  const res = await send({ 'x-prefiller-host-port': '169.254.169.254:80' }, {});
  assert.equal(res.status, 403);
  assert.match(await res.text(), /SSRF/);
  assert.equal(seen.prefill!.length + seen.decode!.length, 0);
});

test('kv roles: a producer serves only prefill legs, a consumer never serves one', async () => {
  const plain = await fetch(`http://${prefill.hostPort}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'base', prompt: 'x', max_tokens: 1 }) });
  assert.equal(plain.status, 400);
  const leg = await fetch(`http://${decode.hostPort}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'base', prompt: 'x', max_tokens: 1, kv_transfer_params: { do_remote_decode: true } }),
  });
  assert.equal(leg.status, 400);
  const ok = await fetch(`http://${prefill.hostPort}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'base', prompt: PROMPT, max_tokens: 1, kv_transfer_params: { do_remote_decode: true } }),
  });
  assert.equal(ok.status, 200);
  const kv = ((await ok.json()) as { kv_transfer_params: Record<string, unknown> }).kv_transfer_params;
  assert.equal(kv.do_remote_prefill, true);
  assert.equal(kv.remote_port, Number(prefill.hostPort.split(':')[1]));
  assert.ok(Array.isArray(kv.remote_block_ids) && kv.remote_block_ids.length > 0);
});

test('a prefill server that fails passes its status and body to the client; the decoder never runs', async () => {
  reset();
  const res = await send({ 'x-prefiller-host-port': prefill.hostPort }, { model: 'no-such-model' });
  assert.equal(res.status, 404);
  assert.match(await res.text(), /does not exist/);
  assert.equal(seen.decode!.length, 0);
});
