/**
 * concurrency-detector. Cases follow upstream llm-d-router pkg/epp/framework/plugins/flowcontrol/
 * saturationdetector/concurrency/detector_test.go at ebab68792 (TestConcurrencyDetectorFactory,
 * TestDetector_Saturation, _TokenSaturation, _TokenFilter, _HybridSaturation, _HybridFilter).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, retainedHeapGrowth, testHandle, variedEndpoints } from '../../../../../test/support/scheduling/testing.ts';
import {
  ConcurrencyDetector,
  createConcurrencyDetector,
  DEFAULT_CONCURRENCY_DETECTOR_CONFIG,
  type ConcurrencyDetectorConfig,
} from './concurrency-detector.ts';

const KEY = 'inflight-load/inflight-load-producer';
filterContract('concurrency-detector', (h) => createConcurrencyDetector('concurrency-detector', { maxConcurrency: 3 }, h));

function detector(cfg: Partial<ConcurrencyDetectorConfig>): ConcurrencyDetector {
  return new ConcurrencyDetector('d', { ...DEFAULT_CONCURRENCY_DETECTOR_CONFIG, ...cfg }, 'inflight-load-producer');
}

/** Endpoints with [requests, tokens] in flight; null = never routed to. */
function loaded(loads: ([number, number] | null)[]): Endpoint[] {
  return loads.map((l, i) => {
    const ep = makeEndpoint(i);
    if (l !== null) ep.attributes.set(KEY, { requests: l[0], tokens: l[1] });
    return ep;
  });
}

const saturation: { name: string; cfg: Partial<ConcurrencyDetectorConfig>; loads: ([number, number] | null)[]; want: number }[] = [
  // TestDetector_Saturation (requests, maxConcurrency 10)
  { name: 'empty candidate list fails closed', cfg: { maxConcurrency: 10 }, loads: [], want: 1 },
  { name: 'single endpoint empty', cfg: { maxConcurrency: 10 }, loads: [[0, 0]], want: 0 },
  { name: 'single endpoint half full', cfg: { maxConcurrency: 10 }, loads: [[5, 0]], want: 0.5 },
  { name: 'single endpoint full', cfg: { maxConcurrency: 10 }, loads: [[10, 0]], want: 1 },
  { name: 'multi endpoint mixed load', cfg: { maxConcurrency: 10 }, loads: [[10, 0], [0, 0]], want: 0.5 },
  { name: 'multi endpoint overloaded', cfg: { maxConcurrency: 10 }, loads: [[15, 0], [5, 0]], want: 1 },
  { name: 'multi endpoint very overloaded', cfg: { maxConcurrency: 10 }, loads: [[15, 0], [15, 0]], want: 1.5 },
  { name: 'unknown endpoint assumed empty', cfg: { maxConcurrency: 10 }, loads: [null], want: 0 },
  // TestDetector_TokenSaturation
  { name: 'tokens: half full', cfg: { mode: 'tokens', maxTokenConcurrency: 100 }, loads: [[3, 50]], want: 0.5 },
  { name: 'tokens: mixed', cfg: { mode: 'tokens', maxTokenConcurrency: 100 }, loads: [[1, 100], [9, 20]], want: 0.6 },
  // TestDetector_HybridSaturation (maxConcurrency 10, maxTokenConcurrency 100)
  { name: 'hybrid: empty', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, loads: [[0, 0]], want: 0 },
  { name: 'hybrid: tokens dominate', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, loads: [[2, 80]], want: 0.8 },
  { name: 'hybrid: requests dominate', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, loads: [[9, 10]], want: 0.9 },
  { name: 'hybrid: saturated on different dimensions', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, loads: [[10, 0], [0, 100]], want: 1 },
  { name: 'hybrid: per-endpoint average', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, loads: [[10, 0], [0, 0]], want: 0.5 },
];
for (const c of saturation) {
  test(`concurrency-detector saturation: ${c.name}`, () => {
    assert.ok(Math.abs(detector(c.cfg).saturation(loaded(c.loads)) - c.want) < 1e-9);
  });
}

