/**
 * Revision shares, from upstream plugin_test.go (llm-d-router ebab687): TestRevisionSumWeightAndCoverage,
 * TestDominantRoleUsesCountsAcrossCoveredRevisions, TestRevisionModesCacheExpectedShares, TestPickWeightedRevision,
 * and the README's 2P:10D rollout example.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SHARE_CASES, type ShareCase } from '../../../../../test/support/requestcontrol/rollout-share-cases.ts';
import { dominantRole, pickWeightedRevision, revisionDistribution, revisionSumWeight, shareOf, type RoleCounts } from './revision-distribution.ts';

const ROLES = ['prefill', 'decode'];

const counts = (o: Record<string, Record<string, number>>): RoleCounts => new Map(Object.entries(o).map(([rev, roles]) => [rev, new Map(Object.entries(roles))]));

test('revisionSumWeight: covered sums the roles; a missing role is not covered', () => {
  assert.equal(revisionSumWeight(new Map([['prefill', 2], ['decode', 8]]), ROLES), 10);
  assert.equal(revisionSumWeight(new Map([['decode', 8]]), ROLES), undefined);
});

test('dominantRole: counts across covered revisions; ties go to the first required role', () => {
  const covered = counts({ v1: { prefill: 8, decode: 1 }, v2: { prefill: 2, decode: 4 } });
  assert.equal(dominantRole(covered, ['prefill', 'decode']), 'prefill');
  assert.equal(dominantRole(covered, ['decode', 'prefill']), 'prefill');
  assert.equal(dominantRole(counts({ v1: { prefill: 8, decode: 2 }, v2: { prefill: 2, decode: 8 } }), ['prefill', 'decode']), 'prefill');
});

/** [name, mode, counts, v2 share]: upstream's table; v1 gets the rest. */
const SHARES: ShareCase[] = [
  ...SHARE_CASES,
  ['max role is shared across revisions', 'max-role', { v1: { prefill: 8, decode: 1 }, v2: { prefill: 2, decode: 4 } }, 2 / 10],
  ['max role ignores incomplete revisions', 'max-role', { v1: { prefill: 2, decode: 8 }, v2: { prefill: 1, decode: 2 }, v3: { prefill: 100 } }, 2 / 10],
];

for (const [name, mode, c, wantV2] of SHARES) {
  test(`shares: ${name}`, () => {
    const d = revisionDistribution(counts(c), ROLES, mode);
    assert.ok(Math.abs(shareOf(d, 'v2') - wantV2) < 1e-9, `v2 ${shareOf(d, 'v2')}`);
    assert.ok(Math.abs(shareOf(d, 'v1') - (1 - wantV2)) < 1e-9, `v1 ${shareOf(d, 'v1')}`);
    assert.equal(shareOf(d, 'v3'), 0);
    assert.deepEqual(d.revisions, ['v1', 'v2']);
  });
}

test('shares: README 2P:10D intermediate state (A: 2P 9D, B: 1P 1D): max-role 90/10, sum 11/13', () => {
  const c = counts({ A: { prefill: 2, decode: 9 }, B: { prefill: 1, decode: 1 } });
  assert.ok(Math.abs(shareOf(revisionDistribution(c, ROLES, 'max-role'), 'B') - 0.1) < 1e-9);
  assert.ok(Math.abs(shareOf(revisionDistribution(c, ROLES, 'sum'), 'A') - 11 / 13) < 1e-9);
});

test('shares: nothing covered (or nothing observed) gives no revision', () => {
  assert.deepEqual(revisionDistribution(counts({ v1: { prefill: 3 } }), ROLES, 'sum').revisions, []);
  assert.deepEqual(revisionDistribution(counts({}), ROLES, 'max-role').revisions, []);
});

test('pickWeightedRevision: draw 0 takes the first, 0.9 the second; absent revisions take no share', () => {
  const shares = Float64Array.of(0.75, 0.25);
  const both = Uint8Array.of(1, 1);
  assert.equal(pickWeightedRevision(shares, both, 0), 0);
  assert.equal(pickWeightedRevision(shares, both, 0.9), 1);
  assert.equal(pickWeightedRevision(shares, Uint8Array.of(0, 1), 0), 1);
  assert.equal(pickWeightedRevision(shares, Uint8Array.of(0, 0), 0.5), -1);
  assert.equal(pickWeightedRevision(shares, both, 0.999999999999), 1);
});
