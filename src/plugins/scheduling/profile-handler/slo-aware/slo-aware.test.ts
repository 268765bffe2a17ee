/** slo-aware-profile-handler: GIE v1.0 pkg/epp/scheduling/framework/plugins/profile/slo_aware_profile_handler.go. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import type { ProfileRunResult, SchedulerProfile } from '../../../../framework/scheduling.ts';
import { createSloAwareProfileHandler } from './slo-aware.ts';

const profile = (name: string): SchedulerProfile => ({ name, run: () => null });
const ran: ProfileRunResult = { endpoints: [], count: 0 };
const h = createSloAwareProfileHandler('h', undefined, testHandle());

test('slo-aware-profile-handler: runs prefix first, then the rest, then nothing', () => {
  const ps = ['default', 'slo', 'prefix'].map(profile);
  const r = makeRequest();
  assert.deepEqual(h.pick(r, ps, new Map()).map((p) => p.name), ['prefix']);
  assert.deepEqual(h.pick(r, ps, new Map([['prefix', ran]])).map((p) => p.name), ['default', 'slo']);
  assert.deepEqual(h.pick(r, ps, new Map([['prefix', ran], ['default', ran], ['slo', ran]])), []);
  assert.deepEqual(h.pick(r, ps.slice(0, 2), new Map()).map((p) => p.name), ['default', 'slo']);
});

test('slo-aware-profile-handler: x-prediction-based-scheduling picks slo, else default', () => {
  const results = new Map([['default', ran], ['slo', ran]]);
  const r = makeRequest();
  assert.deepEqual(h.processResults(r, results), { ok: true, primaryProfileName: 'default' });
  r.headers.set('x-prediction-based-scheduling', 'true');
  assert.deepEqual(h.processResults(r, results), { ok: true, primaryProfileName: 'slo' });
  r.headers.set('x-prediction-based-scheduling', 'yes');
  assert.equal(h.processResults(r, results).ok, false);
  r.headers.set('x-prediction-based-scheduling', '1');
  assert.deepEqual(h.processResults(r, new Map([['default', ran], ['slo', null]])), { ok: false, reason: "failed to run scheduler profile 'slo'" });
  assert.deepEqual(h.processResults(r, new Map([['slo', ran]])), { ok: false, reason: 'SLOAwareProfileHandler requires at least two profiles to operate' });
});
