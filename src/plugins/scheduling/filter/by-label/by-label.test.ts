/**
 * by-label (deprecated). Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/filter/bylabel/filter_test.go` (mirror commit ebab68792): factory
 * validation (TestFactory, TestFactoryInvalidJSON) and filtering (TestByLabelFiltering).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { labelledEndpoints, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createByLabelFilter } from './by-label.ts';

filterContract('by-label', (h) => createByLabelFilter('by-label', { label: 'app', validValues: ['x'] }, h));

const factoryCases: { name: string; params: unknown; ok: boolean }[] = [
  { name: 'valid with non-empty validValues', params: { label: 'llm-d.ai/role', allowsNoLabel: false, validValues: ['prefill'] }, ok: true },
  { name: 'allowsNoLabel true with empty validValues', params: { label: 'llm-d.ai/role', allowsNoLabel: true, validValues: [] }, ok: true },
  { name: 'allowsNoLabel true with several values', params: { label: 'llm-d.ai/role', allowsNoLabel: true, validValues: ['decode', 'both'] }, ok: true },
  { name: 'empty label', params: { label: '', validValues: ['prefill'] }, ok: false },
  { name: 'missing label', params: { allowsNoLabel: false, validValues: ['prefill'] }, ok: false },
  { name: 'empty validValues and allowsNoLabel=false', params: { label: 'l', allowsNoLabel: false, validValues: [] }, ok: false },
  { name: 'no validValues and allowsNoLabel=false', params: { label: 'l', allowsNoLabel: false }, ok: false },
  { name: 'validValues as a string', params: { label: 'app', validValues: 'true' }, ok: false },
  { name: 'allowsNoLabel as a string', params: { label: 'app', allowsNoLabel: 'yes', validValues: ['true'] }, ok: false },
  { name: 'unknown parameter (strict decoding)', params: { label: 'app', validValues: ['a'], extra: 1 }, ok: false },
];
for (const c of factoryCases) {
  test(`by-label factory: ${c.name}`, () => {
    if (c.ok) assert.doesNotThrow(() => createByLabelFilter('f', c.params, testHandle()));
    else assert.throws(() => createByLabelFilter('f', c.params, testHandle()), PluginConfigError);
  });
}

const PODS: [string, Record<string, string>][] = [
  ['nginx-1', { app: 'nginx', version: 'v1.0', tier: 'frontend' }],
  ['nginx-2', { app: 'nginx', version: 'v1.1', tier: 'frontend' }],
  ['coredns-1', { app: 'coredns', tier: 'system' }],
  ['redis-1', { app: 'redis', tier: 'backend', deprecated: 'true' }],
  ['web-1', { app: 'web', tier: 'frontend', environment: 'production' }],
  ['no-tier-pod', { app: 'unknown' }],
];

const filterCases = [
  { name: 'match app nginx', label: 'app', validValues: ['nginx'], allowsNoLabel: false, want: ['nginx-1', 'nginx-2'] },
  { name: 'match exact version v1.0', label: 'version', validValues: ['v1.0'], allowsNoLabel: false, want: ['nginx-1'] },
  { name: "allow pods without 'tier'", label: 'tier', validValues: [], allowsNoLabel: true, want: ['no-tier-pod'] },
  {
    name: 'all known tier values',
    label: 'tier',
    validValues: ['frontend', 'backend', 'system'],
    allowsNoLabel: false,
    want: ['nginx-1', 'nginx-2', 'coredns-1', 'redis-1', 'web-1'],
  },
];
for (const c of filterCases) {
  test(`by-label: ${c.name}`, () => {
    const { eps, names } = labelledEndpoints(PODS);
    const work = [...eps];
    const f = createByLabelFilter('f', { label: c.label, validValues: c.validValues, allowsNoLabel: c.allowsNoLabel }, testHandle());
    assert.deepEqual(names(work, f.filter(makeRequest(), work, work.length)), c.want);
  });
}
