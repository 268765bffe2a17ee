import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMutation, get, httpStatus, MutationError, outgoingHeaders, requestHeaderList, type HeaderList } from './envoy-rules.ts';

test('request headers reach ext_proc as Envoy sends them: pseudo-headers first, lower-cased, no hop-by-hop', () => {
  const list = requestHeaderList('POST', '/v1/completions', ['Host', 'gw:8081', 'Content-Type', 'application/json', 'Connection', 'keep-alive', 'X-Request-Id', 'abc']);
  assert.deepEqual(list, [
    [':method', 'POST'],
    [':path', '/v1/completions'],
    [':authority', 'gw:8081'],
    [':scheme', 'http'],
    ['content-type', 'application/json'],
    ['x-request-id', 'abc'],
  ]);
});

test('mutations: raw_value is the value, append false overwrites, true adds, removals apply', () => {
  const list: HeaderList = [['a', '1'], ['b', '2'], ['b', '3']];
  applyMutation(list, {
    set_headers: [
      { header: { key: 'B', raw_value: Buffer.from('x') } },
      { header: { key: 'a', raw_value: Buffer.from('y') }, append: { value: true } } as never,
      { header: { key: 'x-gateway-destination-endpoint', raw_value: Buffer.from('10.0.0.1:8000') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ],
    remove_headers: ['c'],
  });
  assert.deepEqual(list, [['a', '1'], ['b', 'x'], ['a', 'y'], ['x-gateway-destination-endpoint', '10.0.0.1:8000']]);
});

test('a value-only header arrives empty and value plus raw_value is an error, as in Envoy', () => {
  const list: HeaderList = [];
  applyMutation(list, { set_headers: [{ header: { key: 'k', value: 'ignored' } }] });
  assert.equal(get(list, 'k'), '');
  assert.throws(() => applyMutation([], { set_headers: [{ header: { key: 'k', value: 'v', raw_value: Buffer.from('v') } }] }), MutationError);
  assert.throws(() => applyMutation([], { set_headers: [{ header: { key: 'bad key', raw_value: Buffer.from('v') } }] }), MutationError);
});

test('host, :authority, :method, :scheme and x-envoy-* cannot be changed; :path can', () => {
  const list: HeaderList = [[':method', 'POST'], [':path', '/a'], [':authority', 'h']];
  applyMutation(list, {
    set_headers: [
      { header: { key: ':method', raw_value: Buffer.from('GET') } },
      { header: { key: ':authority', raw_value: Buffer.from('evil') } },
      { header: { key: 'x-envoy-foo', raw_value: Buffer.from('1') } },
      { header: { key: ':path', raw_value: Buffer.from('/b') } },
    ],
    remove_headers: [':path', 'host'],
  });
  assert.deepEqual(list, [[':method', 'POST'], [':authority', 'h'], [':path', '/b']]);
});

test('outgoing headers drop pseudo-headers and join repeats', () => {
  assert.deepEqual(outgoingHeaders([[':path', '/'], ['a', '1'], ['a', '2'], ['content-length', '5']], new Set(['content-length'])), { a: ['1', '2'] });
});

test('immediate-response status: enum names map to codes, unset and < 200 become 200', () => {
  assert.equal(httpStatus('TooManyRequests'), 429);
  assert.equal(httpStatus('BadRequest'), 400);
  assert.equal(httpStatus(503), 503);
  assert.equal(httpStatus(undefined), 200);
  assert.equal(httpStatus('Continue'), 200);
});
