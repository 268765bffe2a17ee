import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../framework/endpoint.ts';
import { extractorFor } from './engines.ts';
import { MetricsWriter, ScrapedMetrics } from './scraped-metrics.ts';

// vllm:lora_adapter_loaded as vLLM #54830 (and bench/sim) prints it, beside the deprecated lora_requests_info.
const PAGE = `vllm:num_requests_running{engine="0",model_name="base"} 0.0
vllm:num_requests_waiting{engine="0",model_name="base"} 0.0
vllm:kv_cache_usage_perc{engine="0",model_name="base"} 0.0
vllm:lora_requests_info{max_lora="2",running_lora_adapters="",waiting_lora_adapters=""} 1.7e+09
vllm:lora_adapter_loaded{adapter_name="v1",level="gpu",pinned="false"} 1.0
vllm:lora_adapter_loaded{adapter_name="v2",level="cpu",pinned="false"} 1.0
`;

test('residency: idle loaded adapters (gpu and cpu) land on Endpoint.loadedAdapters; max_lora from the info series', () => {
  const ep = new Endpoint('10.0.0.1', 8000, 'p', 'ns', 0, 'vllm');
  const m = new ScrapedMetrics();
  assert.equal(extractorFor('vllm').extract(PAGE, m), undefined);
  new MetricsWriter().write(ep, m, 1);
  assert.deepEqual([...ep.loadedAdapters], ['v1', 'v2']);
  assert.equal(ep.residencyKnown, true);
  assert.equal(ep.activeAdapters.size, 0, 'lora_requests_info lists nothing: no request in flight');
  assert.equal(ep.maxLora, 2);
});

test('residency: a page without the series leaves residency unknown', () => {
  const ep = new Endpoint('10.0.0.1', 8000, 'p', 'ns', 0, 'vllm');
  const m = new ScrapedMetrics();
  assert.equal(extractorFor('vllm').extract(PAGE.split('\n').slice(0, 4).join('\n') + '\n', m), undefined);
  new MetricsWriter().write(ep, m, 1);
  assert.equal(ep.residencyKnown, false);
  assert.equal(ep.loadedAdapters.size, 0);
});
