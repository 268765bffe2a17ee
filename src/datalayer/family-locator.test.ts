import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineType } from '../framework/endpoint.ts';
import { extractorFor } from './engines.ts';
import { FamilyLocator } from './family-locator.ts';
import { fixture, SGLANG_FIXTURE, TRITON_FIXTURE, VLLM_FIXTURE } from '../../test/support/datalayer/fixtures.ts';
import { ScrapedMetrics } from './scraped-metrics.ts';

const VLLM_NAMES = extractorFor('vllm').names;

/** The lines a full scan would read: those starting with a wanted name followed by `{`, a space or a tab. */
function wantedLines(page: string, names: readonly string[]): string[] {
  return page.split('\n').filter((line) => names.some((n) => line.startsWith(n) && /^[{ \t]/.test(line.slice(n.length))));
}

/** The page placed inside a larger buffer, with stale bytes (holding wanted names) before and after it. */
function inBuffer(page: string): { buf: Buffer; start: number; end: number } {
  const before = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n');
  const body = Buffer.from(page, 'utf8');
  const after = Buffer.from('\nvllm:num_requests_waiting{engine="9"} 99.0\nvllm:kv_cache_usage_perc 0.99\n');
  return { buf: Buffer.concat([before, body, after]), start: before.length, end: before.length + body.length };
}

function excerptOf(locator: FamilyLocator, page: string): string {
  const { buf, start, end } = inBuffer(page);
  return locator.excerpt(buf, start, end);
}

function assertSameLines(locator: FamilyLocator, page: string, names: readonly string[]): string {
  const text = excerptOf(locator, page);
  assert.deepEqual(wantedLines(text, names), wantedLines(page, names));
  return text;
}

function extracted(engine: EngineType, page: string): ScrapedMetrics | string {
  const out = new ScrapedMetrics();
  return extractorFor(engine).extract(page, out) ?? out;
}

/** A deterministic random source. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** The next scrape of the same server: every value rewritten with a random length, some lines dropped or added. */
function nextPage(page: string, rand: () => number): string {
  return page
    .split('\n')
    .flatMap((line) => {
      if (line.startsWith('#') || line === '') return [line];
      const cut = line.lastIndexOf(' ');
      const value = rand() < 0.5 ? line.slice(cut + 1) : String(Math.floor(rand() * 10 ** Math.floor(rand() * 9))) + '.0';
      const out = `${line.slice(0, cut)} ${value}`;
      const r = rand();
      if (r < 0.03) return []; // a series that went away (a LoRA series, a histogram bucket)
      if (r < 0.06) return [out, out.replace(/\{/, '{extra="1",')]; // a new series of the same family
      return [out];
    })
    .join('\n');
}

test('the excerpt holds exactly the wanted lines of each engine fixture, and extraction gives the same result', () => {
  const cases: [EngineType, string][] = [
    ['vllm', VLLM_FIXTURE],
    ['sglang', SGLANG_FIXTURE],
    ['triton-tensorrt-llm', TRITON_FIXTURE],
  ];
  for (const [engine, file] of cases) {
    const page = fixture(file);
    const names = extractorFor(engine).names;
    const locator = new FamilyLocator(names);
    const text = assertSameLines(locator, page, names);
    assert.deepEqual(extracted(engine, text), extracted(engine, page), engine);
    assert.ok(text.length < page.length / 4, `${engine}: excerpt ${text.length} of ${page.length} bytes`);
  }
});

test('one locator over a sequence of changing pages (values change length, series come and go) reads every wanted line', () => {
  const rand = rng(7);
  let page = fixture(VLLM_FIXTURE);
  const locator = new FamilyLocator(VLLM_NAMES, 5);
  for (let i = 0; i < 300; i++) {
    page = nextPage(page, rand);
    assertSameLines(locator, page, VLLM_NAMES);
    assert.deepEqual(extracted('vllm', excerptOf(locator, page)), extracted('vllm', page), `page ${i}`);
  }
});

test('families that move far between pages (lines inserted before them, order changed) are found by search', () => {
  const base = fixture(VLLM_FIXTURE);
  const locator = new FamilyLocator(VLLM_NAMES, 1000); // no full pass: only hints and searches
  assertSameLines(locator, base, VLLM_NAMES);
  const filler = Array.from({ length: 300 }, (_, i) => `other_metric{i="${i}"} ${i}.0`).join('\n');
  assertSameLines(locator, `${filler}\n${base}`, VLLM_NAMES);
  // Families in reverse order.
  const blocks = base.split(/\n(?=# HELP )/);
  assertSameLines(locator, blocks.reverse().join('\n'), VLLM_NAMES);
  assertSameLines(locator, base, VLLM_NAMES);
});

test('names match exactly: prefixes, HELP text, label values and stale bytes past the page do not count', () => {
  const page = [
    '# HELP vllm:num_requests_waiting Number of requests waiting, unlike vllm:num_requests_running',
    '# TYPE vllm:num_requests_waiting gauge',
    'vllm:num_requests_waiting_by_reason{reason="capacity"} 7.0',
    'other{text="\\nvllm:num_requests_running 5"} 1.0',
    'vllm:num_requests_waiting{engine="0"} 3.0',
    'vllm:num_requests_running\t2.0',
    'vllm:kv_cache_usage_perc{engine="0",model_name="é模型"} 0.5',
  ].join('\n');
  const locator = new FamilyLocator(VLLM_NAMES);
  const text = excerptOf(locator, page);
  assert.deepEqual(text.split('\n'), [
    'vllm:num_requests_waiting{engine="0"} 3.0',
    'vllm:num_requests_running\t2.0',
    'vllm:kv_cache_usage_perc{engine="0",model_name="é模型"} 0.5',
  ]);
  // Hinted pass over the same page: the same lines.
  assert.equal(excerptOf(locator, page), text);
});

test('first line of the page, CRLF line ends, a last line without newline, comments inside a group', () => {
  const page = [
    'vllm:num_requests_waiting 1.0\r',
    '# TYPE x gauge\r',
    'x 1\r',
    'vllm:num_requests_running{engine="0"} 1.0\r',
    '# a comment inside the group\r',
    '',
    'vllm:num_requests_running{engine="1"} 2.0\r',
    'y 2\r',
    'vllm:kv_cache_usage_perc 0.25',
  ].join('\n');
  const locator = new FamilyLocator(VLLM_NAMES);
  for (let pass = 0; pass < 2; pass++) {
    const text = assertSameLines(locator, page, VLLM_NAMES);
    const m = extracted('vllm', text);
    assert.ok(m instanceof ScrapedMetrics);
    assert.equal(m.waitingQueue, 1);
    assert.equal(m.runningRequests, 3);
    assert.equal(m.kvCacheUsage, 0.25);
  }
});

test('a family absent at the last full pass is picked up at the next one, or at once after invalidate()', () => {
  const without = 'vllm:num_requests_waiting 1.0\nvllm:num_requests_running 2.0\nvllm:kv_cache_usage_perc 0.5\n';
  const lora = 'vllm:lora_requests_info{max_lora="4",running_lora_adapters="a",waiting_lora_adapters=""} 1.7e9\n';
  const locator = new FamilyLocator(VLLM_NAMES, 3);
  excerptOf(locator, without); // full pass: lora absent
  assert.doesNotMatch(excerptOf(locator, without + lora), /lora/); // not searched for between full passes
  assert.doesNotMatch(excerptOf(locator, without + lora), /lora/);
  assert.match(excerptOf(locator, without + lora), /lora_requests_info/); // third page: full pass
  const again = new FamilyLocator(VLLM_NAMES, 1000);
  excerptOf(again, without);
  again.invalidate();
  assert.match(excerptOf(again, without + lora), /lora_requests_info/);
});

test('a page that splits a family into two groups turns the locator off: pages are decoded whole', () => {
  const page = 'vllm:num_requests_waiting 1.0\nother 1\nvllm:num_requests_running 2.0\nvllm:num_requests_waiting{engine="1"} 4.0\nvllm:kv_cache_usage_perc 0.5\n';
  const locator = new FamilyLocator(VLLM_NAMES);
  assert.equal(excerptOf(locator, page), page);
  assert.equal(locator.wholePages, true);
  const m = extracted('vllm', excerptOf(locator, page));
  assert.ok(m instanceof ScrapedMetrics);
  assert.equal(m.waitingQueue, 5);
});

test('an empty page and a page with no wanted family give an empty excerpt', () => {
  const locator = new FamilyLocator(VLLM_NAMES);
  assert.equal(excerptOf(locator, ''), '');
  assert.equal(excerptOf(locator, '# HELP a b\nother 1\n'), '');
  assert.equal(excerptOf(locator, '# HELP a b\nother 1\n'), '');
});
