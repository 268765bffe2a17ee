/**
 * destination-endpoint-served-verifier (conformance only): on the response headers, writes the endpoint the
 * gateway reports it served from (`envoy.lb` metadata `x-gateway-destination-endpoint-served`) to the response
 * header `x-conformance-test-served-endpoint`, or `fail: missing envoy lb metadata` when it reported none, so the
 * conformance client can check the routing.
 */
import type { Endpoint } from '../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../framework/plugin.ts';
import type { LLMRequest } from '../../../framework/request.ts';
import type { LLMResponse, ResponseReceived } from '../../../framework/requestcontrol.ts';
import { readParams } from '../../../input/plugin-params.ts';

export const DESTINATION_ENDPOINT_SERVED_VERIFIER_TYPE = 'destination-endpoint-served-verifier';
export const CONFORMANCE_TEST_RESULT_HEADER = 'x-conformance-test-served-endpoint';
export const MISSING_LB_METADATA = 'fail: missing envoy lb metadata';

export class DestinationEndpointServedVerifier implements ResponseReceived {
  readonly type = DESTINATION_ENDPOINT_SERVED_VERIFIER_TYPE;
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  responseReceived(_request: LLMRequest, response: LLMResponse, _endpoint: Endpoint): void {
    // Upstream tells "missing envoy lb metadata" from "missing destination endpoint served metadata"; the
    // director gets only the served value ('' for both), so both read as the first.
    response.setHeader(CONFORMANCE_TEST_RESULT_HEADER, response.servedEndpoint === '' ? MISSING_LB_METADATA : response.servedEndpoint);
  }
}

export function createDestinationEndpointServedVerifier(name: string, params: unknown, _handle: PluginHandle): DestinationEndpointServedVerifier {
  readParams(name, params, []);
  return new DestinationEndpointServedVerifier(name);
}
