/**
 * Cost of turning one metrics page into endpoint metrics, per page, against the real vLLM 0.30.0 scrape
 * (61,798 bytes, 645 lines) and the SGLang / Triton doc samples.
 *
 *   extract      src/datalayer extractor: scan the wanted names + aggregate (what each scrape runs)
 *   scan-only    PromScanner over the vLLM names with an empty sink
 *   naive-full   every line and label into objects (test/support/datalayer/prom-text-naive.ts), then pick the same values
 *
 * Run: npm exec -- node bench/overhead/scrape-parse.bench.ts [msPerCase=700]
 * Each case warms up, then runs batches until its time budget is spent; prints ns per page (best batch
 * and the median batch). Bounded: at most msPerCase per case plus warm-up.
 */
import { readFileSync } from 'node:fs';
import { extractorFor } from '../../src/datalayer/engines.ts';
import { ScrapedMetrics } from '../../src/datalayer/scraped-metrics.ts';
import { PromScanner, type SampleSink } from '../../src/datalayer/prom-text.ts';
import { parseNaive } from '../../test/support/datalayer/prom-text-naive.ts';

const FIXTURES = new URL('../../src/datalayer/testdata/', import.meta.url);
const budgetMs = Number(process.argv[2] ?? 700);

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

const vllm = fixture('vllm-metrics-v0.30.0-qwen2.5-7b-lora.txt');
const sglang = fixture('sglang-metrics-docs-llama3.1-8b.txt');
const triton = fixture('triton-trtllm-metrics-docs.txt');

let sinkCount = 0;
const countingSink: SampleSink = {
  sample() {
    sinkCount++;
  },
};
const vllmNames = [
  'vllm:num_requests_waiting',
  'vllm:num_requests_running',
  'vllm:kv_cache_usage_perc',
  'vllm:gpu_cache_usage_perc',
  'vllm:lora_requests_info',
  'vllm:cache_config_info',
];
const scanner = new PromScanner(vllmNames);
const out = new ScrapedMetrics();

function naiveExtract(page: string): number {
  let waiting = 0;
  let kv = 0;
  for (const s of parseNaive(page)) {
    if (s.name === 'vllm:num_requests_waiting') waiting += s.value;
    else if (s.name === 'vllm:kv_cache_usage_perc') kv = Math.max(kv, s.value);
  }
  return waiting + kv;
}

function bench(name: string, bytes: number, fn: () => void): void {
  const warmEnd = performance.now() + Math.min(200, budgetMs / 3);
  while (performance.now() < warmEnd) fn();
  const batches: number[] = [];
  const end = performance.now() + budgetMs;
  let batch = 16;
  for (let b = 0; b < 10_000 && performance.now() < end; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0) / batch;
    batches.push(ns);
    if (ns * batch < 2e6) batch *= 2; // aim for batches of ~2 ms so timer resolution does not matter
  }
  batches.sort((a, b) => a - b);
  const best = batches[0] ?? NaN;
  const median = batches[batches.length >> 1] ?? NaN;
  console.log(
    `${name.padEnd(28)} ${String(bytes).padStart(6)} B  best ${fmt(best)} ns/page  median ${fmt(median)} ns/page  (${batches.length} batches)`,
  );
}

function fmt(ns: number): string {
  return Math.round(ns).toLocaleString('en-US').padStart(9);
}

const vllmExtractor = extractorFor('vllm');
const sglangExtractor = extractorFor('sglang');
const tritonExtractor = extractorFor('triton-tensorrt-llm');
if (vllmExtractor.extract(vllm, out) !== undefined) throw new Error('vllm fixture failed to extract');

console.log(`node ${process.version}, ${budgetMs} ms per case`);
bench('vllm extract', vllm.length, () => vllmExtractor.extract(vllm, out));
bench('vllm scan-only', vllm.length, () => scanner.scan(vllm, countingSink));
bench('vllm naive-full', vllm.length, () => naiveExtract(vllm));
bench('sglang extract', sglang.length, () => sglangExtractor.extract(sglang, out));
bench('triton-tensorrt-llm extract', triton.length, () => tritonExtractor.extract(triton, out));
if (sinkCount === 0) throw new Error('scanner found nothing');
