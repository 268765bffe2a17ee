/**
 * Parameters, from upstream config_test.go (llm-d-router ebab687): the same cases, as a table of one change to a
 * valid config and the field (and words) the error names, or the value a default takes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { DEFAULT_REVISION_LABEL, DEFAULT_ROLE_LABEL, parseRolloutConfig } from './config.ts';

type Params = Record<string, any>;

/** upstream validConfig(). */
function valid(): Params {
  return {
    scope: { labelSelector: 'disaggregatedset.x-k8s.io/name=my-set' },
    headerSelectors: [{ name: 'revision', headerName: 'x-disagg-revision', labelKey: 'disaggregatedset.x-k8s.io/revision', mode: 'strict' }],
    revisionGating: {
      revisionLabelKey: 'disaggregatedset.x-k8s.io/revision',
      roleLabelKey: 'disaggregatedset.x-k8s.io/role',
      mode: 'sum',
      requireRoles: { values: ['prefill', 'decode'] },
    },
  };
}

const other = { name: 'other', headerName: 'x-disagg-other', labelKey: 'foo', mode: 'strict' };

const invalid: [string, (p: Params) => void, RegExp][] = [
  ['MissingScopeSelector', (p) => (p.scope.labelSelector = ''), /parameters\.scope\.labelSelector: must not be empty/],
  ['UnparsableScopeSelector', (p) => (p.scope.labelSelector = 'not a valid selector!!'), /parameters\.scope\.labelSelector: invalid label selector/],
  ['SelectorMissingName', (p) => (p.headerSelectors[0].name = ''), /parameters\.headerSelectors\[0\]\.name/],
  ['SelectorMissingHeaderName', (p) => delete p.headerSelectors[0].headerName, /parameters\.headerSelectors\[0\]\.headerName: required/],
  ['SelectorMissingLabelKey', (p) => delete p.headerSelectors[0].labelKey, /parameters\.headerSelectors\[0\]\.labelKey: required/],
  ['SelectorUnknownMode', (p) => (p.headerSelectors[0].mode = 'loose'), /parameters\.headerSelectors\[0\]\.mode: must be one of strict, prefer/],
  ['DuplicateSelectorName', (p) => p.headerSelectors.push({ ...other, name: 'revision' }), /duplicate name "revision"/],
  ['DuplicateHeaderName', (p) => p.headerSelectors.push({ ...other, headerName: 'X-Disagg-Revision' }), /duplicate headerName "x-disagg-revision"/],
  ['GatingRequireRolesEmptyValues', (p) => (p.revisionGating.requireRoles.values = []), /parameters\.revisionGating\.requireRoles\.values: must contain at least one role/],
  ['GatingRequireRolesRejectsDuplicates', (p) => (p.revisionGating.requireRoles.values = ['prefill', 'prefill']), /duplicate role "prefill"/],
  ['GatingRequireRolesEmptyRole', (p) => (p.revisionGating.requireRoles.values = ['prefill', '']), /requireRoles\.values\[1\]: must be a non-empty string/],
  ['GatingRequired', (p) => delete p.revisionGating, /parameters\.revisionGating: required/],
  ['GatingUnknownMode', (p) => (p.revisionGating.mode = 'bogus'), /parameters\.revisionGating\.mode: must be one of sum, max-role, disabled/],
  ['GatingSumWithoutRequireRoles', (p) => delete p.revisionGating.requireRoles, /revisionGating\.requireRoles: required when revisionGating\.mode=sum/],
  ['GatingMaxRoleWithoutRequireRoles', (p) => ((p.revisionGating.mode = 'max-role'), delete p.revisionGating.requireRoles), /required when revisionGating\.mode=max-role/],
  ['Selector_RejectsUnknownFields', (p) => (p.headerSelectors[0].unknown = 'value'), /headerSelectors\[0\]\.unknown: unknown field/],
  ['TopLevel_RejectsUnknownFields', (p) => (p.extra = 1), /parameters\.extra: unknown parameter/],
];

for (const [name, change, want] of invalid) {
  test(`config: ${name} is rejected naming the field`, () => {
    const p = valid();
    change(p);
    assert.throws(() => parseRolloutConfig('rollout-screener', p), (e: unknown) => e instanceof PluginConfigError && /^plugin "rollout-screener": /.test(e.message) && want.test(e.message));
  });
}

test('config: no parameters at all is rejected', () => {
  assert.throws(() => parseRolloutConfig('s', undefined), /parameters are required/);
});

test('config: valid, empty headerSelectors allowed, defaults for the label keys, header names lower-cased', () => {
  const c = parseRolloutConfig('s', valid());
  assert.deepEqual([c.mode, c.requireRoles, c.headerSelectors.length], ['sum', ['prefill', 'decode'], 1]);
  const p = valid();
  delete p.headerSelectors;
  delete p.revisionGating.revisionLabelKey;
  p.revisionGating.roleLabelKey = '';
  const d = parseRolloutConfig('s', p);
  assert.deepEqual([d.headerSelectors, d.revisionLabelKey, d.roleLabelKey], [[], DEFAULT_REVISION_LABEL, DEFAULT_ROLE_LABEL]);
  assert.deepEqual([DEFAULT_REVISION_LABEL, DEFAULT_ROLE_LABEL], ['disaggregatedset.x-k8s.io/revision', 'disaggregatedset.x-k8s.io/role']);
  const q = valid();
  q.headerSelectors[0].headerName = 'X-Disagg-Revision';
  assert.equal(parseRolloutConfig('s', q).headerSelectors[0]!.headerName, 'x-disagg-revision');
});

test('config: max-role validates; disabled needs no requireRoles (upstream GatingDisabledSkipsSubValidation)', () => {
  const m = valid();
  m.revisionGating.mode = 'max-role';
  assert.equal(parseRolloutConfig('s', m).mode, 'max-role');
  const d = valid();
  d.revisionGating = { mode: 'disabled' };
  const c = parseRolloutConfig('s', d);
  assert.deepEqual([c.mode, c.requireRoles], ['disabled', []]);
});
