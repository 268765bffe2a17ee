/**
 * multicluster-session-affinity-filter: session-affinity-filter under its multicluster type (upstream
 * `scheduling/filter/sessionaffinity/multicluster.go`, mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createMulticlusterSessionAffinityFilter } from './multicluster-session-affinity.ts';

filterContract('multicluster-session-affinity-filter', (h) => createMulticlusterSessionAffinityFilter('f', undefined, h));

test('multicluster-session-affinity-filter: a session stays on the cluster it was sent to', () => {
  const f = createMulticlusterSessionAffinityFilter('f', { strategy: 'session_id' }, testHandle());
  assert.equal(f.type, 'multicluster-session-affinity-filter');
  const clusters = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  const req = () => {
    const r = makeRequest();
    r.headers.set('x-session-id', 's1');
    return r;
  };
  const first = req();
  assert.equal(f.filter(first, [...clusters], 3), 3, 'unbound: every cluster');
  f.preRequest(first, scheduledOn(clusters[2]!));
  const work = [...clusters];
  assert.equal(f.filter(req(), work, 3), 1);
  assert.equal(work[0], clusters[2]);
});
