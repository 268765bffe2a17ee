/** test/support/child.ts: a wait on a child fails as soon as the child dies, and the child dies with its test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnChild, type TestChild } from './child.ts';

const NODE = process.execPath;

test('a wait for a line rejects when the child exits first, with its exit code and last stderr lines', async (t) => {
  const c = spawnChild(t, NODE, ['-e', 'console.log("starting"); console.error("first\\nboom: no config"); process.exit(3)'], { name: 'early-exit' });
  await assert.rejects(c.line(/ready/), (e: Error) => {
    assert.match(e.message, /^early-exit exited with code 3 before printing a line matching \/ready\//);
    assert.match(e.message, /last stderr lines:\n  first\n  boom: no config\n/);
    return true;
  });
  assert.equal(await c.exit, 3);
  // Asked after the exit, the answer is the same at once.
  await assert.rejects(c.line(/ready/), /exited with code 3/);
  // A line printed before the exit is still found.
  assert.equal(await c.line(/start/), 'starting');
});

test('a child killed by a signal, and a command that cannot start, both reject the wait', async (t) => {
  const killed = spawnChild(t, NODE, ['-e', 'process.kill(process.pid, "SIGKILL")']);
  await assert.rejects(killed.line(/ready/), /exited with signal SIGKILL before printing a line matching/);
  const missing = spawnChild(t, '/nonexistent/epp-test-binary', []);
  await assert.rejects(missing.line(/ready/), /could not start \(spawn \/nonexistent\/epp-test-binary ENOENT\)/);
  await assert.rejects(missing.exit, /could not start/);
});

test('the child is killed when its test ends, its whole process group with { group: true }', async (t) => {
  let solo: TestChild | undefined;
  let leader: TestChild | undefined;
  let grandchild = 0;
  await t.test('a test that leaves its children running', async (tt) => {
    solo = spawnChild(tt, NODE, ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
    await solo.line(/up/);
    const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); setInterval(() => {}, 1000);`;
    leader = spawnChild(tt, NODE, ['-e', script], { group: true });
    grandchild = Number((await leader.line(/^grandchild \d+$/)).split(' ')[1]);
  });
  assert.equal(await solo!.exit, null);
  assert.equal(solo!.proc.signalCode, 'SIGKILL');
  assert.equal(await leader!.exit, null);
  // The grandchild got the group's SIGKILL: gone, or a zombie until something reaps it.
  const deadline = Date.now() + 5000;
  while (alive(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(grandchild), false, `grandchild ${grandchild} outlived its test`);
});

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
