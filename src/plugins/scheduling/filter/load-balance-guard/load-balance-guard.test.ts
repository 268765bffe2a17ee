/** load-balance-guard-filter: keeps all candidates while balanced, the least-loaded ones once imbalanced. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest } from '../../../../../test/support/scheduling/testing.ts';
import { createLoadBalanceGuardFilter } from './load-balance-guard.ts';

filterContract('load-balance-guard-filter', () => createLoadBalanceGuardFilter('load-balance-guard-filter', undefined));

const cases: { name: string; params?: unknown; requests: (number | null)[]; want: number[] }[] = [
  { name: 'balanced: all kept', requests: [10, 60, 30], want: [0, 1, 2] },
  { name: 'abs gap over 64 but under 1.5x: all kept', requests: [200, 280], want: [0, 1] },
  { name: 'imbalanced: least-loaded kept', requests: [100, 20, 20, 90], want: [1, 2] },
  { name: 'no load data counts 0', requests: [null, 70, 10], want: [0] },
  { name: 'custom thresholds', params: { absThreshold: 4, relThreshold: 1.2 }, requests: [5, 10, 12], want: [0] },
];
for (const c of cases) {
  test(c.name, () => {
    const f = createLoadBalanceGuardFilter('g', c.params);
    const eps = c.requests.map((requests, i) => {
      const ep = makeEndpoint(i);
      if (requests !== null) ep.attributes.set('inflight-load/inflight-load-producer', { requests, tokens: 0 });
      return ep;
    });
    const all = [...eps];
    const kept = f.filter(makeRequest(), eps, eps.length);
    assert.deepEqual(eps.slice(0, kept).map((e) => all.indexOf(e)), c.want);
  });
}

test('relThreshold below 1 is rejected', () => {
  assert.throws(() => createLoadBalanceGuardFilter('g', { relThreshold: 0.5 }));
});
