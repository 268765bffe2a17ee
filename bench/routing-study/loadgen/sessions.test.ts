import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agenticSessions, multiTurnChat } from './sessions.ts';

test('multi-turn: each turn of a session starts with the previous turn, and sessions advance in rounds', () => {
  const w = multiTurnChat({ sessions: 3, turns: 4, questionLen: 20, answerLen: 10, systemLen: 30, seed: 1 });
  for (let s = 0; s < 3; s++) {
    for (let turn = 1; turn < 4; turn++) {
      const prev = w.item(s + 3 * (turn - 1));
      const cur = w.item(s + 3 * turn);
      assert.equal(cur.system, prev.system, 'same session, same system prompt');
      assert.ok(cur.prompt.startsWith(prev.prompt), `turn ${turn} of session ${s} resends turn ${turn - 1}`);
      assert.ok(cur.prompt.length > prev.prompt.length);
      assert.equal(cur.group, prev.group);
    }
  }
  // Different sessions do not share their conversation; after the last turn a new conversation starts.
  assert.ok(!w.item(1).prompt.startsWith(w.item(0).prompt.slice(0, 40)));
  assert.notEqual(w.item(0 + 3 * 4).group, w.item(0).group);
  assert.ok(!w.item(3 * 4).prompt.startsWith(w.item(3 * 3).prompt));
  // Deterministic per seed.
  assert.deepEqual(multiTurnChat({ sessions: 3, turns: 4, questionLen: 20, answerLen: 10, systemLen: 30, seed: 1 }).item(7), w.item(7));
});

test('agentic: one system prompt for every agent, a transcript that grows by an action and a tool result per step', () => {
  const w = agenticSessions({ sessions: 2, steps: 3, sharedSystemLen: 50, taskLen: 10, toolResultLen: 20, actionLen: 5, seed: 2 });
  assert.equal(w.item(0).system, w.item(1).system, 'shared system prompt');
  assert.ok(w.item(0).system.length > 0);
  for (let s = 0; s < 2; s++) {
    assert.ok(w.item(s + 2).prompt.startsWith(w.item(s).prompt));
    assert.ok(w.item(s + 4).prompt.startsWith(w.item(s + 2).prompt));
    assert.equal(w.item(s + 4).outputTokens, 5);
  }
  assert.notEqual(w.item(0).prompt, w.item(1).prompt);
});
