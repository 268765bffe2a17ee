/**
 * endpoint-notification-source: a config binding topology-extractor to it loads (upstream's
 * pd-topology and precise-prefix samples name it in dataLayer.sources); it takes no parameters. The events it stands
 * for reach the observers through the runner: test/topology.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSchedulerConfig } from '../../../../config/loader.ts';
import { inTreePluginRegistry } from '../../../registry.ts';
import { testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createEndpointNotificationSource } from './endpoint-notification.ts';

test('endpoint-notification-source: a data source with extractors bound to it; no parameters', () => {
  const loaded = loadSchedulerConfig(
    `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: endpoint-notification-source
- type: topology-extractor
- type: queue-scorer
dataLayer:
  sources:
  - pluginRef: endpoint-notification-source
    extractors:
    - pluginRef: topology-extractor
`,
    testHandle(),
    { registry: inTreePluginRegistry() },
  );
  assert.equal(loaded.plugins.get('endpoint-notification-source')?.type, 'endpoint-notification-source');
  assert.deepEqual(loaded.dataLayer.polled, [], 'nothing to poll');
  assert.notEqual(loaded.dataLayer.scrape, undefined, 'the default metrics source is still added');
  assert.throws(() => createEndpointNotificationSource('n', { a: 1 }, testHandle()), /parameters\.a: unknown parameter/);
});
