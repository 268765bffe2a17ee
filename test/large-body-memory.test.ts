import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./support/large-body-memory-child.ts', import.meta.url));

// Issue 14, finding 6: memory held after a burst of large bodies must return near the baseline. Measured in a
// child process with --expose-gc (heap + external + array buffers after full GCs), not RSS: the allocator's
// return of pages to the OS is MALLOC_TRIM_THRESHOLD_'s job and too noisy to assert. A join buffer grown to fit
// (the bug) holds one whole body. Known gap: the last large request stays reachable until the next request
// (~2 x its size: text and parsed prompt), so the bound is on the burst: seven more bodies add under 8 MB, and
// the total under 48 MB (a join buffer grown to fit held ~58 MB here).
test('large bodies: eight 20 MB two-chunk bodies through a director: what is held after GC does not grow with the burst', () => {
  const out = execFileSync(process.execPath, ['--expose-gc', CHILD, '20', '8'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 20 });
  const r = JSON.parse(out) as { grownBytes: number; burstBytes: number; inflight: number };
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  assert.equal(r.inflight, 0);
  assert.ok(r.burstBytes < 8 * 1048576, `seven more bodies held ${mb(r.burstBytes)} more`);
  assert.ok(r.grownBytes < 48 * 1048576, `held ${mb(r.grownBytes)} more than before the burst`);
});
