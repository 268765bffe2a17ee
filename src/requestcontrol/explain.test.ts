import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointExplanation, Explanation } from '../framework/explain.ts';
import { explanationHeader } from './explain.ts';

function explanation(endpoints: number): Explanation {
  const eps: EndpointExplanation[] = Array.from({ length: endpoints }, (_, i) => ({
    endpoint: `10.0.${i >> 8}.${i & 255}:8000`,
    removedBy: '',
    scores: [i / endpoints, 0.5],
    total: i / endpoints + 0.5,
    rank: i === 3 ? 0 : i === 7 ? 1 : -1,
    why: i === 3 ? '' : 'total 0.1 < 0.2 of the pick; lost most on queue-scorer (-0.1 weighted)',
  }));
  return {
    requestId: 'r', model: 'm', targetModel: 'm', at: 0, outcome: 'routed', reason: '', primaryProfile: 'default', destination: eps[3]!.endpoint,
    profiles: [{ profile: 'default', filters: [], scorers: [{ name: 'q', type: 'queue-scorer', weight: 1 }, { name: 'k', type: 'kv', weight: 1 }], picker: { name: 'p', type: 'max-score-picker' }, picked: [eps[3]!.endpoint, eps[7]!.endpoint], failure: '', endpoints: eps }],
  };
}

test('explanation header: whole when small', () => {
  const e = explanation(8);
  assert.deepEqual(JSON.parse(explanationHeader(e)), e);
});

test('explanation header: a large pool keeps the picks first, then the best totals, and says how many it left out', () => {
  const value = explanationHeader(explanation(1000));
  assert.ok(value.length < 16 * 1024, String(value.length));
  const p = (JSON.parse(value) as Explanation).profiles[0]!;
  assert.equal(p.omittedEndpoints, 1000 - 12);
  assert.deepEqual(p.endpoints.slice(0, 2).map((x) => x.rank), [0, 1]);
  assert.deepEqual(p.endpoints.slice(2, 4).map((x) => x.endpoint), ['10.0.3.231:8000', '10.0.3.230:8000']);
});
