import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkBody, immediateError, MAX_STREAMED_CHUNK, routedHeadersResponse, setHeader } from './messages.ts';
import { EppError } from '../requestcontrol/errors.ts';
import { restoreModelName } from '../requestcontrol/body.ts';

test('headers are set in raw_value only, never value', () => {
  const h = setHeader('x-gateway-destination-endpoint', '10.0.0.1:8000');
  assert.equal(h.header.value, undefined);
  assert.equal(Buffer.from(h.header.raw_value!).toString(), '10.0.0.1:8000');
});

test('routing response: header, clear_route_cache, envoy.lb metadata with the same value', () => {
  const r = routedHeadersResponse([setHeader('x-gateway-destination-endpoint', 'a:1,b:2')], 'a:1,b:2');
  assert.equal(r.request_headers?.response?.clear_route_cache, true);
  assert.equal(r.dynamic_metadata?.fields?.['envoy.lb']?.structValue?.fields?.['x-gateway-destination-endpoint']?.stringValue, 'a:1,b:2');
});

test('immediate error: status, JSON content type, OpenAI error body', () => {
  const r = immediateError(new EppError('NO_ENDPOINT', 'nothing ready'));
  assert.equal(r.immediate_response?.status.code, 503);
  const body = JSON.parse(r.immediate_response!.body!.toString());
  assert.deepEqual(body, { error: { message: 'nothing ready', type: 'service_unavailable', param: null, code: 'no_endpoint' } });
  assert.equal(Buffer.from(r.immediate_response!.headers!.set_headers![0]!.header.raw_value!).toString(), 'application/json');
});

test('bodies are chunked at 62,000 bytes without copying', () => {
  const body = Buffer.alloc(150_000, 7);
  const chunks = chunkBody(body);
  assert.deepEqual(chunks.map((c) => c.length), [MAX_STREAMED_CHUNK, MAX_STREAMED_CHUNK, 150_000 - 2 * MAX_STREAMED_CHUNK]);
  assert.equal(chunks[0]!.buffer, body.buffer);
  assert.equal(chunkBody(Buffer.from('x'))[0]!.length, 1);
});

test('model name is restored in responses (both JSON spacings)', () => {
  const out = restoreModelName(Buffer.from('{"model":"t-1","x":1} {"model": "t-1"}'), 't-1', 'client');
  assert.equal(out.toString(), '{"model":"client","x":1} {"model": "client"}');
  const same = Buffer.from('{"model":"other"}');
  assert.equal(restoreModelName(same, 't-1', 'client'), same);
});
