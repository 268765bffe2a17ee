/**
 * disaggregatedset-rollout-screener `screen()` (src/plugins/requestcontrol/screener/disaggregatedset-rollout/) at
 * 10, 100 and 1,000 endpoints of two revisions (max-role), per request: coverage, one weighted revision draw, keep
 * mask written. ns per call, median of batches.
 * Run: npm exec -- node bench/overhead/screener.bench.ts
 */
import { Endpoint } from '../../src/framework/endpoint.ts';
import { LLMRequest } from '../../src/framework/request.ts';
import { createDisaggregatedSetRolloutScreener } from '../../src/plugins/requestcontrol/screener/disaggregatedset-rollout/disaggregatedset-rollout.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';

const BATCHES = 21;
const CALLS = 100_000;
const REV = 'disaggregatedset.x-k8s.io/revision';
const ROLE = 'disaggregatedset.x-k8s.io/role';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const params = { scope: { labelSelector: 'set=x' }, revisionGating: { mode: 'max-role', requireRoles: { values: ['prefill', 'decode'] } } };
for (const n of [10, 100, 1000]) {
  const screener = createDisaggregatedSetRolloutScreener('rollout', params, testHandle());
  const eps = Array.from({ length: n }, (_, i) => new Endpoint(`10.0.${i >> 8}.${(i & 255) + 1}`, 8000, `p${i}`, 'ns', 0, 'vllm', { set: 'x', [REV]: i % 3 ? 'A' : 'B', [ROLE]: i % 2 ? 'prefill' : 'decode' }));
  for (const ep of eps) screener.endpointChanged(ep);
  const req = new LLMRequest();
  const keep = new Uint8Array(n);
  const calls = Math.max(1, Math.round((CALLS * 10) / n));
  const times: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let c = 0; c < calls; c++) {
      keep.fill(1);
      screener.screen(req, eps, keep);
    }
    times.push(((performance.now() - t0) * 1e6) / calls);
  }
  console.log(`${String(n).padStart(5)} endpoints: ${median(times).toFixed(0)} ns per screen()`);
}
