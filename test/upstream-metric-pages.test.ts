/**
 * Model-server /metrics pages from upstream's own tests (test/data/upstream/metrics/, see SOURCES.md): llm-d
 * Router's metrics extractor tests, GIE v1.5.0's parity tests and v1.0.0's metric tests, the SGLang docs page and
 * llm-d-inference-sim's samples. Each page goes through the engine's extractor the collector uses.
 *
 * - upstream reads the page (`ok: true`): we read it too, with the same queue, running, KV use, LoRA adapters
 *   and cache config;
 * - upstream reports an error (`ok: false`): we report one too. Upstream still applies the values it found on
 *   such a page; ours applies none and the endpoint keeps its last complete scrape (a page missing its core
 *   gauges is a broken server, not an idle one), so those values are not compared.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ENGINE_TYPES, type EngineType } from '../src/framework/endpoint.ts';
import { extractorFor } from '../src/datalayer/engines.ts';
import { adapterSet, ScrapedMetrics } from '../src/datalayer/scraped-metrics.ts';

const DIR = new URL('./data/upstream/metrics/', import.meta.url);

interface Case {
  id: string;
  page: string;
  engine: string;
  expect: { ok: boolean } & Record<string, unknown>;
  note: string;
}

const cases = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as Case[];

/** Where we differ from upstream on purpose, with what we do instead (asserted). */
const DIVERGENCES: Record<string, { why: string; ours: { failure: boolean } & Record<string, unknown> }> = {
  'gie10-get-latest-by-timestamp+core': {
    why:
      'GIE v1.0 picks the newest of two samples of one series by their timestamps. A page repeating a series breaks ' +
      'the text format (every sample unique) and no engine writes one; ours reads samples without timestamps and the ' +
      'last line of the series stands.',
    ours: { failure: false, waiting: 6 },
  },
  'gie10-invalid-max-lora+core': {
    why:
      'GIE v1.0 reports the strconv error of max_lora="invalid" and still applies the adapters with max 0; ours ' +
      'applies the same values without failing the page: a bad label must not make a serving endpoint look stale.',
    ours: { failure: false, active: ['lora1'], maxLora: 0 },
  },
};

/** What the extractor makes of a page: the values, or the failure (a reason or a parse error). */
function read(c: Case): { failure: string | undefined; got: Record<string, unknown> } {
  // An engine upstream does not know falls back to the default (vllm), as upstream's engine label does.
  const engine: EngineType = (ENGINE_TYPES as readonly string[]).includes(c.engine) ? (c.engine as EngineType) : 'vllm';
  const m = new ScrapedMetrics();
  let failure: string | undefined;
  try {
    failure = extractorFor(engine).extract(readFileSync(new URL(c.page, DIR), 'utf8'), m);
  } catch (e) {
    failure = (e as Error).message;
  }
  const names = (raw: string) => [...adapterSet(new Set(), raw)].sort();
  return {
    failure,
    got: {
      waiting: m.waitingQueue,
      running: m.runningRequests,
      kv: m.kvCacheUsage,
      maxLora: m.maxLora,
      active: names(m.runningAdapters),
      waitingAdapters: names(m.waitingAdapters),
      blockSize: m.cacheBlockSize,
      numBlocks: m.cacheNumBlocks,
    },
  };
}

test('upstream metric pages: 35 cases from llm-d Router, GIE and the inference simulator', () => {
  assert.equal(cases.length, 35);
});

for (const c of cases) {
  test(`upstream metric page ${c.id} (${c.engine}): ${c.expect.ok ? 'read as upstream reads it' : 'an error, as upstream reports'}`, () => {
    const { failure, got } = read(c);
    const divergence = DIVERGENCES[c.id];
    if (divergence) {
      assert.equal(failure !== undefined, divergence.ours.failure, divergence.why);
      for (const [key, want] of Object.entries(divergence.ours)) if (key !== 'failure') assert.deepEqual(got[key], want, `${key} (${divergence.why})`);
      return;
    }
    if (!c.expect.ok) {
      assert.notEqual(failure, undefined, 'upstream reports an error for this page; we read it');
      return;
    }
    assert.equal(failure, undefined, `extraction failed: ${failure}`);
    for (const [key, want] of Object.entries(c.expect)) {
      if (key === 'ok') continue;
      const value = got[key];
      if (Array.isArray(want)) assert.deepEqual(value, [...(want as string[])].sort(), key);
      else assert.ok(Math.abs((value as number) - (want as number)) < 1e-9, `${key}: want ${String(want)}, got ${String(value)}`);
    }
  });
}
