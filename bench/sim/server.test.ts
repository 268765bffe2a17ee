import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SimRequest } from './engine.ts';
import { LLAMA3_8B_H100 } from './profile.ts';
import { SimServer } from './server.ts';

const finished: SimRequest[] = [];
const finishWaiters: ((r: SimRequest) => void)[] = [];
const server = new SimServer({
  // Sub-millisecond steps keep the test fast; the model is the same.
  config: { ...LLAMA3_8B_H100, modelName: 'base', stepBaseMs: 0.2, prefillTokenMs: 0.0001, decodeRequestMs: 0.0001, queueBaseMs: 0, queueTokenMs: 0 },
  timeScale: 1,
  loraModules: ['adapter-a'],
  podName: 'sim-test',
  onFinish: (r) => {
    finished.push(r);
    finishWaiters.shift()?.(r);
  },
});
const addr = await server.listen(0, '127.0.0.1');
const base = `http://127.0.0.1:${addr.port}`;
after(() => server.close());

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: signal ?? null });
}

function events(sse: string): unknown[] {
  return sse
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((p) => (p === '[DONE]' ? '[DONE]' : JSON.parse(p)));
}

test('streamed chat completion: one chunk per token, the role first, usage and [DONE] last', async () => {
  const res = await post('/v1/chat/completions', {
    model: 'base',
    messages: [{ role: 'user', content: 'Say hello in many words, please.' }],
    max_completion_tokens: 7,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  assert.equal(res.headers.get('x-inference-pod'), 'sim-test');
  const ev = events(await res.text()) as { object?: string; choices?: { delta: { role?: string; content: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number; prompt_tokens: number } }[];
  assert.equal(ev.at(-1), '[DONE]');
  const tokens = ev.filter((e) => typeof e === 'object' && e.choices && e.choices.length > 0);
  assert.equal(tokens.length, 7);
  assert.equal(tokens[0]?.object, 'chat.completion.chunk');
  assert.equal(tokens[0]?.choices?.[0]?.delta.role, 'assistant');
  assert.equal(tokens[6]?.choices?.[0]?.finish_reason, 'length');
  const usage = ev.at(-2) as { usage: { completion_tokens: number; prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } }; choices: unknown[] };
  assert.deepEqual(usage.choices, []);
  assert.equal(usage.usage.completion_tokens, 7);
  assert.ok(usage.usage.prompt_tokens > 0);
});

test('non-streamed completion honours max_tokens; a repeated prompt reports cached tokens', async () => {
  const prompt = 'lorem ipsum '.repeat(100); // 1200 chars = 300 tokens = 18 full blocks
  const body = { model: 'base', prompt, max_tokens: 5, ignore_eos: true };
  const first = (await (await post('/v1/completions', body)).json()) as { choices: { text: string; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } } };
  assert.equal(first.usage.prompt_tokens, 300);
  assert.equal(first.usage.completion_tokens, 5);
  assert.equal(first.choices[0]?.text.length, 20);
  assert.equal(first.choices[0]?.finish_reason, 'length');
  assert.equal(first.usage.prompt_tokens_details.cached_tokens, 0);
  const second = (await (await post('/v1/completions', body)).json()) as typeof first;
  assert.equal(second.usage.prompt_tokens_details.cached_tokens, 288);
});

test('without ignore_eos the answer may stop early with finish_reason stop', async () => {
  const res = (await (await post('/v1/completions', { model: 'base', prompt: 'tell me', max_tokens: 2000 })).json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
  assert.ok(res.usage.completion_tokens <= 1024);
  assert.equal(res.choices[0]?.finish_reason, 'stop');
});

test('models, health, errors', async () => {
  const models = (await (await fetch(base + '/v1/models')).json()) as { data: { id: string; parent: string | null }[] };
  assert.deepEqual(models.data.map((m) => m.id).sort(), ['adapter-a', 'base']);
  assert.equal(models.data.find((m) => m.id === 'adapter-a')?.parent, 'base');
  assert.equal((await fetch(base + '/health')).status, 200);
  const unknown = await post('/v1/completions', { model: 'nope', prompt: 'x' });
  assert.equal(unknown.status, 404);
  assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /does not exist/);
  assert.equal((await post('/v1/chat/completions', { model: 'base', messages: [] })).status, 400);
  const bad = await fetch(base + '/v1/completions', { method: 'POST', body: '{not json' });
  assert.equal(bad.status, 400);
});

test('a running LoRA request shows in vllm:lora_requests_info', async () => {
  const ctl = new AbortController();
  const done = new Promise<SimRequest>((resolve) => finishWaiters.push(resolve));
  const res = await post('/v1/completions', { model: 'adapter-a', prompt: 'hi', max_tokens: 50000, ignore_eos: true, stream: true }, ctl.signal);
  await res.body!.getReader().read();
  const page = await (await fetch(base + '/metrics')).text();
  assert.match(page, /^vllm:lora_requests_info\{max_lora="\d+",running_lora_adapters="adapter-a",waiting_lora_adapters=""\} \S+$/m);
  ctl.abort();
  assert.equal((await done).lora, 'adapter-a');
});

test('a client that goes away aborts its request and frees its KV blocks', async () => {
  const abortsBefore = server.engine.stats.finishedAbort;
  const ctl = new AbortController();
  const aborted = new Promise<SimRequest>((resolve) => finishWaiters.push(resolve));
  const res = await post('/v1/completions', { model: 'base', prompt: 'long one', max_tokens: 100000 - 10, ignore_eos: true, stream: true }, ctl.signal);
  const reader = res.body!.getReader();
  await reader.read(); // first token arrived: the request is running
  ctl.abort();
  const r = await aborted;
  assert.equal(r.finishReason, 'abort');
  assert.equal(server.engine.numRunning, 0);
  assert.equal(server.engine.kv.freeBlocks, server.engine.kv.numBlocks);
  const page = await (await fetch(base + '/metrics')).text();
  const abortLine = new RegExp(`^vllm:request_success_total\\{engine="0",finished_reason="abort",model_name="base"\\} ${abortsBefore + 1}\\.0$`, 'm');
  assert.match(page, abortLine);
});

test('output processing: token k leaves k x outputTokenMs after its engine step (alpha2), in order, in e2e mode too', async () => {
  const slow = new SimServer({ config: { ...LLAMA3_8B_H100, modelName: 'base', stepBaseMs: 0.2, prefillTokenMs: 0, decodeRequestMs: 0, queueBaseMs: 0, queueTokenMs: 0, outputTokenMs: 25 }, timeScale: 1 });
  const a = await slow.listen(0, '127.0.0.1');
  try {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${a.port}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'base', prompt: 'hi', max_tokens: 4, ignore_eos: true, stream: true }),
    });
    const reader = res.body!.getReader();
    const arrivals: number[] = [];
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = new TextDecoder().decode(value);
      text += chunk;
      for (let i = 0; i < (chunk.match(/"text"/g) ?? []).length; i++) arrivals.push(performance.now() - t0);
    }
    // Engine steps take ~0.2 ms each; the 4th token cannot leave before 4 x 25 ms of output processing.
    assert.equal(arrivals.length, 4);
    assert.ok(arrivals[3]! >= 95, `last token after ${arrivals[3]} ms`);
    assert.ok(text.endsWith('data: [DONE]\n\n'), 'the end follows the last token');
  } finally {
    await slow.close();
  }
});
