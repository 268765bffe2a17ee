/**
 * endpoint-attribute-filter. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/filter/endpointattribute/filter_test.go` and its README (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createEndpointAttributeFilter } from './endpoint-attribute.ts';

const make = (params: unknown) => createEndpointAttributeFilter('f', params, testHandle());
const threshold = (operator: string, value: number, extra: Record<string, unknown> = {}) => ({
  attribute: 'num_requests_running',
  algorithm: { type: 'threshold', threshold: { operator, value } },
  ...extra,
});

filterContract('endpoint-attribute-filter', (h) => createEndpointAttributeFilter('f', threshold('LessThan', 5), h));

/** Endpoints with the core extractor's custom metric `num_requests_running`; undefined = attribute absent. */
function eps(values: (number | undefined)[], key = 'num_requests_running/core-metrics-extractor'): Endpoint[] {
  return values.map((v, i) => {
    const ep = makeEndpoint(i);
    if (v !== undefined) ep.attributes.set(key, v);
    return ep;
  });
}
const run = (f: ReturnType<typeof make>, list: Endpoint[]): number[] => {
  const work = [...list];
  const kept = f.filter(makeRequest(), work, work.length);
  return work.slice(0, kept).map((ep) => list.indexOf(ep));
};

const table: { name: string; op: string; value: number; values: (number | undefined)[]; extra?: Record<string, unknown>; want: number[] }[] = [
  { name: 'LessThan', op: 'LessThan', value: 10, values: [5, 10, 15], want: [0] },
  { name: 'LessThanOrEqual', op: 'LessThanOrEqual', value: 10, values: [5, 10, 15], want: [0, 1] },
  { name: 'GreaterThan', op: 'GreaterThan', value: 10, values: [5, 10, 15], want: [2] },
  { name: 'GreaterThanOrEqual', op: 'GreaterThanOrEqual', value: 10, values: [5, 10, 15], want: [1, 2] },
  { name: 'Equal', op: 'Equal', value: 10, values: [5, 10, 15], want: [1] },
  { name: 'NotEqual', op: 'NotEqual', value: 10, values: [5, 10, 15], want: [0, 2] },
  { name: 'onMissing default Pass keeps endpoints without the attribute', op: 'LessThan', value: 10, values: [5, undefined, 15], want: [0, 1] },
  { name: 'onMissing Fail drops them', op: 'LessThan', value: 10, values: [5, undefined, 15], extra: { onMissing: 'Fail' }, want: [0] },
  { name: 'all dropped, no fallback: none', op: 'LessThan', value: 1, values: [5, 10], want: [] },
  { name: 'all dropped, fallbackOnEmpty: every candidate', op: 'LessThan', value: 1, values: [5, 10], extra: { fallbackOnEmpty: true }, want: [0, 1] },
];
for (const c of table) {
  test(`endpoint-attribute-filter: ${c.name}`, () => {
    assert.deepEqual(run(make(threshold(c.op, c.value, c.extra)), eps(c.values)), c.want);
  });
}

test('endpoint-attribute-filter: producer selects another producer\'s attribute; "" a producer-agnostic one', () => {
  const gpu = eps([0.2, 0.9], 'GPUUtilization/dcgm-extractor');
  assert.deepEqual(run(make({ attribute: 'GPUUtilization', producer: 'dcgm-extractor', onMissing: 'Fail', algorithm: { type: 'threshold', threshold: { operator: 'LessThan', value: 0.5 } } }), gpu), [0]);
  // llm-d v0.10's combined spelling names the same key.
  assert.deepEqual(run(make({ attribute: 'GPUUtilization/dcgm-extractor', onMissing: 'Fail', algorithm: { type: 'threshold', threshold: { operator: 'LessThan', value: 0.5 } } }), gpu), [0]);
  const agnostic = eps([3, 30], 'llm-d.ai/multicluster-queue-size');
  assert.deepEqual(run(make({ attribute: 'llm-d.ai/multicluster-queue-size', producer: '', algorithm: { type: 'threshold', threshold: { operator: 'LessThan', value: 10 } } }), agnostic), [0]);
});

test('endpoint-attribute-filter: parameter errors name the field', () => {
  const bad: [unknown, RegExp][] = [
    [{ algorithm: { type: 'threshold', threshold: { operator: 'LessThan', value: 1 } } }, /parameters\.attribute: a non-empty string is required/],
    [threshold('LessThan', 1, { onMissing: 'Maybe' }), /parameters\.onMissing: must be one of Pass, Fail/],
    [{ attribute: 'x', algorithm: { type: 'percentile' } }, /parameters\.algorithm\.type: must be one of threshold/],
    [{ attribute: 'x', algorithm: {} }, /parameters\.algorithm\.type: required/],
    [{ attribute: 'x', algorithm: { type: 'threshold' } }, /parameters\.algorithm\.threshold: required/],
    [{ attribute: 'x', algorithm: { type: 'threshold', threshold: { operator: 'Below', value: 1 } } }, /parameters\.algorithm\.threshold\.operator: must be one of LessThan/],
    [threshold('LessThan', 1, { extra: 1 }), /parameters\.extra: unknown parameter/],
  ];
  for (const [params, re] of bad) assert.throws(() => make(params), re);
});
