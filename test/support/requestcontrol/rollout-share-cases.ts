/**
 * Test data: upstream's rollout shapes (plugin_test.go TestRevisionModesCacheExpectedShares and
 * TestScreenerWeightedDistribution, llm-d-router ebab687), as [name, mode, Ready pods per revision and role,
 * share of v2]; v1 gets the rest.
 */
import type { GatingMode } from '../../../src/plugins/requestcontrol/screener/disaggregatedset-rollout/config.ts';

export type ShareCase = [string, GatingMode, Record<string, Record<string, number>>, number];

export const SHARE_CASES: readonly ShareCase[] = [
  ['2p10d sum', 'sum', { v1: { prefill: 2, decode: 8 }, v2: { prefill: 1, decode: 2 } }, 3 / 13],
  ['2p10d max role', 'max-role', { v1: { prefill: 2, decode: 8 }, v2: { prefill: 1, decode: 2 } }, 2 / 10],
  ['10p10d sum', 'sum', { v1: { prefill: 8, decode: 8 }, v2: { prefill: 2, decode: 2 } }, 2 / 10],
  ['10p10d max role', 'max-role', { v1: { prefill: 8, decode: 8 }, v2: { prefill: 2, decode: 2 } }, 2 / 10],
  ['10p2d sum', 'sum', { v1: { prefill: 8, decode: 2 }, v2: { prefill: 2, decode: 1 } }, 3 / 13],
  ['10p2d max role', 'max-role', { v1: { prefill: 8, decode: 2 }, v2: { prefill: 2, decode: 1 } }, 2 / 10],
];
