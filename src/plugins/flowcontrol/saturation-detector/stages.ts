/**
 * Pool saturation from per-endpoint saturation, stage-aware for disaggregated pools: when some candidates serve
 * only prefill (llm-d.ai/role `prefill` or `encode-prefill`), prefill servers and decode servers (every other
 * candidate but encode-only ones) are averaged apart and the pool is as saturated as its more saturated stage
 * (a full prefill pool stalls every disaggregated request however idle the decoders are). Without prefill-only
 * candidates it is the plain average over all of them, as upstream.
 */
import type { Endpoint } from '../../../framework/endpoint.ts';
import { ROLE_LABEL } from '../../scheduling/filter/role/role.ts';

export function stageAwareSaturation<T>(candidates: readonly Endpoint[], score: (ep: Endpoint, ctx: T) => number, ctx: T): number {
  const n = candidates.length;
  if (n === 0) return 1;
  let all = 0;
  let decodeSum = 0;
  let decodeN = 0;
  let prefillSum = 0;
  let prefillN = 0;
  for (let i = 0; i < n; i++) {
    const ep = candidates[i]!;
    const s = score(ep, ctx);
    all += s;
    const role = ep.labels[ROLE_LABEL];
    if (role === 'prefill' || role === 'encode-prefill') {
      prefillSum += s;
      prefillN++;
    } else if (role !== 'encode') {
      decodeSum += s;
      decodeN++;
    }
  }
  if (prefillN === 0) return all / n;
  const prefill = prefillSum / prefillN;
  const decode = decodeN === 0 ? 1 : decodeSum / decodeN;
  return prefill > decode ? prefill : decode;
}