const filter: { name: string; cfg: Partial<ConcurrencyDetectorConfig>; load: [number, number]; kept: number }[] = [
  { name: 'requests below the limit', cfg: { maxConcurrency: 10 }, load: [9, 1e9], kept: 1 },
  { name: 'requests at the limit', cfg: { maxConcurrency: 10 }, load: [10, 0], kept: 0 },
  { name: 'headroom 0.2 lifts the request limit to 12', cfg: { maxConcurrency: 10, headroom: 0.2 }, load: [11, 0], kept: 1 },
  // TestDetector_TokenFilter: burst limit 100 x 1.2 = 120
  { name: 'tokens: 110 below the 120 burst limit', cfg: { mode: 'tokens', maxTokenConcurrency: 100, headroom: 0.2 }, load: [11, 110], kept: 1 },
  { name: 'tokens: 120 at the burst limit', cfg: { mode: 'tokens', maxTokenConcurrency: 100, headroom: 0.2 }, load: [12, 120], kept: 0 },
  // TestDetector_HybridFilter
  { name: 'hybrid: below both limits', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, load: [5, 50], kept: 1 },
  { name: 'hybrid: request limit reached', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, load: [10, 50], kept: 0 },
  { name: 'hybrid: token limit reached', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, load: [5, 100], kept: 0 },
  { name: 'hybrid: both over', cfg: { mode: 'hybrid', maxConcurrency: 10, maxTokenConcurrency: 100 }, load: [20, 200], kept: 0 },
];
for (const c of filter) {
  test(`concurrency-detector filter: ${c.name}`, () => {
    const eps = loaded([c.load]);
    assert.equal(detector(c.cfg).filter(makeRequest(), eps, 1), c.kept);
  });
}

test('concurrency-detector filter: keeps the endpoints with room, compacted, and may keep none', () => {
  const eps = loaded([[10, 0], [2, 0], null, [11, 0]]);
  const d = detector({ maxConcurrency: 10 });
  assert.equal(d.filter(makeRequest(), eps, 4), 2);
  assert.deepEqual(eps.slice(0, 2).map((e) => e.key), [makeEndpoint(1).key, makeEndpoint(2).key]);
  assert.equal(d.filter(makeRequest(), loaded([[10, 0]]), 1), 0);
});

const factory: { params: unknown; want?: Partial<ConcurrencyDetectorConfig>; match?: RegExp }[] = [
  { params: undefined, want: { mode: 'requests', maxConcurrency: 100, maxTokenConcurrency: 1_000_000, headroom: 0 } },
  { params: { maxConcurrency: 50, headroom: 0.1 }, want: { maxConcurrency: 50, headroom: 0.1 } },
  { params: { concurrencyMode: 'hybrid' }, want: { mode: 'hybrid' } },
  { params: { headroom: 2 }, want: { headroom: 2 } }, // upstream logs a warning above 1.0
  { params: { maxConcurrency: 0 }, match: /maxConcurrency/ },
  { params: { maxTokenConcurrency: -1 }, match: /maxTokenConcurrency/ },
  { params: { headroom: -0.1 }, match: /headroom/ },
  { params: { concurrencyMode: 'bytes' }, match: /unsupported concurrencyMode "bytes"/ },
  { params: [1], match: /parameters must be a mapping/ },
];
for (const c of factory) {
  test(`concurrency-detector: parameters ${JSON.stringify(c.params)}`, () => {
    if (c.match) return void assert.throws(() => createConcurrencyDetector('d', c.params, testHandle()), c.match);
    const d = createConcurrencyDetector('d', c.params, testHandle());
    for (const [k, v] of Object.entries(c.want!)) assert.equal(d.config[k as keyof ConcurrencyDetectorConfig], v, k);
    assert.deepEqual(d.consumes.required, [KEY]);
  });
}

test('concurrency-detector: saturation retains no heap', (t) => {
  const d = detector({ mode: 'hybrid' });
  const eps = variedEndpoints(100);
  let sink = 0;
  const growth = retainedHeapGrowth(() => void (sink += d.saturation(eps)), 100_000);
  if (growth === undefined) return t.skip('cannot force GC');
  assert.ok(sink >= 0);
  assert.ok(growth < 1_000_000, `retained ${growth} bytes`);
});

test('stage-aware in a P/D pool: prefill and decode pods averaged apart, the pool as saturated as the fuller stage', () => {
  const d = detector({ maxConcurrency: 10 });
  // Two prefill pods full, two decode pods idle: one average would say 0.5; the prefill stage is saturated.
  const eps = loaded([[10, 0], [10, 0], [0, 0], [0, 0]]);
  eps[0]!.labels = { 'llm-d.ai/role': 'prefill' };
  eps[1]!.labels = { 'llm-d.ai/role': 'prefill' };
  eps[2]!.labels = { 'llm-d.ai/role': 'decode' };
  eps[3]!.labels = { 'llm-d.ai/role': 'decode' };
  assert.equal(d.saturation(eps), 1);
  // Decode fuller than prefill: the decode stage decides.
  const flipped = loaded([[2, 0], [0, 0], [8, 0], [6, 0]]);
  flipped.forEach((e, i) => (e.labels = { 'llm-d.ai/role': i < 2 ? 'prefill' : 'decode' }));
  assert.equal(d.saturation(flipped), 0.7);
  // Encode-only pods belong to neither stage.
  const enc = loaded([[0, 0], [4, 0], [10, 0]]);
  enc[0]!.labels = { 'llm-d.ai/role': 'prefill' };
  enc[1]!.labels = { 'llm-d.ai/role': 'decode' };
  enc[2]!.labels = { 'llm-d.ai/role': 'encode' };
  assert.equal(d.saturation(enc), 0.4);
});
