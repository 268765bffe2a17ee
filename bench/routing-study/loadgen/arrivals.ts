/**
 * Open-loop arrival schedules (vLLM `get_request`): inter-arrival gaps are i.i.d.
 * Gamma(shape = burstiness, scale = 1 / (qps · burstiness)), so the mean gap is 1/qps; burstiness 1 is a
 * Poisson process, < 1 burstier, > 1 more regular, Infinity a constant gap. As newer vLLM does, the gaps are
 * rescaled so the last request is sent exactly at count/qps, removing run-to-run drift of the realised rate.
 */
import type { Rng } from '../../sim/rng.ts';

/** Send offsets in ms from the stage start, ascending. */
export function arrivalOffsets(rng: Rng, count: number, qps: number, burstiness = 1): Float64Array {
  const out = new Float64Array(count);
  if (count === 0) return out;
  let t = 0;
  for (let i = 0; i < count; i++) {
    const gap = burstiness === Infinity ? 1 / qps : rng.gamma(burstiness, 1 / (qps * burstiness));
    t += gap;
    out[i] = t;
  }
  const scale = (count / qps) * 1000 / t;
  for (let i = 0; i < count; i++) out[i] = (out[i] as number) * scale;
  return out;
}

/** Requests in a stage: qps x duration, capped by maxRequests (0 = no cap), at least 1. */
export function stageCount(qps: number, durationS: number, maxRequests = 0): number {
  const n = Math.max(1, Math.round(qps * durationS));
  return maxRequests > 0 ? Math.min(n, maxRequests) : n;
}
