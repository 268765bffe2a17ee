/**
 * Role filters. Cases from upstream llm-d-router `pkg/epp/framework/plugins/scheduling/filter/bylabel/roles_test.go`
 * (mirror commit ebab68792): which `llm-d.ai/role` values each filter keeps, and that only decode-filter keeps pods
 * without the label.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { labelledEndpoints, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createDecodeFilter, createEncodeFilter, createPrefillFilter, ROLE_LABEL } from './role.ts';

filterContract('decode-filter', (h) => createDecodeFilter('decode-filter', undefined, h));
filterContract('prefill-filter', (h) => createPrefillFilter('prefill-filter', undefined, h));
filterContract('encode-filter', (h) => createEncodeFilter('encode-filter', undefined, h));

const PODS: [string, Record<string, string>][] = [
  ['decode-pod', { [ROLE_LABEL]: 'decode' }],
  ['prefill-pod', { [ROLE_LABEL]: 'prefill' }],
  ['pd-pod', { [ROLE_LABEL]: 'prefill-decode' }],
  ['both-pod', { [ROLE_LABEL]: 'both' }],
  ['epd-pod', { [ROLE_LABEL]: 'encode-prefill-decode' }],
  ['encode-pod', { [ROLE_LABEL]: 'encode' }],
  ['ep-pod', { [ROLE_LABEL]: 'encode-prefill' }],
  ['no-label-pod', { app: 'vllm' }],
  ['empty-labels-pod', {}],
];

const cases = [
  { make: createDecodeFilter, want: ['decode-pod', 'pd-pod', 'both-pod', 'epd-pod', 'no-label-pod', 'empty-labels-pod'] },
  { make: createPrefillFilter, want: ['prefill-pod', 'pd-pod', 'both-pod', 'epd-pod', 'ep-pod'] },
  { make: createEncodeFilter, want: ['epd-pod', 'encode-pod', 'ep-pod'] },
];

for (const c of cases) {
  test(`${c.make.name}: keeps ${c.want.join(', ')} in candidate order`, () => {
    const { eps, names } = labelledEndpoints(PODS);
    const work = [...eps];
    const kept = c.make('f', undefined, testHandle()).filter(makeRequest(), work, work.length);
    assert.deepEqual(names(work, kept), c.want);
  });
}

test('role filters report upstream type by-label under their configured name', () => {
  const f = createDecodeFilter('my-decode', undefined, testHandle());
  assert.equal(f.type, 'by-label');
  assert.equal(f.name, 'my-decode');
});

test('role filters ignore parameters, as upstream factories do', () => {
  assert.doesNotThrow(() => createPrefillFilter('p', { anything: 1 }, testHandle()));
});
