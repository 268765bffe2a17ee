import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, TEST_NOW, testHandle, type EndpointMetrics } from '../../../../../test/support/scheduling/testing.ts';
import { createLoraAffinityScorer } from './lora-affinity.ts';

scorerContract('lora-affinity-scorer', (h) => createLoraAffinityScorer('lora-affinity-scorer', undefined, h));

const cases: { name: string; target: string; ep: EndpointMetrics; want: number }[] = [
  { name: 'active -> 1', target: 'a', ep: { maxLora: 2, activeAdapters: ['a', 'b'] }, want: 1 },
  { name: 'free slot -> 0.8', target: 'a', ep: { maxLora: 2, activeAdapters: ['b'] }, want: 0.8 },
  { name: 'waiting, no free slot -> 0.6', target: 'a', ep: { maxLora: 2, activeAdapters: ['b'], waitingAdapters: ['a'] }, want: 0.6 },
  { name: 'free slot beats waiting', target: 'a', ep: { maxLora: 3, activeAdapters: ['b'], waitingAdapters: ['a'] }, want: 0.8 },
  { name: 'full, absent -> 0', target: 'a', ep: { maxLora: 1, activeAdapters: ['b'] }, want: 0 },
  { name: 'maxLora unknown -> no free slot', target: 'a', ep: { maxLora: 0 }, want: 0 },
  { name: 'stale -> 0 even when active', target: 'a', ep: { maxLora: 2, activeAdapters: ['a'], metricsUpdatedAt: TEST_NOW - 9000 }, want: 0 },
];

for (const c of cases) {
  test(`lora-affinity-scorer: ${c.name}`, () => {
    const eps = [makeEndpoint(0, c.ep)];
    const out = new Float64Array(1);
    createLoraAffinityScorer('lora', undefined, testHandle()).score(makeRequest({ targetModel: c.target }), eps, 1, out);
    assert.equal(out[0], c.want);
  });
}

test('lora-affinity-scorer: falls back to request.model when targetModel is empty', () => {
  const r = makeRequest({ model: 'a' });
  r.targetModel = '';
  const out = new Float64Array(1);
  createLoraAffinityScorer('lora', undefined, testHandle()).score(r, [makeEndpoint(0, { maxLora: 1, activeAdapters: ['a'] })], 1, out);
  assert.equal(out[0], 1);
});

test('lora-affinity-scorer: residency (vllm:lora_adapter_loaded): an idle resident adapter scores as active; resident adapters fill the slots', () => {
  const idle = makeEndpoint(0, { maxLora: 2 });
  idle.loadedAdapters = new Set(['a', 'b']);
  idle.residencyKnown = true;
  const other = makeEndpoint(1, { maxLora: 2 });
  other.loadedAdapters = new Set(['b', 'c']);
  other.residencyKnown = true;
  const out = new Float64Array(2);
  createLoraAffinityScorer('lora', undefined, testHandle()).score(makeRequest({ targetModel: 'a' }), [idle, other], 2, out);
  assert.deepEqual([...out], [1, 0], 'no request in flight on either: only residency tells them apart');
});
