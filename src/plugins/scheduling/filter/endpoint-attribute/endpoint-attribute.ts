/**
 * endpoint-attribute-filter (upstream scheduling/filter/endpointattribute, Alpha): keeps the candidates whose
 * numeric endpoint attribute compares true against a threshold. `onMissing` Pass (default) keeps endpoints
 * without the attribute, Fail drops them; `fallbackOnEmpty` returns every candidate when none is kept.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { asMap, onlyFields, optBool, optEnum, optNumber } from '../../../../input/fields.ts';
import { read, readParams } from '../../../../input/plugin-params.ts';
import { reqEnum, resolveAttributeKey, scalarAttribute } from '../../endpoint-attribute.ts';

export const ENDPOINT_ATTRIBUTE_FILTER_TYPE = 'endpoint-attribute-filter';

const OPERATORS = ['LessThan', 'LessThanOrEqual', 'GreaterThan', 'GreaterThanOrEqual', 'Equal', 'NotEqual'] as const;
type Operator = (typeof OPERATORS)[number];

function compare(op: Operator, v: number, t: number): boolean {
  switch (op) {
    case 'LessThan':
      return v < t;
    case 'LessThanOrEqual':
      return v <= t;
    case 'GreaterThan':
      return v > t;
    case 'GreaterThanOrEqual':
      return v >= t;
    case 'Equal':
      return v === t;
    case 'NotEqual':
      return v !== t;
  }
}

export class EndpointAttributeFilter implements Filter {
  readonly type = ENDPOINT_ATTRIBUTE_FILTER_TYPE;
  readonly name: string;
  readonly consumes;
  readonly #key: string;
  readonly #passOnMissing: boolean;
  readonly #fallbackOnEmpty: boolean;
  readonly #operator: Operator;
  readonly #value: number;

  constructor(name: string, key: string, passOnMissing: boolean, fallbackOnEmpty: boolean, operator: Operator, value: number) {
    this.name = name;
    this.#key = key;
    this.consumes = { optional: [key] };
    this.#passOnMissing = passOnMissing;
    this.#fallbackOnEmpty = fallbackOnEmpty;
    this.#operator = operator;
    this.#value = value;
  }

  filter(_request: LLMRequest, candidates: Endpoint[], n: number): number {
    let kept = 0;
    // Count first: with fallbackOnEmpty an all-dropped cycle must leave the candidates untouched.
    for (let i = 0; i < n; i++) if (this.#keeps(candidates[i]!)) kept++;
    if (kept === 0) return this.#fallbackOnEmpty ? n : 0;
    if (kept === n) return n;
    kept = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (this.#keeps(ep)) candidates[kept++] = ep;
    }
    return kept;
  }

  #keeps(ep: Endpoint): boolean {
    const v = scalarAttribute(ep, this.#key);
    return Number.isNaN(v) ? this.#passOnMissing : compare(this.#operator, v, this.#value);
  }
}

export function createEndpointAttributeFilter(name: string, params: unknown, _handle: PluginHandle): EndpointAttributeFilter {
  const p = readParams(name, params, ['attribute', 'producer', 'onMissing', 'fallbackOnEmpty', 'algorithm']);
  const key = resolveAttributeKey(name, p, 'attribute');
  return read(name, () => {
    const onMissing = optEnum(p, 'onMissing', '', ['Pass', 'Fail']) ?? 'Pass';
    const fallbackOnEmpty = optBool(p, 'fallbackOnEmpty', '') ?? false;
    const algorithm = asMap(p['algorithm'], 'algorithm');
    onlyFields(algorithm, 'algorithm', ['type', 'threshold'], 'parameter');
    reqEnum(algorithm, 'type', 'algorithm', ['threshold']);
    const threshold = asMap(algorithm['threshold'], 'algorithm.threshold');
    onlyFields(threshold, 'algorithm.threshold', ['operator', 'value'], 'parameter');
    const operator = reqEnum(threshold, 'operator', 'algorithm.threshold', OPERATORS);
    const value = optNumber(threshold, 'value', 'algorithm.threshold', -Infinity) ?? 0;
    return new EndpointAttributeFilter(name, key, onMissing === 'Pass', fallbackOnEmpty, operator, value);
  });
}
