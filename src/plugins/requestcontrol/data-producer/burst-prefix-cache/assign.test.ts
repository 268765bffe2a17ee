/** The table of upstream burstprefix/assign_test.go (commit ebab687927f5331c1b39defcb579a07951bce56c), case for case. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assign, UNLIMITED_PER_REPLICA, type BurstEntry, type Replica } from './assign.ts';

const pods = (...names: string[]): Replica[] => names.map((key) => ({ key, runningRequests: 0 }));
const group = (n: number, hashes: number[], replicas: Replica[]): BurstEntry[] =>
  Array.from({ length: n }, () => ({ hashes, replicas, assigned: null }));
const name = (e: BurstEntry): string => e.assigned?.key ?? '';
const counts = (entries: BurstEntry[]): Record<string, number> => {
  const c: Record<string, number> = {};
  for (const e of entries) c[name(e)] = (c[name(e)] ?? 0) + 1;
  return c;
};
const run = (entries: BurstEntry[], k: number, min: number, byTokens = false): void =>
  assign(entries, { maxPerReplica: k, minColocateBlocks: min, balanceByTokens: byTokens });
const four = (): Replica[] => pods('pod1', 'pod2', 'pod3', 'pod4');

test('Assign_UnlimitedColocatesWholeGroup', () => {
  const entries = group(8, [1, 2, 3], four());
  run(entries, UNLIMITED_PER_REPLICA, 0);
  for (const e of entries) assert.equal(name(e), 'pod1');
});

test('Assign_CapSpreadsEvenly', () => {
  const entries = group(8, [1, 2, 3], four());
  run(entries, 2, 0);
  assert.deepEqual(counts(entries), { pod1: 2, pod2: 2, pod3: 2, pod4: 2 });
});

test('Assign_CapFillsBeforeSpilling', () => {
  const entries = group(8, [1, 2, 3], four());
  run(entries, 4, 0);
  assert.deepEqual(counts(entries), { pod1: 4, pod2: 4 });
});

test('Assign_SingletonGetsNoAffinity', () => {
  const entries = group(1, [1, 2, 3], pods('pod1', 'pod2'));
  run(entries, UNLIMITED_PER_REPLICA, 0);
  assert.equal(entries[0]!.assigned, null);
});

test('Assign_EmptyPrefixGetsNoAffinity', () => {
  const entries = group(2, [], pods('pod1', 'pod2'));
  run(entries, UNLIMITED_PER_REPLICA, 0);
  for (const e of entries) assert.equal(e.assigned, null);
});

test('Assign_DistinctGroupsSpreadAcrossReplicas', () => {
  const r = four();
  const a = group(8, [1, 2, 3], r);
  const b = group(8, [9, 9, 9], r);
  run([...a, ...b], UNLIMITED_PER_REPLICA, 0);
  for (const e of a) assert.equal(name(e), 'pod1');
  for (const e of b) assert.equal(name(e), 'pod2');
});

test('Assign_SharedPrefixFamiliesColocateWithinFairShare', () => {
  const r = pods('pod1', 'pod2');
  const [x1, x2, y1, y2] = [group(2, [1, 2, 3], r), group(2, [1, 2, 4], r), group(2, [7, 8, 5], r), group(2, [7, 8, 6], r)];
  const all = [...x1, ...x2, ...y1, ...y2];
  run(all, UNLIMITED_PER_REPLICA, 2);
  assert.equal(name(x1[0]!), name(x2[0]!));
  assert.equal(name(y1[0]!), name(y2[0]!));
  assert.notEqual(name(x1[0]!), name(y1[0]!));
  assert.deepEqual(counts(all), { pod1: 4, pod2: 4 });
});

test('Assign_FairShareSpreadsPrefixSharingGroups', () => {
  const r = four();
  const all = [...group(2, [1, 2, 3], r), ...group(2, [1, 2, 4], r), ...group(2, [1, 2, 5], r), ...group(2, [1, 2, 6], r)];
  run(all, UNLIMITED_PER_REPLICA, 2);
  assert.deepEqual(counts(all), { pod1: 2, pod2: 2, pod3: 2, pod4: 2 });
});

test('Assign_SingletonAttachesToOverlappingGroup', () => {
  const r = pods('pod1', 'pod2');
  const [gx, sx, gy, sy] = [group(2, [1, 2, 3], r), group(1, [1, 2, 8], r), group(2, [7, 8, 5], r), group(1, [7, 8, 9], r)];
  const all = [...gx, ...sx, ...gy, ...sy];
  run(all, UNLIMITED_PER_REPLICA, 2);
  assert.equal(name(gx[0]!), name(gx[1]!));
  assert.equal(name(gx[0]!), name(sx[0]!));
  assert.equal(name(gy[0]!), name(sy[0]!));
  assert.deepEqual(counts(all), { pod1: 3, pod2: 3 });
});

test('Assign_LoneSingletonGetsNoAffinity', () => {
  const r = pods('pod1', 'pod2');
  const g = group(2, [1, 2, 3], r);
  const lone = group(1, [5, 5, 5], r);
  run([...g, ...lone], UNLIMITED_PER_REPLICA, 2);
  assert.equal(lone[0]!.assigned, null);
  assert.equal(name(g[0]!), name(g[1]!));
});

test('Assign_OverlappingSingletonsColocateWithoutGroups', () => {
  const r = pods('pod1', 'pod2');
  const all = [...group(1, [1, 2, 3], r), ...group(1, [1, 2, 4], r), ...group(1, [1, 2, 5], r), ...group(1, [1, 2, 6], r)];
  run(all, UNLIMITED_PER_REPLICA, 2);
  for (const e of all) assert.notEqual(e.assigned, null);
  assert.deepEqual(counts(all), { pod1: 2, pod2: 2 });
});

test('Assign_SharedPrefixBelowThresholdDoesNotColocate', () => {
  const r = pods('pod1', 'pod2');
  const [x1, x2, y1, y2] = [group(2, [1, 2, 3], r), group(2, [1, 2, 4], r), group(2, [7, 8, 5], r), group(2, [7, 8, 6], r)];
  const all = [...x1, ...x2, ...y1, ...y2];
  run(all, UNLIMITED_PER_REPLICA, 3);
  assert.notEqual(name(x1[0]!), name(x2[0]!));
  assert.deepEqual(counts(all), { pod1: 4, pod2: 4 });
});

test('Assign_SingleReplicaPlacesEverything', () => {
  const r = pods('pod1');
  const all = [...group(4, [1, 2, 3], r), ...group(4, [9, 9, 9], r)];
  run(all, UNLIMITED_PER_REPLICA, 2);
  for (const e of all) assert.equal(name(e), 'pod1');
});

test('Assign_BalanceByTokensSpreadsLargePrefix', () => {
  const r = pods('pod1', 'pod2');
  let [long, short1, short2] = [group(2, [1, 2, 3, 4], r), group(2, [5], r), group(2, [6], r)];
  run([...long, ...short1, ...short2], UNLIMITED_PER_REPLICA, 0, false);
  assert.equal(name(long[0]!), name(short2[0]!), 'by requests, a short unit joins the long one');
  [long, short1, short2] = [group(2, [1, 2, 3, 4], r), group(2, [5], r), group(2, [6], r)];
  run([...long, ...short1, ...short2], UNLIMITED_PER_REPLICA, 0, true);
  assert.notEqual(name(long[0]!), name(short1[0]!), 'by tokens, the long unit stays alone');
  assert.equal(name(short1[0]!), name(short2[0]!));
});

test('Assign_BalanceByTokensDiscountsSharedPrefix', () => {
  const r = pods('pod1', 'pod2');
  const a1 = group(2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], r);
  const a2 = group(2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 11], r);
  const a3 = group(2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 12], r);
  run([...a1, ...a2, ...a3], UNLIMITED_PER_REPLICA, 9, true);
  assert.equal(name(a1[0]!), name(a2[0]!));
  assert.equal(name(a2[0]!), name(a3[0]!));
});

test('Assign_OverflowGuardBalancesBeyondCap', () => {
  const entries = group(8, [1, 2, 3], pods('pod1', 'pod2'));
  run(entries, 2, 0);
  for (const e of entries) assert.notEqual(e.assigned, null);
  assert.deepEqual(counts(entries), { pod1: 4, pod2: 4 });
});
