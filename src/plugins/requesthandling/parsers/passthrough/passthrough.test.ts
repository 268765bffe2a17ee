import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLMRequest } from '../../../../framework/request.ts';
import { PassthroughParser } from './passthrough.ts';

test('passthrough: claims no path, reads nothing, forwards the body as is', () => {
  const p = new PassthroughParser('passthrough-parser');
  assert.deepEqual(p.paths, []);
  const req = new LLMRequest();
  assert.equal(p.parseRequest('not json at all', '/anything', req), null);
  assert.equal(req.model, '');
  assert.equal(req.promptText, '');
});
