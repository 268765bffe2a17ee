/**
 * Issue 14, finding 6 (memory after large bodies), as an automated check of what stays alive: a child process
 * (--expose-gc) drives 16 chat bodies of 8 MB through ExtProcStream and a real Director; after a full GC the live
 * heap and the array buffers must be back near their baseline, and not grow from the middle of the run to its end.
 * Bounds are in MB, generous against noise but under one body: a kept body text (8 MB of heap), a kept join
 * buffer grown to the largest body (the bug: 30 MB for good), or a per-body leak all fail it. No timing.
 * RSS returning to the baseline is measured by bench/overhead/large-bodies.bench.ts (seconds of settling).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./support/memory/large-bodies-child.ts', import.meta.url));
const BODIES = 16;
const BODY_MB = 8;

test('large bodies: live heap and array buffers return near the baseline, and do not grow with the number of bodies', { timeout: 120_000 }, async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--expose-gc', '--max-semi-space-size=8', CHILD, String(BODIES), String(BODY_MB)], { timeout: 110_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { baseline: M; half: M; end: M; routed: number; inflight: number };
  type M = { heapMB: number; arrayBuffersMB: number };
  const fmt = (m: M) => `heap ${m.heapMB.toFixed(1)} MB, array buffers ${m.arrayBuffersMB.toFixed(1)} MB`;
  console.log(`# ${BODIES} bodies of ${BODY_MB} MB: baseline ${fmt(r.baseline)}; halfway ${fmt(r.half)}; end ${fmt(r.end)}`);
  assert.equal(r.routed, 2 * BODIES + 20, 'every request routed');
  assert.equal(r.inflight, 0, 'nothing left in flight');
  assert.ok(r.end.heapMB - r.baseline.heapMB < BODY_MB / 2, `live heap +${(r.end.heapMB - r.baseline.heapMB).toFixed(1)} MB over the baseline`);
  assert.ok(r.end.arrayBuffersMB - r.baseline.arrayBuffersMB < BODY_MB / 4, `array buffers +${(r.end.arrayBuffersMB - r.baseline.arrayBuffersMB).toFixed(1)} MB over the baseline`);
  assert.ok(r.end.heapMB - r.half.heapMB < 2, `live heap grew ${(r.end.heapMB - r.half.heapMB).toFixed(1)} MB over the second half`);
});
