import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LargeBodyReclaimer } from './large-body-reclaim.ts';

test('large-body reclaim: one compaction after a quiet delay past the last large body, at most one per interval', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  const runs: number[] = [];
  const r = new LargeBodyReclaimer({ thresholdBytes: 100, delayMs: 1000, minIntervalMs: 10_000, now: () => now, compact: () => (runs.push(now), 5) });
  const advance = (ms: number) => {
    now += ms;
    t.mock.timers.tick(ms);
  };
  r.noteBody(99);
  advance(5000);
  assert.deepEqual(runs, [], 'small bodies arm nothing');
  r.noteBody(100);
  advance(500);
  r.noteBody(5000); // the burst goes on: the delay starts again
  advance(999);
  assert.deepEqual(runs, []);
  advance(1);
  assert.deepEqual(runs, [6500]);
  r.noteBody(200);
  advance(1000);
  assert.deepEqual(runs, [6500], 'too soon after the last one: postponed');
  advance(8000);
  assert.deepEqual(runs, [6500]);
  advance(1000);
  assert.deepEqual(runs, [6500, 16_500], 'once the interval has passed');
  advance(60_000);
  assert.equal(r.runs, 2, 'nothing more without large bodies');
  r.noteBody(100);
  r.stop();
  advance(60_000);
  assert.equal(r.runs, 2, 'stopped');
});
