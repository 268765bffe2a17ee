import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_TYPES, type EngineType } from '../framework/endpoint.ts';
import { ENGINE_SPECS, extractorFor } from './engines.ts';
import { PromParseError } from './prom-text.ts';
import { parseNaive } from '../../test/support/datalayer/prom-text-naive.ts';
import { ScrapedMetrics } from './scraped-metrics.ts';
import { fixture, SGLANG_FIXTURE, TRITON_FIXTURE, VLLM_FIXTURE } from '../../test/support/datalayer/fixtures.ts';

function extract(engine: EngineType, page: string): ScrapedMetrics {
  const out = new ScrapedMetrics();
  const reason = extractorFor(engine).extract(page, out);
  assert.equal(reason, undefined, `extraction failed: ${reason}`);
  return out;
}

function failure(engine: EngineType, page: string): string {
  const reason = extractorFor(engine).extract(page, new ScrapedMetrics());
  assert.ok(reason !== undefined, 'expected a failure');
  return reason;
}

function lines(...l: string[]): string {
  return l.join('\n') + '\n';
}

test('metrics paths: trtllm-serve serves Prometheus text on /prometheus/metrics, the others on /metrics', () => {
  assert.deepEqual(
    ENGINE_TYPES.map((e) => ENGINE_SPECS[e]!.path),
    ['/metrics', '/metrics', '/prometheus/metrics', '/metrics'],
  );
});

test('vLLM 0.30.0 fixture: queue, running, KV, cache config and the newest non-empty LoRA series', () => {
  const page = fixture(VLLM_FIXTURE);
  const m = extract('vllm', page);
  assert.equal(m.waitingQueue, 0);
  assert.equal(m.runningRequests, 0);
  assert.equal(m.kvCacheUsage, 0);
  assert.equal(m.cacheBlockSize, 16);
  assert.equal(m.cacheNumBlocks, 5623);
  assert.equal(m.maxLora, 8);
  assert.equal(m.runningAdapters, 'a2,a6,a3,a7,a4,a5,a8');
  assert.equal(m.waitingAdapters, 'a2,a6,a3,a7,a4,a5,a8');

  // The rule matters on this page: the newest series of all has both lists empty.
  const lora = parseNaive(page).filter((s) => s.name === 'vllm:lora_requests_info');
  assert.equal(lora.length, 31);
  const newest = lora.reduce((a, b) => (b.value > a.value ? b : a));
  assert.equal(newest.labels.running_lora_adapters, '');
  assert.equal(newest.labels.waiting_lora_adapters, '');
});

test('SGLang docs fixture (model_name label only, no cache_config_info)', () => {
  const m = extract('sglang', fixture(SGLANG_FIXTURE));
  assert.equal(m.waitingQueue, 2826);
  assert.equal(m.runningRequests, 162);
  assert.equal(m.kvCacheUsage, 0.28);
  assert.equal(m.cacheBlockSize, 0);
  assert.equal(m.cacheNumBlocks, 0);
  assert.equal(m.maxLora, 0);
  assert.equal(m.runningAdapters, '');
});

test('Triton TensorRT-LLM docs fixture: series chosen by request_type / kv_cache_block_type', () => {
  const m = extract('triton-tensorrt-llm', fixture(TRITON_FIXTURE));
  assert.equal(m.waitingQueue, 1);
  assert.equal(m.runningRequests, 1);
  assert.equal(m.kvCacheUsage, 0.4875);
  assert.equal(m.cacheBlockSize, 64);
  assert.equal(m.cacheNumBlocks, 6239);
});

