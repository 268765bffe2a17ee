import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractorFor } from '../../src/datalayer/engines.ts';
import { ScrapedMetrics } from '../../src/datalayer/scraped-metrics.ts';
import { Engine, SimRequest } from './engine.ts';
import { py, renderMetrics, type MetricsContext } from './metrics-text.ts';
import { LLAMA3_8B_H100 } from './profile.ts';

test('floats are printed as prometheus_client prints them', () => {
  assert.equal(py(0), '0.0');
  assert.equal(py(5463), '5463.0');
  assert.equal(py(0.25), '0.25');
  assert.equal(py(1394703), '1.394703e+06');
  assert.equal(py(1000000), '1e+06');
  assert.equal(py(1790617502.6442993), '1.7906175026442993e+09');
  assert.equal(py(Infinity), '+Inf');
});

function busyEngine(): Engine {
  const e = new Engine({ ...LLAMA3_8B_H100, maxNumSeqs: 2, maxLoras: 2, queueBaseMs: 0, queueTokenMs: 0 }, { onToken() {}, onFinish() {} });
  e.add(new SimRequest('1', 320, 10, [], 'ad-1'), 0);
  e.add(new SimRequest('2', 320, 10, [], ''), 0);
  e.add(new SimRequest('3', 320, 10, [], 'ad-2'), 0);
  e.advance(0);
  return e;
}

test('the page carries the vLLM V1 names, types and labels a picker reads', () => {
  const e = busyEngine();
  const ctx: MetricsContext = { engine: e, loraSeries: new Map(), loraEnabled: true, nowSeconds: () => 1.8e9 };
  const page = renderMetrics(ctx);
  assert.match(page, /^# TYPE vllm:num_requests_running gauge$/m);
  assert.match(page, /^vllm:num_requests_running\{engine="0",model_name="meta-llama\/Llama-3.1-8B-Instruct"\} 2\.0$/m);
  assert.match(page, /^vllm:num_requests_waiting\{engine="0",model_name="[^"]+"\} 1\.0$/m);
  assert.match(page, /^# TYPE vllm:prefix_cache_queries_total counter$/m);
  assert.match(page, /^# TYPE vllm:time_to_first_token_seconds histogram$/m);
  assert.match(page, /^vllm:time_to_first_token_seconds_bucket\{engine="0",le="\+Inf",model_name="[^"]+"\} 0\.0$/m);
  assert.match(page, /^vllm:inter_token_latency_seconds_count\{/m);
  assert.match(page, /^vllm:lora_requests_info\{max_lora="2",running_lora_adapters="ad-1",waiting_lora_adapters="ad-2"\} 1\.8e\+09$/m);
  assert.match(page, /^vllm:cache_config_info\{block_size="16",.*num_gpu_blocks="29205".*\} 1\.0$/m);
});

test('the picker\'s own extractor reads the simulator\'s page back exactly', () => {
  const e = busyEngine();
  const page = renderMetrics({ engine: e, loraSeries: new Map(), loraEnabled: true, nowSeconds: () => 1.8e9 });
  const m = new ScrapedMetrics();
  assert.equal(extractorFor('vllm').extract(page, m), undefined);
  assert.equal(m.runningRequests, 2);
  assert.equal(m.waitingQueue, 1);
  assert.equal(m.kvCacheUsage, e.kvUsage());
  assert.equal(m.maxLora, 2);
  assert.equal(m.runningAdapters, 'ad-1');
  assert.equal(m.waitingAdapters, 'ad-2');
  assert.equal(m.cacheBlockSize, 16);
  assert.equal(m.cacheNumBlocks, 29205);
});
