/**
 * soft-reflective-ceiling-policy (upstream usagelimits/softreflectiveceiling/policy.go, commit ebab687): band i
 * of N (highest first) has the reflective ceiling 1 - i*saturation/(N-1). Below it the band is open (1.0); at
 * saturation >= 1 it is closed (0.0); in between it alternates open on one call in
 * period = round(saturation/(1-saturation)), so its dispatch rate falls continuously with saturation. One tick
 * shared by every gated band keeps the decision monotone across ranks (the controller stops at the first gated
 * band). No parameters.
 */
import type { UsageLimitPolicy } from '../../../../framework/flowcontrol.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const SOFT_REFLECTIVE_CEILING_POLICY_TYPE = 'soft-reflective-ceiling-policy';

export class SoftReflectiveCeilingPolicy implements UsageLimitPolicy {
  readonly type = SOFT_REFLECTIVE_CEILING_POLICY_TYPE;
  readonly flowControlRole = 'usage-limit-policy' as const;
  readonly name: string;
  /** Advances once per call in the alternating regime. */
  #tick = 0;

  constructor(name: string) {
    this.name = name;
  }

  computeLimit(saturation: number, priorities: readonly number[], ceilings: number[]): void {
    const n = priorities.length;
    if (n === 0) return;
    if (n === 1) {
      ceilings[0] = 1;
      return;
    }
    // The lowest band's ceiling is 1 - saturation: any band alternates iff that one does.
    const alternating = saturation >= 1 - saturation && saturation < 1;
    let open = false;
    if (alternating) {
      // 1e-9 guards against round-off near saturation 1, as upstream.
      const period = Math.max(1, Math.round(saturation / (1 - saturation + 1e-9)));
      open = ++this.#tick % period === 0;
    }
    ceilings[0] = 1;
    for (let i = 1; i < n; i++) {
      const reflective = 1 - (i * saturation) / (n - 1);
      if (saturation < reflective) ceilings[i] = 1;
      else if (saturation >= 1) ceilings[i] = 0;
      else ceilings[i] = open ? 1 : 0;
    }
  }
}

export function createSoftReflectiveCeilingPolicy(name: string, params: unknown): SoftReflectiveCeilingPolicy {
  readParams(name, params, []); // takes no parameters: any key is a config error, as upstream
  return new SoftReflectiveCeilingPolicy(name);
}
