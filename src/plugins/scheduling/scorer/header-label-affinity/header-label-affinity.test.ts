/**
 * header-label-affinity-scorer. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/scorer/headerlabelaffinity/plugin_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { labelledEndpoints, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createHeaderLabelAffinityScorer } from './header-label-affinity.ts';

const params = { headerName: 'X-Preferred-Zone', labelKey: 'topology.kubernetes.io/zone' };
scorerContract('header-label-affinity-scorer', (h) => createHeaderLabelAffinityScorer('s', params, h));

test('header-label-affinity-scorer: 1 where the label equals the header (case-insensitive name), else 0', () => {
  const { eps } = labelledEndpoints([
    ['a', { 'topology.kubernetes.io/zone': 'us-east-1a' }],
    ['b', { 'topology.kubernetes.io/zone': 'us-east-1b' }],
    ['c', {}],
  ]);
  const s = createHeaderLabelAffinityScorer('s', params, testHandle());
  const out = new Float64Array(3);
  const req = makeRequest();
  req.headers.set('x-preferred-zone', 'us-east-1b');
  s.score(req, eps, 3, out);
  assert.deepEqual([...out], [0, 1, 0]);
  const none = makeRequest();
  s.score(none, eps, 3, out);
  assert.deepEqual([...out], [0, 0, 0]);
  none.headers.set('x-preferred-zone', '');
  s.score(none, eps, 3, out);
  assert.deepEqual([...out], [0, 0, 0], 'an empty header matches nothing, not unlabelled pods');
});

test('header-label-affinity-scorer: both parameters are required', () => {
  assert.throws(() => createHeaderLabelAffinityScorer('s', undefined, testHandle()), /parameters are required/);
  assert.throws(() => createHeaderLabelAffinityScorer('s', { labelKey: 'k' }, testHandle()), /parameters\.headerName: required/);
  assert.throws(() => createHeaderLabelAffinityScorer('s', { headerName: 'h' }, testHandle()), /parameters\.labelKey: required/);
});
