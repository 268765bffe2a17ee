import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Explanation } from '../../framework/explain.ts';
import { DecisionRing } from './decision-ring.ts';
import { prefixHitRate } from './snapshot.ts';

const decision = (id: string, prefixScore = 0): Explanation => ({
  requestId: id,
  model: 'm',
  targetModel: 'm',
  at: 0,
  outcome: 'routed',
  reason: '',
  primaryProfile: 'default',
  destination: 'a:1',
  profiles: [{
    profile: 'default',
    filters: [],
    scorers: [{ name: 'q', type: 'queue-scorer', weight: 1 }, { name: 'p', type: 'prefix-cache-scorer', weight: 3 }],
    picker: { name: 'max', type: 'max-score-picker' },
    picked: ['a:1'],
    failure: '',
    endpoints: [{ endpoint: 'a:1', removedBy: '', scores: [0.5, prefixScore], total: 0.5 + 3 * prefixScore, rank: 0, why: '' }, { endpoint: 'b:1', removedBy: '', scores: [0, 1], total: 3, rank: -1, why: 'x' }],
  }],
});

test('ring: asks for nothing while no page is open, then at most once per interval', () => {
  let now = 1000;
  const ring = new DecisionRing(4, 200, () => now);
  assert.equal(ring.want(), false);
  ring.active = true;
  assert.equal(ring.want(), true);
  assert.equal(ring.want(), false);
  now += 199;
  assert.equal(ring.want(), false);
  now += 1;
  assert.equal(ring.want(), true);
  ring.active = false;
  now += 1000;
  assert.equal(ring.want(), false);
});

test('ring: bounded, newest first', () => {
  const ring = new DecisionRing(3);
  assert.deepEqual(ring.recent(), []);
  for (const id of ['1', '2', '3', '4', '5']) ring.add(decision(id));
  assert.deepEqual(ring.recent().map((d) => d.requestId), ['5', '4', '3']);
  assert.deepEqual(ring.recent(2).map((d) => d.requestId), ['5', '4']);
});

test('prefix hit rate: the picked endpoint\'s prefix score over routed decisions; null without a prefix scorer', () => {
  assert.equal(prefixHitRate([decision('1', 1), decision('2', 0.5), { ...decision('3', 1), outcome: 'SHED' }]), 0.75);
  const noPrefix = decision('4');
  assert.equal(prefixHitRate([{ ...noPrefix, profiles: [{ ...noPrefix.profiles[0]!, scorers: [{ name: 'q', type: 'queue-scorer', weight: 1 }] }] }]), null);
  assert.equal(prefixHitRate([]), null);
});
