/**
 * answeringCandidates (src/requestcontrol/candidates.ts) at 10, 100 and 1,000 endpoints: all answering (the input
 * returned, the common case) and one in ten failing (narrowed into the scratch array). ns per call, median of
 * batches, and heap growth over 1,000,000 calls (0 = no allocation).
 * Run: npm exec -- node --expose-gc bench/overhead/answering.bench.ts
 */
import { Endpoint } from '../../src/framework/endpoint.ts';
import { answeringCandidates } from '../../src/requestcontrol/candidates.ts';

const BATCHES = 21;
const CALLS = 200_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

let sink = 0;
for (const n of [10, 100, 1000]) {
  const eps = Array.from({ length: n }, (_, i) => new Endpoint(`10.0.${i >> 8}.${(i & 255) + 1}`, 8000, `p${i}`, 'ns', 0, 'vllm'));
  const out: Endpoint[] = [];
  for (const failing of [false, true]) {
    for (let i = 0; i < n; i += 10) eps[i]!.consecutiveScrapeFailures = failing ? 1 : 0;
    const calls = Math.max(1, Math.round((CALLS * 100) / n));
    const times: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) sink += answeringCandidates(eps, c, out).length;
      times.push(((performance.now() - t0) * 1e6) / calls);
    }
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let c = 0; c < 1_000_000; c++) sink += answeringCandidates(eps, c, out).length;
    const grown = process.memoryUsage().heapUsed - before;
    console.log(`${String(n).padStart(5)} endpoints, ${failing ? '1 in 10 failing' : 'all answering  '}: ${median(times).toFixed(1)} ns/call, heap +${grown} B over 1e6 calls`);
  }
}
if (sink === -1) console.log(sink);
