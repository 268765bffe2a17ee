/**
 * The local gateway against the real picker (in process, plaintext gRPC) and two simulated servers: a
 * streamed chat completion comes back exactly as the model server sent it, apart from routing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseFlags } from '../../src/cli/flags.ts';
import { startPicker } from '../../src/runner.ts';
import { Gateway } from './gateway/gateway.ts';
import { LLAMA3_8B_H100 } from '../sim/profile.ts';
import { SimServer } from '../sim/server.ts';

const MODEL = 'test-model';
const config = { ...LLAMA3_8B_H100, modelName: MODEL, stepBaseMs: 0.5, prefillTokenMs: 0, decodeRequestMs: 0, queueBaseMs: 0, queueTokenMs: 0 };
const sims = [new SimServer({ config, timeScale: 1, podName: 'sim-0' }), new SimServer({ config, timeScale: 1, podName: 'sim-1' })];
const hosts = ['127.0.0.2', '127.0.0.3'];
const ports: number[] = [];
for (const [i, s] of sims.entries()) ports.push((await s.listen(0, hosts[i] as string)).port);
const endpoints = hosts.map((h, i) => `${h}:${ports[i]}`);

// One pool over both ports; each pod serves only its own (active-ports annotation).
const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
const pods = hosts.map(
  (ip, i) => `apiVersion: v1
kind: Pod
metadata:
  name: sim-${i}
  labels: {app: sim}
  annotations: {inference.networking.k8s.io/active-ports: "${ports[i]}"}
status:
  podIP: ${ip}
  conditions: [{type: Ready, status: "True"}]`,
);
writeFileSync(
  join(dir, 'resources.yaml'),
  [
    `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool}
spec:
  selector: {matchLabels: {app: sim}}
  targetPorts: [{number: ${ports[0]}}, {number: ${ports[1]}}]`,
    ...pods,
  ].join('\n---\n'),
);
const picker = await startPicker(
  parseFlags(['--resources', join(dir, 'resources.yaml'), '--grpc-port', '0', '--grpc-health-port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--secure-serving=false']),
  pino({ level: 'silent' }),
);
const viaPicker = new Gateway({ policy: { kind: 'extproc', target: `127.0.0.1:${picker.grpcPort}`, failureModeAllow: false }, endpoints });
const gwPort = (await viaPicker.listen(0, '127.0.0.1')).port;
const roundRobin = new Gateway({ policy: { kind: 'baseline', name: 'round-robin' }, endpoints });
const rrPort = (await roundRobin.listen(0, '127.0.0.1')).port;

after(async () => {
  await viaPicker.close();
  await roundRobin.close();
  await picker.stop();
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const chatBody = JSON.stringify({
  model: MODEL,
  messages: [{ role: 'user', content: 'Hi!' }], // shorter than one KV block: no prefix-cache hit on a repeat
  max_completion_tokens: 12,
  ignore_eos: true,
  stream: true,
  stream_options: { include_usage: true },
});

async function chat(origin: string, requestId: string): Promise<{ status: number; headers: Headers; events: unknown[] }> {
  const res = await fetch(`${origin}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body: chatBody });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((p) => {
      if (p === '[DONE]') return p;
      const { created: _created, ...rest } = JSON.parse(p) as Record<string, unknown>;
      return rest;
    });
  return { status: res.status, headers: res.headers, events };
}

test('a streamed chat completion through gateway and picker is byte-for-byte the server\'s, apart from routing', async () => {
  const routed = await chat(`http://127.0.0.1:${gwPort}`, 'req-1');
  assert.equal(routed.status, 200);
  assert.equal(routed.headers.get('content-type'), 'text/event-stream');
  const pod = routed.headers.get('x-inference-pod');
  assert.ok(pod === 'sim-0' || pod === 'sim-1', `served by ${pod}`);
  const direct = await chat(`http://${endpoints[pod === 'sim-0' ? 0 : 1]}`, 'req-1');
  assert.equal(routed.events.length, 12 + 2); // 12 tokens, usage, [DONE]
  assert.deepEqual(routed.events, direct.events);
  assert.equal(routed.headers.get('x-request-id'), 'req-1');
});

test('every request is routed by the picker to a pool endpoint', async () => {
  const served = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const r = await chat(`http://127.0.0.1:${gwPort}`, `spread-${i}`);
    assert.equal(r.status, 200);
    served.add(r.headers.get('x-inference-pod') ?? '');
  }
  for (const s of served) assert.ok(s === 'sim-0' || s === 'sim-1');
});

test('the picker\'s immediate response reaches the client with its status and body', async () => {
  const res = await fetch(`http://127.0.0.1:${gwPort}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"no model"}' });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { message: string } };
  assert.match(body.error.message, /model/);
});

test('non-streamed responses pass through too', async () => {
  const res = await fetch(`http://127.0.0.1:${gwPort}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, prompt: 'Hello', max_tokens: 3, ignore_eos: true }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { usage: { completion_tokens: number } };
  assert.equal(body.usage.completion_tokens, 3);
});

test('a bodyless GET goes through the picker (it picks any endpoint) and a bodyless answer ends the exchange', async () => {
  const res = await fetch(`http://127.0.0.1:${gwPort}/health`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
  const models = (await (await fetch(`http://127.0.0.1:${gwPort}/v1/models`)).json()) as { data: { id: string }[] };
  assert.deepEqual(models.data.map((m) => m.id), [MODEL]);
});

test('baseline round-robin alternates endpoints without a picker', async () => {
  const pods: string[] = [];
  for (let i = 0; i < 4; i++) pods.push((await chat(`http://127.0.0.1:${rrPort}`, `rr-${i}`)).headers.get('x-inference-pod') ?? '');
  assert.deepEqual(pods, ['sim-0', 'sim-1', 'sim-0', 'sim-1']);
});

test('picker unreachable: failure_mode_allow false answers 500, true forwards to an endpoint of the gateway\'s choosing', async () => {
  const { freePort } = await import('./procs.ts');
  const dead = `127.0.0.1:${await freePort()}`; // nothing listens there
  const closed = new Gateway({ policy: { kind: 'extproc', target: dead, failureModeAllow: false }, endpoints });
  const open = new Gateway({ policy: { kind: 'extproc', target: dead, failureModeAllow: true }, endpoints });
  const closedPort = (await closed.listen(0, '127.0.0.1')).port;
  const openPort = (await open.listen(0, '127.0.0.1')).port;
  try {
    const failed = await chat(`http://127.0.0.1:${closedPort}`, 'fail-closed');
    assert.equal(failed.status, 500);
    const served = await chat(`http://127.0.0.1:${openPort}`, 'fail-open');
    assert.equal(served.status, 200);
    assert.equal(served.events.length, 14);
  } finally {
    await closed.close();
    await open.close();
  }
});

test('a request with Expect: 100-continue (curl sends it above 1 MB) gets its 100 Continue and is routed', async () => {
  // Over 1 MB, in a field the model server ignores, so the prompt stays within its context.
  const body = JSON.stringify({ model: MODEL, prompt: 'hello', max_tokens: 2, user: 'x'.repeat(1_200_000) });
  const { status, sawContinue, pod } = await new Promise<{ status: number; sawContinue: boolean; pod: string }>((resolve, reject) => {
    let sawContinue = false;
    const req = http.request(
      { host: '127.0.0.1', port: gwPort, method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sawContinue, pod: String(res.headers['x-inference-pod']) }));
      },
    );
    req.on('continue', () => {
      sawContinue = true;
      req.end(body);
    });
    req.on('error', reject);
  });
  assert.equal(sawContinue, true);
  assert.equal(status, 200);
  assert.ok(pod === 'sim-0' || pod === 'sim-1', `served by ${pod}`);
});

test('router mode: the router reads the whole body, picks the endpoint, and hears the first chunk and the end', async () => {
  const seen: { body: string; n: number; first: number; done: number }[] = [];
  const gw = new Gateway({
    policy: {
      kind: 'router',
      router: {
        route(_path, body, n) {
          const rec = { body: body.toString('utf8'), n, first: 0, done: 0 };
          seen.push(rec);
          return { index: 1, firstChunk: () => void rec.first++, done: () => void rec.done++ };
        },
      },
    },
    endpoints,
  });
  const port = (await gw.listen(0, '127.0.0.1')).port;
  try {
    const r = await chat(`http://127.0.0.1:${port}`, 'router-1');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-inference-pod'), 'sim-1', 'the router chose index 1');
    assert.equal(seen.length, 1);
    assert.match(seen[0]!.body, /"messages"/);
    assert.equal(seen[0]!.n, 2);
    assert.deepEqual([seen[0]!.first, seen[0]!.done], [1, 1]);
  } finally {
    await gw.close();
  }
});
