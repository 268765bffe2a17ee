/**
 * header-based-testing-filter (conformance). Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/scheduling/test/filter/filter_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { filterContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createHeaderBasedTestingFilter, TEST_ENDPOINT_SELECTION_HEADER } from './header-based-testing.ts';

filterContract('header-based-testing-filter', (h) => createHeaderBasedTestingFilter('header-based-testing-filter', undefined, h));

const ep = (address: string, port: number): Endpoint => new Endpoint(address, port, `pod-${address}-${port}`, 'default', 0, 'vllm');

const cases: { name: string; header?: string; input: [string, number][]; want: string[] }[] = [
  { name: 'header unset', input: [['10.0.0.1', 3000]], want: [] },
  { name: 'header blank', header: '  ', input: [['10.0.0.1', 3000]], want: [] },
  { name: 'no IP match', header: '10.0.0.99', input: [['10.0.0.1', 3000]], want: [] },
  { name: 'IP-only matches any port', header: '10.0.0.1', input: [['10.0.0.1', 3002]], want: ['10.0.0.1:3002'] },
  {
    name: 'IP:port needs the exact port',
    header: '10.0.0.1:3002',
    input: [
      ['10.0.0.1', 3000],
      ['10.0.0.1', 3002],
      ['10.0.0.2', 3002],
    ],
    want: ['10.0.0.1:3002'],
  },
  { name: 'IP:port with another port: no match', header: '10.0.0.1:9999', input: [['10.0.0.1', 3002]], want: [] },
  {
    name: 'several values: header order, de-duplicated by IP',
    header: '10.0.0.3:3004, 10.0.0.2, 10.0.0.3',
    input: [
      ['10.0.0.1', 3000],
      ['10.0.0.2', 3002],
      ['10.0.0.3', 3004],
    ],
    want: ['10.0.0.3:3004', '10.0.0.2:3002'],
  },
  {
    name: 'IPv6 bracketed with port',
    header: '[fd00::1]:3002',
    input: [
      ['fd00::1', 3002],
      ['fd00::2', 3002],
    ],
    want: ['[fd00::1]:3002'],
  },
  {
    name: 'IPv6 bare',
    header: 'fd00::2',
    input: [
      ['fd00::1', 3002],
      ['fd00::2', 3004],
    ],
    want: ['[fd00::2]:3004'],
  },
];
for (const c of cases) {
  test(`header-based-testing-filter: ${c.name}`, () => {
    const req = makeRequest();
    if (c.header !== undefined) req.headers.set(TEST_ENDPOINT_SELECTION_HEADER, c.header);
    const work = c.input.map(([a, p]) => ep(a, p));
    const kept = createHeaderBasedTestingFilter('f', undefined, testHandle()).filter(req, work, work.length);
    assert.deepEqual(work.slice(0, kept).map((e) => e.key), c.want);
  });
}
