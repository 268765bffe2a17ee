import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { Datastore } from '../datastore/datastore.ts';
import type { PodSpec } from '../datastore/resources.ts';
import { LLMRequest } from '../framework/request.ts';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { loadSchedulerConfig } from '../scheduling/config.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';
import { Director } from './director.ts';

function director() {
  const datastore = new Datastore({ poolName: 'pool', poolNamespace: 'default' });
  const pods: PodSpec[] = [0, 1, 2].map((i) => ({ name: `p${i}`, namespace: 'default', labels: { app: 'm' }, annotations: {}, ip: `10.0.0.${i + 1}`, ready: true, terminating: false }));
  datastore.replaceAll({
    pools: [{ name: 'pool', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' }],
    models: [],
    objectives: [],
    rewrites: [],
    pods,
  });
  datastore.markSynced();
  const { clock } = testHandle();
  for (const ep of datastore.endpoints()) ep.metricsUpdatedAt = clock.now();
  const logger = pino({ level: 'silent' });
  const loaded = loadSchedulerConfig(undefined, { datastore, clock, logger, metricsStalenessMs: 60_000 }, { registry: inTreePluginRegistry() });
  return new Director({ datastore, scheduler: loaded.scheduler, saturation: loaded.saturationDetector, metrics: undefined, logger, strictModels: false, disableSubsetFilter: false });
}

test('director: the prompt is let go once scheduled, and prefix affinity still learns from it', () => {
  const d = director();
  const prompt = 'a long shared system prompt, '.repeat(40);
  const route = () => {
    const req = new LLMRequest();
    req.model = req.targetModel = 'm';
    req.promptText = prompt;
    const decision = d.route(req, null);
    assert.equal(req.promptText, '', 'the request no longer holds the prompt');
    return decision.endpoints[0]!.key;
  };
  const first = route();
  // Same prompt, same endpoint: the index learned the blocks before the prompt was dropped. The first pick
  // carries one in-flight request more, which the prefix score (weight 3) outweighs.
  assert.equal(route(), first);
});
