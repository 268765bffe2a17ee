/**
 * endpoint-attribute-scorer (upstream scheduling/scorer/endpointattribute, Alpha, Distribution): scores by a
 * numeric endpoint attribute, linearly, `linear_lower_is_better` or `linear_higher_is_better`. Normalization:
 * `fixedRange` {min, max} (clamped), else adaptive (min-max over the candidates that have it; all equal = 1).
 * An endpoint without the attribute scores 0.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { asMap, onlyFields, optMap, optNumber } from '../../../../input/fields.ts';
import { read, readParams } from '../../../../input/plugin-params.ts';
import { reqEnum, resolveAttributeKey, scalarAttribute } from '../../endpoint-attribute.ts';

export const ENDPOINT_ATTRIBUTE_SCORER_TYPE = 'endpoint-attribute-scorer';
const ALGORITHMS = ['linear_lower_is_better', 'linear_higher_is_better'] as const;

export class EndpointAttributeScorer implements Scorer {
  readonly type: string;
  readonly category = 'Distribution' as const;
  readonly name: string;
  readonly consumes: { readonly optional?: readonly string[]; readonly required?: readonly string[] };
  readonly #key: string;
  readonly #lowerIsBetter: boolean;
  /** Fixed range, or NaN for adaptive. */
  readonly #min: number;
  readonly #max: number;

  /** `type` and `required`: multicluster-queue-scorer is this scorer over a key it cannot do without. */
  constructor(name: string, key: string, lowerIsBetter: boolean, min = NaN, max = NaN, type = ENDPOINT_ATTRIBUTE_SCORER_TYPE, required = false) {
    this.type = type;
    this.name = name;
    this.#key = key;
    this.consumes = required ? { required: [key] } : { optional: [key] };
    this.#lowerIsBetter = lowerIsBetter;
    this.#min = min;
    this.#max = max;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    let lo = this.#min;
    let hi = this.#max;
    const adaptive = Number.isNaN(lo);
    if (adaptive) {
      lo = Infinity;
      hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = scalarAttribute(candidates[i]!, this.#key);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    for (let i = 0; i < n; i++) {
      const v = scalarAttribute(candidates[i]!, this.#key);
      if (Number.isNaN(v)) {
        out[i] = 0;
        continue;
      }
      if (adaptive && hi === lo) {
        out[i] = 1;
        continue;
      }
      const x = Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
      out[i] = this.#lowerIsBetter ? 1 - x : x;
    }
  }
}

export function createEndpointAttributeScorer(name: string, params: unknown, _handle: PluginHandle): EndpointAttributeScorer {
  const p = readParams(name, params, ['attributeKey', 'producer', 'algorithm']);
  const key = resolveAttributeKey(name, p, 'attributeKey');
  return read(name, () => {
    const algorithm = asMap(p['algorithm'], 'algorithm');
    onlyFields(algorithm, 'algorithm', ['type', 'normalization'], 'parameter');
    const lowerIsBetter = reqEnum(algorithm, 'type', 'algorithm', ALGORITHMS) === 'linear_lower_is_better';
    const norm = optMap(algorithm['normalization'], 'algorithm.normalization') ?? {};
    onlyFields(norm, 'algorithm.normalization', ['fixedRange', 'adaptiveRange'], 'parameter');
    const fixed = optMap(norm['fixedRange'], 'algorithm.normalization.fixedRange');
    const adaptive = optMap(norm['adaptiveRange'], 'algorithm.normalization.adaptiveRange');
    if (adaptive !== undefined) onlyFields(adaptive, 'algorithm.normalization.adaptiveRange', [], 'parameter');
    if (fixed !== undefined && adaptive !== undefined) {
      throw new PluginConfigError(name, 'algorithm.normalization', 'at most one normalization strategy is allowed, got both fixedRange and adaptiveRange');
    }
    if (fixed === undefined) return new EndpointAttributeScorer(name, key, lowerIsBetter);
    onlyFields(fixed, 'algorithm.normalization.fixedRange', ['min', 'max'], 'parameter');
    const min = optNumber(fixed, 'min', 'algorithm.normalization.fixedRange', -Infinity) ?? 0;
    const max = optNumber(fixed, 'max', 'algorithm.normalization.fixedRange', -Infinity) ?? 0;
    if (min >= max) throw new PluginConfigError(name, 'algorithm.normalization.fixedRange', `requires min < max, got min ${min}, max ${max}`);
    return new EndpointAttributeScorer(name, key, lowerIsBetter, min, max);
  });
}
