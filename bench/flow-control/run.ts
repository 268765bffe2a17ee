/**
 * npm run bench:flow-control [-- --seed N]: the issue 17 scenario in virtual time. Three interactive tenants in
 * one band (priority 0): `flood` sends 3x the requests of each steady tenant, with 6x longer prompts; a batch
 * band (priority -1) on top, for ~135% of the fleet's capacity. Per tenant: goodput (TTFT <= 2 s), p90 TTFT,
 * rejections; Jain's index over the interactive tenants' goodput; the steady tenants' p90 against their own
 * unloaded figure.
 */
import { parseArgs } from 'node:util';
import { createGlobalStrictFairnessPolicy } from '../../src/plugins/flowcontrol/fairness/global-strict/global-strict.ts';
import { createRoundRobinFairnessPolicy } from '../../src/plugins/flowcontrol/fairness/round-robin/round-robin.ts';
import { createTokenFairQueueingPolicy } from '../../src/plugins/flowcontrol/fairness/token-fair-queueing/token-fair-queueing.ts';
import { createSoftReflectiveCeilingPolicy } from '../../src/plugins/flowcontrol/usage-limit/soft-reflective-ceiling/soft-reflective-ceiling.ts';
import { createFairShareHoldbackPolicy } from '../../src/plugins/flowcontrol/usage-limit/fair-share-holdback/fair-share-holdback.ts';
import type { FairnessPolicy, UsageLimitPolicy } from '../../src/framework/flowcontrol.ts';
import { jain, maxMinShares, p90, simulate, type SimSetup, type Tenant } from './sim.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, duration: { type: 'string', default: '600' }, holdback: { type: 'string', default: '0.05' } } });
const seed = Number(values.seed);

const STEADY: Tenant[] = [
  { name: 'steady-a', priority: 0, ratePerS: 4, promptTokens: 1000, outputTokens: 100 },
  { name: 'steady-b', priority: 0, ratePerS: 4, promptTokens: 1000, outputTokens: 100 },
];
const TENANTS: Tenant[] = [
  ...STEADY,
  { name: 'flood', priority: 0, ratePerS: 12, promptTokens: 6000, outputTokens: 100 },
  { name: 'batch', priority: -1, ratePerS: 3, promptTokens: 2000, outputTokens: 200 },
];
const base = { servers: 4, slots: 8, prefillMsPerToken: 0.2, decodeMsPerToken: 10, durationS: Number(values.duration), seed, ttlMs: 60_000, sloTtftMs: 2000 };

type Mode = [string, FairnessPolicy | null, UsageLimitPolicy?];
const modes: Mode[] = [
  ['no flow control (today)', null],
  ['global-strict (upstream default)', createGlobalStrictFairnessPolicy('gs')],
  ['round-robin (upstream)', createRoundRobinFairnessPolicy('rr')],
  ['round-robin + soft-reflective-ceiling (upstream)', createRoundRobinFairnessPolicy('rr'), createSoftReflectiveCeilingPolicy('src', undefined)],
  ['token-fair-queueing (ours)', createTokenFairQueueingPolicy('tfq')],
  ['token-fair-queueing + fair-share-holdback (ours)', createTokenFairQueueingPolicy('tfq'), createFairShareHoldbackPolicy('fsh', { holdback: Number(values.holdback) })],
];

const unloaded = simulate({ ...base, tenants: STEADY, fairness: null } as SimSetup);
const unloadedP90 = Math.max(...unloaded.map((r) => r.p90TtftMs));
console.log(`seed ${seed}, ${base.durationS} s, ${base.servers} servers x ${base.slots} slots; steady tenants alone: p90 TTFT ${unloadedP90.toFixed(0)} ms\n`);
console.log('| mode | tenant | offered | served req/s | goodput req/s | p90 TTFT ms | p90 wait ms | rejected |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
const summary: string[] = [];
for (const [name, fairness, usageLimit] of modes) {
  const rs = simulate({ ...base, tenants: TENANTS, fairness, usageLimit });
  for (const r of rs) console.log(`| ${name} | ${r.name} | ${r.offered} | ${(r.completed / base.durationS).toFixed(2)} | ${r.goodputPerS.toFixed(2)} | ${Number.isNaN(r.p90TtftMs) ? '-' : r.p90TtftMs.toFixed(0)} | ${Number.isNaN(r.p90WaitMs) ? '-' : r.p90WaitMs.toFixed(0)} | ${r.rejected} |`);
  const interactive = rs.filter((r) => r.name !== 'batch');
  const steadyP90 = Math.max(...rs.filter((r) => r.name.startsWith('steady')).map((r) => r.p90TtftMs));
  const band = interactive.flatMap((r) => r.ttfts).sort((a, b) => a - b);
  // Share-normalised: each tenant's tokens over its max-min fair share of what the band was served in all.
  const shares = maxMinShares(interactive.map((r) => r.offeredTokensPerS), interactive.reduce((a, r) => a + r.servedTokensPerS, 0));
  const served = jain(interactive.map((r, i) => r.servedTokensPerS / shares[i]!));
  const good = jain(interactive.map((r, i) => r.goodTokensPerS / shares[i]!));
  summary.push(`| ${name} | ${(steadyP90 / unloadedP90).toFixed(2)}x | ${served.toFixed(3)} | ${good.toFixed(3)} | ${jain(interactive.map((r) => r.completed)).toFixed(3)} | ${p90(band).toFixed(0)} |`);
}
console.log('\n| mode | steady p90 TTFT / unloaded | Jain, share-normalised served tokens | Jain, share-normalised goodput tokens | Jain, served requests | interactive (high) band p90 TTFT ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const l of summary) console.log(l);
