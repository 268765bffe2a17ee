/**
 * destination-endpoint-served-verifier (conformance). Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/requestcontrol/test/responsereceived/destination_endpoint_served_verifier_test.go`
 * (mirror commit ebab68792). Upstream's "missing served key" and "missing lb metadata" both arrive here as no
 * served endpoint, so both read "fail: missing envoy lb metadata".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../framework/plugin.ts';
import { LLMResponse } from '../../../framework/requestcontrol.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../test/support/scheduling/testing.ts';
import { CONFORMANCE_TEST_RESULT_HEADER, createDestinationEndpointServedVerifier } from './destination-endpoint-served-verifier.ts';

const cases = [
  { name: 'the served endpoint is reported', served: '10.0.0.1:8080', want: '10.0.0.1:8080' },
  { name: 'no served endpoint reported', served: '', want: 'fail: missing envoy lb metadata' },
];
for (const c of cases) {
  test(`destination-endpoint-served-verifier: ${c.name}`, () => {
    const res = new LLMResponse();
    res.servedEndpoint = c.served;
    createDestinationEndpointServedVerifier('v', undefined, testHandle()).responseReceived(makeRequest(), res, makeEndpoint(0));
    assert.equal(res.headers?.get(CONFORMANCE_TEST_RESULT_HEADER), c.want);
  });
}

test('destination-endpoint-served-verifier: takes no parameters', () => {
  assert.throws(() => createDestinationEndpointServedVerifier('v', { x: 1 }, testHandle()), PluginConfigError);
});
