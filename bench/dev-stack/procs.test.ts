/** bench/dev-stack/procs.ts: waiting for a child's log line fails at once when the child dies first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnNode, stopChild, waitForLines } from './procs.ts';

test('waitForLines rejects when the child exits before the line, with the exit code and its last lines', async (t) => {
  const child = spawnNode('early', '-e', ['console.log("starting"); console.error("boom: no fleet"); process.exit(3)']);
  t.after(() => stopChild(child, 0));
  await assert.rejects(waitForLines(child, /listening/, 1, 60_000), (e: Error) => {
    assert.match(e.message, /^early exited \(3\) before it was ready:\n/);
    assert.match(e.message, /boom: no fleet/);
    return true;
  });
  // Asked again after the exit, it rejects at once rather than waiting for the timeout.
  await assert.rejects(waitForLines(child, /listening/, 1, 60_000), /early exited \(3\)/);
});

test('waitForLines rejects when the child is killed, and resolves on lines already printed', async (t) => {
  const child = spawnNode('sleeper', '-e', ['console.log("up"); setInterval(() => {}, 1000)']);
  t.after(() => stopChild(child, 0));
  assert.deepEqual(await waitForLines(child, /^up$/, 1, 60_000), ['up']);
  const waiting = waitForLines(child, /never/, 1, 60_000);
  child.proc.kill('SIGKILL');
  await assert.rejects(waiting, /sleeper exited \(SIGKILL\) before it was ready/);
});
