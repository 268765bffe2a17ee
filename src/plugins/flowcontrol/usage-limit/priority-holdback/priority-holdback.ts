/**
 * priority-holdback-policy (upstream usagelimits/priorityholdback/, commit ebab687): ceilings spread linearly
 * from maxCeiling (highest band) to minCeiling (lowest), by rank (`domain: rank`, equal steps) or by priority
 * value (`domain: value`, proportional). One band = maxCeiling (work-conserving). `shape` is only "linear".
 */
import type { UsageLimitPolicy } from '../../../../framework/flowcontrol.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export const PRIORITY_HOLDBACK_POLICY_TYPE = 'priority-holdback-policy';

export type HoldbackDomain = 'rank' | 'value';

export class PriorityHoldbackPolicy implements UsageLimitPolicy {
  readonly type = PRIORITY_HOLDBACK_POLICY_TYPE;
  readonly flowControlRole = 'usage-limit-policy' as const;
  readonly name: string;
  readonly #min: number;
  readonly #max: number;
  readonly #domain: HoldbackDomain;

  constructor(name: string, minCeiling: number, maxCeiling: number, domain: HoldbackDomain) {
    this.name = name;
    this.#min = minCeiling;
    this.#max = maxCeiling;
    this.#domain = domain;
  }

  computeLimit(_saturation: number, priorities: readonly number[], ceilings: number[]): void {
    const n = priorities.length;
    if (n === 0) return;
    if (n === 1) {
      ceilings[0] = this.#max;
      return;
    }
    const spread = this.#max - this.#min;
    if (this.#domain === 'rank') {
      for (let i = 0; i < n; i++) ceilings[i] = this.#max - (i * spread) / (n - 1);
      return;
    }
    const pMax = priorities[0]!;
    const pMin = priorities[n - 1]!;
    for (let i = 0; i < n; i++) ceilings[i] = pMax === pMin ? this.#max : this.#min + ((priorities[i]! - pMin) / (pMax - pMin)) * spread;
  }
}

export function createPriorityHoldbackPolicy(name: string, params: unknown): PriorityHoldbackPolicy {
  const p = readParams(name, params, ['shape', 'domain', 'minCeiling', 'maxCeiling']);
  const problems: string[] = [];
  const shape = stringParam(name, p, 'shape', 'linear');
  if (shape !== 'linear') problems.push(`unsupported shape "${shape}", must be "linear"`);
  const domain = stringParam(name, p, 'domain', 'rank');
  if (domain !== 'rank' && domain !== 'value') problems.push(`unsupported domain "${domain}", must be one of: "rank", "value"`);
  if (p['minCeiling'] === undefined || p['minCeiling'] === null) throw new PluginConfigError(name, 'minCeiling', 'minCeiling is required');
  const min = numberParam(name, p, 'minCeiling', 0, -Infinity);
  const max = numberParam(name, p, 'maxCeiling', 1, -Infinity);
  if (min < 0 || min >= 1) problems.push(`minCeiling must be in [0.0, 1.0), got ${min}`);
  if (max <= 0 || max > 1) problems.push(`maxCeiling must be in (0.0, 1.0], got ${max}`);
  if (min >= max) problems.push(`minCeiling (${min}) must be strictly less than maxCeiling (${max})`);
  if (problems.length > 0) throw new PluginConfigError(name, '', `invalid priority holdback policy configuration: ${problems.join('; ')}`);
  return new PriorityHoldbackPolicy(name, min, max, domain as HoldbackDomain);
}