test('vLLM data parallel: queues summed over engines, KV is the most loaded engine, smallest pool', () => {
  const page = lines(
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    'vllm:num_requests_running{engine="0",model_name="m"} 2.0',
    'vllm:num_requests_running{engine="1",model_name="m"} 5.0',
    'vllm:num_requests_waiting{engine="0",model_name="m"} 3.0',
    'vllm:num_requests_waiting{model_name="m",engine="1"} 4.0',
    'vllm:num_requests_waiting_by_reason{engine="0",model_name="m",reason="capacity"} 100.0',
    'vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.3',
    'vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.7',
    'vllm:cache_config_info{block_size="16",engine="0",num_gpu_blocks="1000"} 1.0',
    'vllm:cache_config_info{block_size="16",engine="1",num_gpu_blocks="900"} 1.0',
  );
  const m = extract('vllm', page);
  assert.equal(m.waitingQueue, 7);
  assert.equal(m.runningRequests, 7);
  assert.equal(m.kvCacheUsage, 0.7);
  assert.equal(m.cacheBlockSize, 16);
  assert.equal(m.cacheNumBlocks, 900);
});

test('vLLM V0 page: gpu_cache_usage_perc is the fallback, kv_cache_usage_perc wins when both exist', () => {
  const v0 = lines(
    'vllm:num_requests_running{model_name="m"} 1.0',
    'vllm:num_requests_swapped{model_name="m"} 0.0',
    'vllm:num_requests_waiting{model_name="m"} 2.0',
    'vllm:gpu_cache_usage_perc{model_name="m"} 0.25',
    'vllm:cache_config_info{block_size="16",num_gpu_blocks="None"} 1.0',
  );
  const m = extract('vllm', v0);
  assert.equal(m.kvCacheUsage, 0.25);
  assert.equal(m.waitingQueue, 2);
  assert.equal(m.cacheNumBlocks, 0, '"None" is unknown, not a number');
  const both = v0 + 'vllm:kv_cache_usage_perc{model_name="m"} 0.5\n';
  assert.equal(extract('vllm', both).kvCacheUsage, 0.5);
});

test('vLLM LoRA: newest non-empty series, max_lora from it, all-empty-only keeps max_lora, absent = none', () => {
  const base = lines(
    'vllm:num_requests_running 0',
    'vllm:num_requests_waiting 0',
    'vllm:kv_cache_usage_perc 0',
  );
  const lora = (running: string, waiting: string, value: number, max = '4') =>
    `vllm:lora_requests_info{max_lora="${max}",running_lora_adapters="${running}",waiting_lora_adapters="${waiting}"} ${value}\n`;
  let m = extract('vllm', base + lora('', '', 300) + lora('a', '', 100) + lora('', 'b,c', 200, '6') + lora('x', 'y', 150));
  assert.equal(m.runningAdapters, '');
  assert.equal(m.waitingAdapters, 'b,c');
  assert.equal(m.maxLora, 6);
  m = extract('vllm', base + lora('', '', 300, '8'));
  assert.equal(m.maxLora, 8);
  assert.equal(m.runningAdapters, '');
  m = extract('vllm', base);
  assert.equal(m.maxLora, 0);
  assert.equal(m.waitingAdapters, '');
  // Label order does not matter, escapes are resolved.
  m = extract('vllm', base + 'vllm:lora_requests_info{waiting_lora_adapters="",running_lora_adapters="q\\"1",max_lora="2"} 5\n');
  assert.equal(m.runningAdapters, 'q"1');
  assert.equal(m.maxLora, 2);
});

