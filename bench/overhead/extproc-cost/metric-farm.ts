/**
 * Child process: fake model-server metric endpoints on 127.0.0.2 .. 127.0.0.<n+1>, all on one port, as pods
 * of a pool share their target port. `small` pages are the few vLLM V1 lines the picker reads, with load
 * varied per endpoint; `vllm` is the real 61,798-byte vLLM 0.30.0 page (src/datalayer/testdata) with the
 * queue, running and KV values rewritten per endpoint. Pages are built once: serving costs one write.
 *
 * Run by the benchmarks: node bench/overhead/extproc-cost/metric-farm.ts <count> <small|vllm>
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { vllmPickerPage } from '../../../test/support/fake-vllm.ts';
import { ready, serveStats } from './child-stats.ts';

const count = Number(process.argv[2] ?? 100);
const kind = process.argv[3] ?? 'small';
const VLLM_PAGE = readFileSync(new URL('../../../src/datalayer/testdata/vllm-metrics-v0.30.0-qwen2.5-7b-lora.txt', import.meta.url), 'utf8');

function hostOf(i: number): string {
  return `127.0.${(i + 2) >> 8}.${(i + 2) & 255}`;
}

function load(i: number) {
  // Deterministic spread: some endpoints busy, some idle.
  return { waiting: (i * 7) % 13, running: (i * 5) % 17, kv: ((i * 37) % 100) / 100 };
}

function smallPage(i: number): Buffer {
  return Buffer.from(vllmPickerPage({ ...load(i), maxLora: 4, loras: [] }));
}

function vllmPage(i: number): Buffer {
  const l = load(i);
  const text = VLLM_PAGE.replace(/^(vllm:num_requests_waiting\{[^}]*\}) \S+$/m, `$1 ${l.waiting.toFixed(1)}`)
    .replace(/^(vllm:num_requests_running\{[^}]*\}) \S+$/m, `$1 ${l.running.toFixed(1)}`)
    .replace(/^(vllm:kv_cache_usage_perc\{[^}]*\}) \S+$/m, `$1 ${l.kv}`);
  return Buffer.from(text);
}

let served = 0;

async function listen(i: number, port: number): Promise<Server> {
  const page = kind === 'vllm' ? vllmPage(i) : smallPage(i);
  const headers = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': String(page.length) };
  const server = createServer((req, res) => {
    served++;
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, headers).end(page);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostOf(i), () => resolve());
  });
  return server;
}

if (import.meta.main) {
  const first = await listen(0, 0);
  const port = (first.address() as AddressInfo).port;
  for (let i = 1; i < count; i++) await listen(i, port);
  serveStats(() => ({ served }));
  ready({ port, hosts: Array.from({ length: count }, (_, i) => hostOf(i)), pageBytes: (kind === 'vllm' ? vllmPage(0) : smallPage(0)).length });
}
