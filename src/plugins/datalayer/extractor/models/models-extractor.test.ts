/**
 * models-data-extractor on pages (the polled path: source/models/models-source.test.ts). Cases from upstream
 * llm-d-router `pkg/epp/framework/plugins/datalayer/extractor/models/extractor_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createModelsExtractor, MODELS_KEY } from './models-extractor.ts';

const extract = (page: string) => {
  const ep = new Endpoint('10.0.0.1', 8000, 'p', 'default', 0, 'vllm');
  createModelsExtractor('m', undefined, testHandle()).extract(ep, page);
  return ep.attributes.get(MODELS_KEY);
};

test('models-data-extractor: models with their LoRA parents; an empty list; null data', () => {
  assert.deepEqual(extract('{"object":"list","data":[{"id":"base"},{"id":"lora","parent":"base"}]}'), [{ id: 'base' }, { id: 'lora', parent: 'base' }]);
  assert.deepEqual(extract('{"object":"list","data":[]}'), []);
  assert.deepEqual(extract('{"object":"list","data":null}'), []);
});

test('models-data-extractor: malformed pages throw (the poller keeps the last value)', () => {
  for (const page of ['not json', '[]', '{"data":{}}', '{"data":[1]}', '{"data":[{"id":5}]}', '{"data":[{"id":"a","created":"now"}]}']) {
    assert.throws(() => extract(page), Error, page);
  }
});