test('SGLang DP attention: max within a dp rank (tp ranks repeat), summed across dp ranks', () => {
  const page = lines(
    'sglang:num_queue_reqs{dp_rank="0",engine_type="unified",model_name="m",pp_rank="0",tp_rank="0"} 5.0',
    'sglang:num_queue_reqs{dp_rank="0",engine_type="unified",model_name="m",pp_rank="0",tp_rank="1"} 5.0',
    'sglang:num_queue_reqs{dp_rank="1",engine_type="unified",model_name="m",pp_rank="0",tp_rank="2"} 3.0',
    'sglang:num_queue_reqs{dp_rank="1",engine_type="unified",model_name="m",pp_rank="0",tp_rank="3"} 3.0',
    'sglang:num_running_reqs{dp_rank="0",model_name="m",tp_rank="0"} 10.0',
    'sglang:num_running_reqs{dp_rank="0",model_name="m",tp_rank="1"} 10.0',
    'sglang:num_running_reqs{dp_rank="1",model_name="m",tp_rank="2"} 1.0',
    'sglang:token_usage{dp_rank="0",model_name="m",tp_rank="0"} 0.2',
    'sglang:token_usage{dp_rank="1",model_name="m",tp_rank="2"} 0.9',
    'sglang:cache_config_info{model_name="m",num_pages="4096",page_size="32"} 1.0',
  );
  const m = extract('sglang', page);
  assert.equal(m.waitingQueue, 8);
  assert.equal(m.runningRequests, 11);
  assert.equal(m.kvCacheUsage, 0.9);
  assert.equal(m.cacheBlockSize, 32);
  assert.equal(m.cacheNumBlocks, 4096);
});

test('SGLang tensor parallel without dp_rank: tp ranks are one scheduler, counted once', () => {
  const page = lines(
    'sglang:num_queue_reqs{model_name="m",tp_rank="0"} 4',
    'sglang:num_queue_reqs{model_name="m",tp_rank="1"} 4',
    'sglang:num_running_reqs{model_name="m",tp_rank="0"} 2',
    'sglang:num_running_reqs{model_name="m",tp_rank="1"} 2',
    'sglang:token_usage{model_name="m",tp_rank="0"} 0.5',
    'sglang:token_usage{model_name="m",tp_rank="1"} 0.5',
  );
  const m = extract('sglang', page);
  assert.equal(m.waitingQueue, 4);
  assert.equal(m.runningRequests, 2);
});

test('trtllm-serve: trtllm_* gauges', () => {
  const page = lines(
    '# HELP trtllm_num_requests_waiting Number of requests waiting',
    '# TYPE trtllm_num_requests_waiting gauge',
    'trtllm_num_requests_waiting{engine_type="trtllm",model_name="m"} 6.0',
    'trtllm_num_requests_running{engine_type="trtllm",model_name="m"} 9.0',
    'trtllm_kv_cache_utilization{engine_type="trtllm",model_name="m"} 0.61',
    'trtllm_kv_cache_tokens_per_block{engine_type="trtllm",model_name="m"} 32.0',
    'trtllm_kv_cache_max_blocks{engine_type="trtllm",model_name="m"} 8192.0',
    'trtllm_kv_cache_free_blocks{engine_type="trtllm",model_name="m"} 100.0',
  );
  const m = extract('trtllm-serve', page);
  assert.deepEqual(
    [m.waitingQueue, m.runningRequests, m.kvCacheUsage, m.cacheBlockSize, m.cacheNumBlocks],
    [6, 9, 0.61, 32, 8192],
  );
});

test('Triton: the discriminator label may come first or last', () => {
  const page = lines(
    'nv_trt_llm_request_metrics{request_type="waiting",model="tensorrt_llm",version="1"} 7',
    'nv_trt_llm_request_metrics{model="tensorrt_llm",version="1",request_type="scheduled"} 3',
    'nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="max",version="1"} 512',
    'nv_trt_llm_kv_cache_block_metrics{version="1",model="tensorrt_llm",kv_cache_block_type="fraction"} 0.5',
  );
  const m = extract('triton-tensorrt-llm', page);
  assert.deepEqual([m.waitingQueue, m.runningRequests, m.kvCacheUsage], [7, 3, 0.5]);
});

