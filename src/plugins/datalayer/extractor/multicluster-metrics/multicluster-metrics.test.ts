/**
 * multicluster-metrics-extractor and -data-source. Cases from upstream llm-d-router `datalayer/extractor/metrics/
 * multicluster_test.go` (mirror commit ebab68792); polled end to end in test/multicluster.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { pollUrl } from '../../../../datalayer/page-poller.ts';
import { testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createMulticlusterMetricsDataSource } from '../../source/multicluster-metrics/multicluster-metrics.ts';
import { createMulticlusterMetricsExtractor, MULTICLUSTER_KV_CACHE_UTILIZATION_KEY, MULTICLUSTER_QUEUE_SIZE_KEY } from './multicluster-metrics.ts';

const ep = () => new Endpoint('10.0.0.1', 8443, 'east', 'default', 0, 'vllm');

test('multicluster-metrics-extractor: the pool averages as producer-agnostic attributes', () => {
  const e = ep();
  createMulticlusterMetricsExtractor('x', undefined, testHandle()).extract(e, 'llm_d_epp_average_kv_cache_utilization 0.4\nllm_d_epp_average_queue_size 3\n');
  assert.equal(e.attributes.get(MULTICLUSTER_KV_CACHE_UTILIZATION_KEY), 0.4);
  assert.equal(e.attributes.get(MULTICLUSTER_QUEUE_SIZE_KEY), 3);
});

test('multicluster-metrics-extractor: configured selectors; a missing metric is an error, the other is written', () => {
  const x = createMulticlusterMetricsExtractor('x', { kvCacheUtilizationMetric: 'pool_kv{pool=a}', queueSizeMetric: 'pool_queue' }, testHandle());
  const e = ep();
  assert.throws(() => x.extract(e, 'pool_kv{pool="b"} 0.9\npool_kv{pool="a"} 0.25\n'), /no matching metric found for pool_queue/);
  assert.equal(e.attributes.get(MULTICLUSTER_KV_CACHE_UTILIZATION_KEY), 0.25);
  assert.equal(e.attributes.has(MULTICLUSTER_QUEUE_SIZE_KEY), false);
  assert.throws(() => createMulticlusterMetricsExtractor('x', { queueSizeMetric: '{bad' }, testHandle()), /parameters\.queueSizeMetric: not a valid metric specification/);
});

test('multicluster-metrics-data-source: https and verified certificates by default; polls the metricsAddress label', () => {
  const s = createMulticlusterMetricsDataSource('m', undefined, testHandle());
  assert.equal(s.poll.scheme, 'https');
  assert.equal(s.poll.insecureSkipVerify, false);
  const e = ep();
  assert.equal(pollUrl(s.poll, e), 'https://10.0.0.1:8443/metrics');
  e.labels = { metricsAddress: 'metrics.east.example.com' };
  assert.equal(pollUrl(s.poll, e), 'https://metrics.east.example.com:8443/metrics');
  e.labels = { metricsAddress: '10.1.1.1', metricsPort: '9090' };
  assert.equal(pollUrl(s.poll, e), 'https://10.1.1.1:9090/metrics');
  assert.throws(() => createMulticlusterMetricsDataSource('m', { port: 1 }, testHandle()), /parameters\.port: unknown parameter/);
});
