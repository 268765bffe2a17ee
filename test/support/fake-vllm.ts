/**
 * A model server's /metrics as vLLM V1 prints it, on its own loopback address, with load a test sets.
 * `scraped(n)` resolves after n more scrapes: since one endpoint is never scraped twice at once, the second
 * scrape after a change proves the picker has processed a page with the change.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VllmLoad {
  waiting: number;
  running: number;
  kv: number;
  /** Adapters running on the server. */
  loras: string[];
  maxLora: number;
  /** Fail every scrape with 500 (the endpoint goes stale). */
  failing: boolean;
}

export class FakeVllm {
  readonly host: string;
  load: VllmLoad = { waiting: 0, running: 0, kv: 0, loras: [], maxLora: 4, failing: false };
  scrapes = 0;
  readonly #server: Server;
  #waiters: { at: number; resolve: () => void }[] = [];

  private constructor(host: string) {
    this.host = host;
    this.#server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.scrapes++;
      if (this.load.failing) res.writeHead(500).end('boom');
      else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.page());
      for (const w of this.#waiters.filter((w) => w.at <= this.scrapes)) w.resolve();
      this.#waiters = this.#waiters.filter((w) => w.at > this.scrapes);
    });
  }

  static async start(host: string, port: number): Promise<FakeVllm> {
    const s = new FakeVllm(host);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(port, host, () => resolve());
    });
    return s;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Resolves after `n` more scrapes. */
  scraped(n = 2): Promise<void> {
    return new Promise((resolve) => this.#waiters.push({ at: this.scrapes + n, resolve }));
  }

  page(): string {
    return vllmPickerPage(this.load);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The vLLM V1 lines a picker reads (queue, running, KV, LoRA info, cache config), as vLLM prints them. */
export function vllmPickerPage(l: Pick<VllmLoad, 'waiting' | 'running' | 'kv' | 'loras' | 'maxLora'>): string {
  const m = 'model_name="meta-llama/Llama-3.1-8B-Instruct"';
  const adapters = l.loras.join(',');
  return [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{engine="0",${m}} ${l.running.toFixed(1)}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{engine="0",${m}} ${l.waiting.toFixed(1)}`,
    '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{engine="0",${m}} ${l.kv}`,
    '# HELP vllm:lora_requests_info Running stats on lora requests.',
    '# TYPE vllm:lora_requests_info gauge',
    `vllm:lora_requests_info{max_lora="${l.maxLora}",running_lora_adapters="${adapters}",waiting_lora_adapters=""} 1.7906216241398244e+09`,
    '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig',
    '# TYPE vllm:cache_config_info gauge',
    `vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="0",num_gpu_blocks="5623"} 1.0`,
    '',
  ].join('\n');
}
