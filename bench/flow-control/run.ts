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
import type { FairnessPolicy } from '../../src/framework/flowcontrol.ts';
import { jain, simulate, type SimSetup, type Tenant } from './sim.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, duration: { type: 'string', default: '600' } } });
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

const modes: [string, FairnessPolicy | null][] = [
  ['no flow control (today)', null],
  ['global-strict (upstream default)', createGlobalStrictFairnessPolicy('gs')],
  ['round-robin (upstream)', createRoundRobinFairnessPolicy('rr')],
  ['token-fair-queueing (ours)', createTokenFairQueueingPolicy('tfq')],
];

const unloaded = simulate({ ...base, tenants: STEADY, fairness: null } as SimSetup);
const unloadedP90 = Math.max(...unloaded.map((r) => r.p90TtftMs));
console.log(`seed ${seed}, ${base.durationS} s, ${base.servers} servers x ${base.slots} slots; steady tenants alone: p90 TTFT ${unloadedP90.toFixed(0)} ms\n`);
console.log('| mode | tenant | offered | served req/s | goodput req/s | p90 TTFT ms | p90 wait ms | rejected |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
const summary: string[] = [];
for (const [name, fairness] of modes) {
  const rs = simulate({ ...base, tenants: TENANTS, fairness });
  for (const r of rs) console.log(`| ${name} | ${r.name} | ${r.offered} | ${(r.completed / base.durationS).toFixed(2)} | ${r.goodputPerS.toFixed(2)} | ${Number.isNaN(r.p90TtftMs) ? '-' : r.p90TtftMs.toFixed(0)} | ${Number.isNaN(r.p90WaitMs) ? '-' : r.p90WaitMs.toFixed(0)} | ${r.rejected} |`);
  const interactive = rs.filter((r) => r.name !== 'batch');
  const steadyP90 = Math.max(...rs.filter((r) => r.name.startsWith('steady')).map((r) => r.p90TtftMs));
  const bandP90 = Math.max(...interactive.map((r) => r.p90TtftMs));
  summary.push(`| ${name} | ${jain(interactive.map((r) => r.goodputPerS)).toFixed(3)} | ${jain(interactive.map((r) => r.completed)).toFixed(3)} | ${(steadyP90 / unloadedP90).toFixed(2)}x | ${bandP90.toFixed(0)} |`);
}
console.log('\n| mode | Jain (interactive goodput) | Jain (interactive served) | steady p90 / unloaded | interactive band worst p90 TTFT ms |');
console.log('|---|---:|---:|---:|---:|');
for (const l of summary) console.log(l);
