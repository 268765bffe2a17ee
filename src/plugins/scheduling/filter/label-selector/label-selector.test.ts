/**
 * label-selector-filter and its deprecated alias by-label-selector. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/filter/bylabel/selector_test.go` (mirror commit ebab68792):
 * TestLabelSelectorFilterFactoryWithJSON, ...WithInvalidJSON, TestLabelSelectorFilterFiltering, ...EdgeCases and
 * ...HasNoAllowsNoLabelEscapeHatch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { labelledEndpoints, makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createByLabelSelectorFilter, createLabelSelectorFilter } from './label-selector.ts';

filterContract('label-selector-filter', (h) => createLabelSelectorFilter('s', { matchLabels: { app: 'x' } }, h));
filterContract('by-label-selector', (h) => createByLabelSelectorFilter('s', { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, h));

const validParams: [string, unknown][] = [
  ['simple matchLabels', { matchLabels: { app: 'nginx', version: 'v1.0' } }],
  [
    'matchLabels and matchExpressions',
    {
      matchLabels: { tier: 'frontend' },
      matchExpressions: [
        { key: 'environment', operator: 'In', values: ['production', 'staging'] },
        { key: 'deprecated', operator: 'DoesNotExist' },
      ],
    },
  ],
  ['empty selector', {}],
  ['no parameters at all', undefined],
  ['matchExpressions only', { matchExpressions: [{ key: 'component', operator: 'NotIn', values: ['test', 'debug'] }] }],
  ['Exists', { matchExpressions: [{ key: 'release', operator: 'Exists' }] }],
];
for (const [name, params] of validParams) {
  test(`label-selector-filter factory accepts: ${name}`, () => {
    assert.doesNotThrow(() => createLabelSelectorFilter('f', params, testHandle()));
  });
}

const invalidParams: [string, unknown][] = [
  ['matchLabels not a mapping', { matchLabels: 'app=nginx' }],
  ['invalid operator', { matchExpressions: [{ key: 'app', operator: 'InvalidOperator', values: ['nginx'] }] }],
  ['unknown field', { matchLabel: { app: 'x' } }],
];
for (const [name, params] of invalidParams) {
  test(`label-selector-filter factory rejects: ${name}`, () => {
    assert.throws(() => createLabelSelectorFilter('f', params, testHandle()), PluginConfigError);
  });
}

const PODS: [string, Record<string, string>][] = [
  ['nginx-1', { app: 'nginx', version: 'v1.0', tier: 'frontend' }],
  ['nginx-2', { app: 'nginx', version: 'v1.1', tier: 'frontend' }],
  ['coredns-1', { app: 'coredns', tier: 'system' }],
  ['redis-1', { app: 'redis', tier: 'backend', deprecated: 'true' }],
  ['web-1', { app: 'web', tier: 'frontend', environment: 'production' }],
];
const ALL = PODS.map(([n]) => n);

const filterCases: { name: string; params: unknown; want: string[] }[] = [
  { name: 'matchLabels app nginx', params: { matchLabels: { app: 'nginx' } }, want: ['nginx-1', 'nginx-2'] },
  { name: 'matchLabels exact', params: { matchLabels: { app: 'nginx', version: 'v1.0' } }, want: ['nginx-1'] },
  {
    name: 'In',
    params: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] },
    want: ['nginx-1', 'nginx-2', 'redis-1', 'web-1'],
  },
  {
    name: 'NotIn',
    params: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['system'] }] },
    want: ['nginx-1', 'nginx-2', 'redis-1', 'web-1'],
  },
  { name: 'Exists', params: { matchExpressions: [{ key: 'deprecated', operator: 'Exists' }] }, want: ['redis-1'] },
  {
    name: 'DoesNotExist',
    params: { matchExpressions: [{ key: 'deprecated', operator: 'DoesNotExist' }] },
    want: ['nginx-1', 'nginx-2', 'coredns-1', 'web-1'],
  },
  {
    name: 'matchLabels and matchExpressions combined',
    params: { matchLabels: { tier: 'frontend' }, matchExpressions: [{ key: 'environment', operator: 'Exists' }] },
    want: ['web-1'],
  },
  { name: 'empty selector matches all', params: {}, want: ALL },
  { name: 'no match', params: { matchLabels: { app: 'nonexistent' } }, want: [] },
];
for (const c of filterCases) {
  test(`label-selector-filter: ${c.name}`, () => {
    const { eps, names } = labelledEndpoints(PODS);
    const work = [...eps];
    assert.deepEqual(names(work, createLabelSelectorFilter('f', c.params, testHandle()).filter(makeRequest(), work, work.length)), c.want);
  });
}

test('label-selector-filter: an endpoint with no labels does not match matchLabels', () => {
  const ep = makeEndpoint(0);
  assert.equal(createLabelSelectorFilter('f', { matchLabels: { app: 'test' } }, testHandle()).filter(makeRequest(), [ep], 1), 0);
});

test('label-selector-filter: no allowsNoLabel escape hatch (unlabelled and mislabelled pods are dropped)', () => {
  const role = 'llm-d.ai/role';
  const [decode, encode, unlabelled] = [0, 1, 2].map((i) => makeEndpoint(i));
  decode!.labels = { [role]: 'decode' };
  encode!.labels = { [role]: 'encode' };
  const work = [decode!, encode!, unlabelled!];
  const f = createLabelSelectorFilter('decode-filter', { matchExpressions: [{ key: role, operator: 'In', values: ['decode', 'prefill-decode'] }] }, testHandle());
  assert.equal(f.filter(makeRequest(), work, 3), 1);
  assert.equal(work[0], decode);
});

test('by-label-selector: same filter, reports its deprecated type, warns once at load', () => {
  const warnings: string[] = [];
  const handle = testHandle();
  const logger = Object.create(handle.logger) as typeof handle.logger;
  logger.warn = ((_o: unknown, msg: string) => void warnings.push(msg)) as typeof logger.warn;
  const f = createByLabelSelectorFilter('old', { matchLabels: { app: 'x' } }, { ...handle, logger });
  assert.equal(f.type, 'by-label-selector');
  assert.equal(createLabelSelectorFilter('new', {}, handle).type, 'label-selector-filter');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /deprecated/);
});