test('a page without the core metrics is a failure that names them, not zeros', () => {
  assert.equal(
    failure('vllm', 'vllm:num_requests_waiting{engine="0"} 1\nvllm:num_requests_waiting_by_reason{reason="x"} 1\n'),
    'missing metrics: vllm:num_requests_running, vllm:kv_cache_usage_perc or vllm:gpu_cache_usage_perc',
  );
  assert.equal(
    failure('vllm', 'vllm:num_requests_waiting_by_reason 1\nvllm:num_requests_running 0\nvllm:kv_cache_usage_perc 0\n'),
    'missing metrics: vllm:num_requests_waiting',
  );
  assert.match(failure('sglang', fixture(VLLM_FIXTURE)), /^missing metrics: sglang:num_queue_reqs, sglang:num_running_reqs, sglang:token_usage$/);
  assert.equal(
    failure('triton-tensorrt-llm', 'nv_trt_llm_request_metrics{request_type="context"} 1\n'),
    'missing metrics: nv_trt_llm_request_metrics{request_type="waiting"}, nv_trt_llm_request_metrics{request_type="scheduled"}, nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction"}',
  );
  assert.match(failure('trtllm-serve', '{"iteration": 1}'), /^missing metrics: trtllm_num_requests_waiting/);
  assert.match(failure('vllm', ''), /^missing metrics/);
});

test('a non-finite core value is a failure; KV usage is clamped to [0,1]', () => {
  const page = (kv: string) => `vllm:num_requests_waiting 0\nvllm:num_requests_running 0\nvllm:kv_cache_usage_perc ${kv}\n`;
  assert.equal(failure('vllm', page('NaN')), 'non-finite value for vllm:kv_cache_usage_perc');
  assert.equal(failure('vllm', page('+Inf')), 'non-finite value for vllm:kv_cache_usage_perc');
  assert.equal(extract('vllm', page('1.2')).kvCacheUsage, 1);
  assert.equal(extract('vllm', page('-0.1')).kvCacheUsage, 0);
});

test('a malformed wanted line throws PromParseError', () => {
  assert.throws(() => extractorFor('vllm').extract('vllm:num_requests_waiting{engine="0" 1\n', new ScrapedMetrics()), PromParseError);
});

test('extractors are reusable: state from one page does not leak into the next', () => {
  const x = extractorFor('vllm');
  const out = new ScrapedMetrics();
  assert.equal(x.extract(fixture(VLLM_FIXTURE), out), undefined);
  const plain = 'vllm:num_requests_waiting 2\nvllm:num_requests_running 1\nvllm:kv_cache_usage_perc 0.1\n';
  assert.equal(x.extract(plain, out), undefined);
  assert.deepEqual(
    [out.waitingQueue, out.runningRequests, out.kvCacheUsage, out.maxLora, out.runningAdapters, out.cacheBlockSize, out.cacheNumBlocks],
    [2, 1, 0.1, 0, '', 0, 0],
  );
});

test('vLLM cache config: a changed cache_config_info line is read again, an unchanged one gives the same values', () => {
  const page = (blocks: string, size = '16') =>
    lines(
      'vllm:num_requests_running{model_name="m"} 1.0',
      'vllm:num_requests_waiting{model_name="m"} 0.0',
      'vllm:kv_cache_usage_perc{model_name="m"} 0.1',
      `vllm:cache_config_info{block_size="${size}",cache_dtype="auto",num_gpu_blocks="${blocks}"} 1.0`,
    );
  const seen = ['1000', '1000', '2000', '999', '1000'].map((b) => extract('vllm', page(b)).cacheNumBlocks);
  assert.deepEqual(seen, [1000, 1000, 2000, 999, 1000]);
  assert.equal(extract('vllm', page('1000', '32')).cacheBlockSize, 32);
  assert.equal(extract('vllm', page('1000')).cacheBlockSize, 16);
  // A server without the line reports nothing, whatever the last page had.
  const without = lines('vllm:num_requests_running 1', 'vllm:num_requests_waiting 0', 'vllm:kv_cache_usage_perc 0.1');
  assert.equal(extract('vllm', without).cacheNumBlocks, 0);
});
