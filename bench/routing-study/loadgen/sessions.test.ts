import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agenticSessions, multiTurnChat } from './sessions.ts';
import type { WorkItem, Workload } from './workload.ts';

/** Items 0..n-1 grouped by session (WorkItem.group), in send order. */
function bySession(w: Workload, n: number): Map<number, WorkItem[]> {
  const out = new Map<number, WorkItem[]>();
  for (let i = 0; i < n; i++) {
    const it = w.item(i);
    out.set(it.group, [...(out.get(it.group) ?? []), it]);
  }
  return out;
}

test('multi-turn: each turn of a session resends the previous one; every round has each session once, in a shuffled order', () => {
  const S = 6;
  const w = multiTurnChat({ sessions: S, turns: 4, questionLen: 20, answerLen: 10, systemLen: 30, seed: 1 });
  const sessions = bySession(w, S * 4);
  assert.equal(sessions.size, S);
  for (const turns of sessions.values()) {
    assert.equal(turns.length, 4, 'one turn per round');
    for (let k = 1; k < 4; k++) {
      assert.equal(turns[k]!.system, turns[k - 1]!.system);
      assert.ok(turns[k]!.prompt.startsWith(turns[k - 1]!.prompt), `turn ${k} resends turn ${k - 1}`);
      assert.ok(turns[k]!.prompt.length > turns[k - 1]!.prompt.length);
    }
  }
  // The order differs between rounds (no fixed session order for a round-robin balancer to line up with).
  const round = (r: number) => Array.from({ length: S }, (_, k) => w.item(r * S + k).group);
  assert.notDeepEqual(round(0), round(1));
  // After the last turn, new conversations start.
  const next = bySession(w, S * 5);
  assert.equal(next.size, 2 * S);
  // Deterministic per seed.
  assert.deepEqual(multiTurnChat({ sessions: S, turns: 4, questionLen: 20, answerLen: 10, systemLen: 30, seed: 1 }).item(13), w.item(13));
});

test('agentic: one system prompt for every agent, a transcript that grows by an action and a tool result per step', () => {
  const w = agenticSessions({ sessions: 4, steps: 3, sharedSystemLen: 50, taskLen: 10, toolResultLen: 20, actionLen: 5, seed: 2 });
  const sessions = bySession(w, 12);
  assert.equal(sessions.size, 4);
  const systems = new Set([...sessions.values()].map((t) => t[0]!.system));
  assert.equal(systems.size, 1, 'shared system prompt');
  for (const steps of sessions.values()) {
    assert.ok(steps[1]!.prompt.startsWith(steps[0]!.prompt));
    assert.ok(steps[2]!.prompt.startsWith(steps[1]!.prompt));
    assert.equal(steps[2]!.outputTokens, 5);
  }
});
