/**
 * static-usage-limit-policy (upstream usagelimits/usagelimitpolicy.go, commit ebab687): one fixed ceiling for
 * every band; `threshold` 1.0 (the default) gates nothing. Upstream injects it when flowControl names none.
 */
import type { UsageLimitPolicy } from '../../../../framework/flowcontrol.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { numberParam, readParams } from '../../../../input/plugin-params.ts';

export const STATIC_USAGE_LIMIT_POLICY_TYPE = 'static-usage-limit-policy';

export function staticUsageLimitPolicy(name: string, threshold: number): UsageLimitPolicy {
  return {
    type: STATIC_USAGE_LIMIT_POLICY_TYPE,
    name,
    flowControlRole: 'usage-limit-policy',
    computeLimit(_saturation, _priorities, ceilings) {
      ceilings.fill(threshold);
    },
  };
}

export function createStaticUsageLimitPolicy(name: string, params: unknown): UsageLimitPolicy {
  const p = readParams(name, params, ['threshold']);
  const threshold = numberParam(name, p, 'threshold', 1, 0, 1);
  // Upstream's README: threshold in (0.0, 1.0].
  if (threshold <= 0) throw new PluginConfigError(name, 'threshold', 'must be in (0.0, 1.0]');
  return staticUsageLimitPolicy(name, threshold);
}
