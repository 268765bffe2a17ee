import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planActions, wantedReplicas, type ServerState } from './planner.ts';

const server = (key: string, loaded: string[], slots = 2, busy: string[] = [], waitingQueue = 0): ServerState => ({ key, slots, loaded: new Set(loaded), busy: new Set(busy), waitingQueue });

test('wantedReplicas: share of weight x servers, rounded up, at least 1; weight 0 staged (1) until it had traffic, then retired (0)', () => {
  const live = new Set<string>();
  assert.deepEqual([...wantedReplicas([[{ adapter: 'v1', weight: 100 }, { adapter: 'v2', weight: 0 }]], 4, live)], [['v1', 4], ['v2', 1]]);
  assert.deepEqual([...wantedReplicas([[{ adapter: 'v1', weight: 90 }, { adapter: 'v2', weight: 10 }]], 4, live)], [['v1', 4], ['v2', 1]]);
  assert.deepEqual([...wantedReplicas([[{ adapter: 'v1', weight: 50 }, { adapter: 'v2', weight: 50 }]], 4, live)], [['v1', 2], ['v2', 2]]);
  assert.deepEqual([...wantedReplicas([[{ adapter: 'v1', weight: 0 }, { adapter: 'v2', weight: 100 }]], 4, live)], [['v1', 0], ['v2', 4]]);
});

test('planActions: loads into free slots, least-loaded servers first, never past the slots', () => {
  const servers = [server('a', ['x', 'y']), server('b', ['x']), server('c', [])];
  const actions = planActions(servers, new Map([['v2', 3]]), new Set(['v2']));
  assert.deepEqual(actions, [
    { op: 'load', server: 'c', adapter: 'v2' },
    { op: 'load', server: 'b', adapter: 'v2' },
  ], 'a is full (2 slots): v2 gets 2 of its 3 replicas');
});

test('planActions: a retired adapter is unloaded only where no request for it runs or waits; unmanaged adapters are left alone', () => {
  const servers = [server('a', ['v1', 'base-extra'], 2, ['v1']), server('b', ['v1'])];
  assert.deepEqual(planActions(servers, new Map([['v1', 0]]), new Set(['v1'])), [{ op: 'unload', server: 'b', adapter: 'v1' }]);
});

test('planActions: a full server sheds a retired idle adapter and takes the new one in the same pass', () => {
  const servers = [server('a', ['v1'], 1)];
  assert.deepEqual(planActions(servers, new Map([['v1', 0], ['v2', 1]]), new Set(['v1', 'v2'])), [
    { op: 'unload', server: 'a', adapter: 'v1' },
    { op: 'load', server: 'a', adapter: 'v2' },
  ]);
});

test('planActions: every slot taken: a new adapter takes one from an adapter with replicas to spare, and the two do not trade it back', () => {
  const full = [server('a', ['v1', 'other']), server('b', ['v1', 'other'])];
  const wanted = new Map([['v1', 2], ['v2', 1]]);
  const first = planActions(full, wanted, new Set(['v1', 'v2']));
  assert.deepEqual(first, [
    { op: 'unload', server: 'a', adapter: 'v1' },
    { op: 'load', server: 'a', adapter: 'v2' },
  ]);
  const after = [server('a', ['v2', 'other']), server('b', ['v1', 'other'])];
  assert.deepEqual(planActions(after, wanted, new Set(['v1', 'v2'])), [], 'v1 (1 of 2) does not take v2\'s only replica back');
});
