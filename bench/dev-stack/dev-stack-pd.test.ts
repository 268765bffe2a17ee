/**
 * `npm start -- --pd` end to end: the P/D example's picker config and pods (on other loopback addresses and
 * ports), prefill pods as KV producers, decode pods behind routing sidecars, through the local gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, spawnNode, stopChild, waitForLines } from './procs.ts';

test('npm start -- --pd: a long prompt is prefilled on a prefill pod and decoded on a decode pod', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-stack-'));
  const base = 20000 + Math.floor(Math.random() * 20000);
  const podPort = base;
  const resources = readFileSync(join(REPO_ROOT, 'examples/pd/resources.yaml'), 'utf8')
    .replace(/127\.0\.0\.(\d)/g, '127.0.47.$1')
    .replace('number: 8000', `number: ${podPort}`);
  const file = join(dir, 'resources.yaml');
  writeFileSync(file, resources);
  const args = ['--pd', '--resources', file, '--gateway-port', '0', '--grpc-port', String(base + 1), '--grpc-health-port', String(base + 2), '--metrics-port', String(base + 3)];
  const child = spawnNode('dev-stack', 'bench/dev-stack/dev-stack.ts', args);
  t.after(() => stopChild(child));
  const [line] = await waitForLines(child, /^gateway: http:\/\/127\.0\.0\.1:\d+/, 1, 60_000);
  const gateway = /^gateway: (http:\/\/127\.0\.0\.1:\d+)/.exec(line!)![1];
  assert.match(child.tail.join('\n'), /127\.0\.47\.4:\d+ \(decode, sidecar\)/);

  const prompt = 'a long prompt that is worth a prefill stage. '.repeat(40);
  const res = await fetch(`${gateway}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'meta-llama/Llama-3.1-8B-Instruct', prompt, max_tokens: 4 }),
  });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  assert.match(res.headers.get('x-prefilled-by') ?? '', new RegExp(`^127\\.0\\.47\\.[23]:${podPort}$`), 'prefilled on a prefill pod');
  assert.match(res.headers.get('x-inference-pod') ?? '', /^sim-[23]$/, 'decoded on a decode pod');
  assert.equal((JSON.parse(body) as { usage: { completion_tokens: number } }).usage.completion_tokens, 4);
});
