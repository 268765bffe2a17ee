// Cases from upstream usagelimits/priorityholdback/priority_holdback_test.go (commit ebab687).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { createPriorityHoldbackPolicy, PriorityHoldbackPolicy, type HoldbackDomain } from './priority-holdback.ts';

function spread(domain: HoldbackDomain, min: number, max: number, priorities: number[]): number[] {
  const c = priorities.map(() => 1);
  new PriorityHoldbackPolicy('p', min, max, domain).computeLimit(0, priorities, c);
  return c;
}
const near = (got: number[], want: number[], eps = 1e-6) => want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < eps, `[${i}] ${got[i]} vs ${w}`));

test('priority-holdback: config accepted and rejected as upstream', () => {
  for (const ok of [{ domain: 'rank', minCeiling: 0.5 }, { domain: 'value', minCeiling: 0.3, maxCeiling: 0.9 }, { domain: 'rank', minCeiling: 0.2, maxCeiling: 0.8 }, { minCeiling: 0.5 }, { shape: 'linear', minCeiling: 0.5 }, { minCeiling: 0 }]) {
    assert.equal(createPriorityHoldbackPolicy('p', ok).type, 'priority-holdback-policy', JSON.stringify(ok));
  }
  const bad: [unknown, RegExp][] = [
    [{ domain: 'rank' }, /minCeiling is required/],
    [{}, /minCeiling is required/],
    [undefined, /minCeiling is required/],
    [{ shape: 'sigmoid', minCeiling: 0.5 }, /unsupported shape/],
    [{ domain: 'unknown', minCeiling: 0.5 }, /unsupported domain/],
    [{ minCeiling: -0.1 }, /minCeiling must be in/],
    [{ minCeiling: 1 }, /minCeiling must be in/],
    [{ minCeiling: 0.5, maxCeiling: 0 }, /maxCeiling must be in/],
    [{ minCeiling: 0.5, maxCeiling: 1.1 }, /maxCeiling must be in/],
    [{ minCeiling: 0.5, maxCeiling: 0.5 }, /strictly less/],
    [{ minCeiling: 0.8, maxCeiling: 0.5 }, /strictly less/],
  ];
  for (const [params, re] of bad) assert.throws(() => createPriorityHoldbackPolicy('p', params), (e: unknown) => e instanceof PluginConfigError && re.test(e.message), JSON.stringify(params));
});

test('priority-holdback: one band gets maxCeiling', () => {
  for (const [domain, max] of [['rank', 1], ['value', 1], ['rank', 0.9]] as const) assert.deepEqual(spread(domain, 0.5, max, [7]), [max]);
});

test('priority-holdback: rank domain (stepwise spread)', () => {
  near(spread('rank', 0.5, 1, [100, 10]), [1, 0.5]);
  near(spread('rank', 0.5, 1, [100, 50, 10]), [1, 0.75, 0.5]);
  near(spread('rank', 0.5, 1, [100, 75, 50, 10]), [1, 0.8333333, 0.6666666, 0.5]);
  near(spread('rank', 0.5, 1, [1000, 2, 1]), spread('rank', 0.5, 1, [100, 50, 10]));
  near(spread('rank', 0, 1, [10, 5, 1]), [1, 0.5, 0]);
  near(spread('rank', 0.8, 0.9, [10, 5, 1]), [0.9, 0.85, 0.8]);
  const c = spread('rank', 0.2, 0.9, [50, 40, 30, 20, 10]);
  for (let i = 1; i < c.length; i++) assert.ok(c[i]! < c[i - 1]!);
});

test('priority-holdback: value domain (linear proportional)', () => {
  near(spread('value', 0.5, 1, [100, 10]), [1, 0.5]);
  near(spread('value', 0.5, 1, [90, 50, 10]), [1, 0.75, 0.5]);
  near(spread('value', 0.5, 1, [100, 50, 10]), [1, 0.7222222, 0.5]);
  near(spread('value', 0.5, 1, [100, 2, 1]), [1, 0.50505, 0.5], 1e-5);
  near(spread('value', 0.5, 1, [5, 5]), [1, 1]);
  // Evenly spaced priorities: both domains agree.
  near(spread('value', 0.5, 1, [100, 55, 10]), spread('rank', 0.5, 1, [100, 55, 10]));
});
