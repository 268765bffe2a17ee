/**
 * endpoint-attribute-scorer. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/scorer/endpointattribute/endpointattribute_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createEndpointAttributeScorer } from './endpoint-attribute.ts';

const make = (params: unknown) => createEndpointAttributeScorer('s', params, testHandle());
scorerContract('endpoint-attribute-scorer', (h) => createEndpointAttributeScorer('s', { attributeKey: 'm', algorithm: { type: 'linear_lower_is_better' } }, h));

function score(params: unknown, values: (number | undefined)[]): number[] {
  const list: Endpoint[] = values.map((v, i) => {
    const ep = makeEndpoint(i);
    if (v !== undefined) ep.attributes.set('m/core-metrics-extractor', v);
    return ep;
  });
  const out = new Float64Array(list.length);
  make(params).score(makeRequest(), list, list.length, out);
  return [...out].map((x) => Math.round(x * 1000) / 1000);
}

test('endpoint-attribute-scorer: adaptive range, lower is better; missing scores 0', () => {
  assert.deepEqual(score({ attributeKey: 'm', algorithm: { type: 'linear_lower_is_better' } }, [10, 20, 30, undefined]), [1, 0.5, 0, 0]);
});
test('endpoint-attribute-scorer: adaptive range, higher is better', () => {
  assert.deepEqual(score({ attributeKey: 'm', algorithm: { type: 'linear_higher_is_better' } }, [10, 20, 30]), [0, 0.5, 1]);
});
test('endpoint-attribute-scorer: adaptive range with all values equal scores 1', () => {
  assert.deepEqual(score({ attributeKey: 'm', algorithm: { type: 'linear_lower_is_better' } }, [7, 7, undefined]), [1, 1, 0]);
});
test('endpoint-attribute-scorer: fixed range clamps', () => {
  const p = { attributeKey: 'm', algorithm: { type: 'linear_lower_is_better', normalization: { fixedRange: { min: 0, max: 100 } } } };
  assert.deepEqual(score(p, [-5, 25, 100, 150]), [1, 0.75, 0, 0]);
});
test('endpoint-attribute-scorer: parameter errors name the field', () => {
  const bad: [unknown, RegExp][] = [
    [{ algorithm: { type: 'linear_lower_is_better' } }, /parameters\.attributeKey: a non-empty string is required/],
    [{ attributeKey: 'm', algorithm: { type: 'log' } }, /parameters\.algorithm\.type: must be one of linear_lower_is_better, linear_higher_is_better/],
    [{ attributeKey: 'm', algorithm: { type: 'linear_lower_is_better', normalization: { fixedRange: { min: 1, max: 1 } } } }, /parameters\.algorithm\.normalization\.fixedRange: requires min < max/],
    [{ attributeKey: 'm', algorithm: { type: 'linear_lower_is_better', normalization: { fixedRange: { min: 0, max: 1 }, adaptiveRange: {} } } }, /parameters\.algorithm\.normalization: at most one normalization strategy/],
  ];
  for (const [params, re] of bad) assert.throws(() => make(params), re);
});
