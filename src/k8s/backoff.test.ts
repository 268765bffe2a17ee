import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, sleep } from './backoff.ts';

test('doubles from initialMs up to maxMs, jitter on top, reset starts over', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 0);
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  assert.equal(b.next(), 100);
  const j = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 1);
  assert.equal(j.next(), 150);
  assert.equal(new Backoff({ initialMs: 800, maxMs: 1000, jitter: 0.5 }, () => 1).next(), 1000, 'jitter never exceeds maxMs');
});

test('many attempts stay bounded', () => {
  const b = new Backoff({ initialMs: 1, maxMs: 30_000 }, () => 0.5);
  let last = 0;
  for (let i = 0; i < 2000; i++) last = b.next();
  assert.equal(last, 30_000);
});

test('sleep returns early, without throwing, when aborted', async () => {
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  await p; // would keep the test alive for a minute otherwise
  await sleep(60_000, ac.signal); // already aborted: immediate
});
