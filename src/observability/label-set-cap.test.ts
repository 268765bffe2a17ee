import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Datastore } from '../datastore/datastore.ts';
import { Endpoint } from '../framework/endpoint.ts';
import { LabelSetCap } from './label-set-cap.ts';
import { MAX_MODELS_PER_ENDPOINT, MAX_REQUEST_LABEL_SETS, PickerMetrics } from './metrics.ts';
import { renderMetrics } from './render-metrics.ts';

test('LabelSetCap: admits the first max keys for good, refuses the rest, warns once', () => {
  const warnings: string[] = [];
  const cap = new LabelSetCap(2, 'x', (m) => warnings.push(m));
  assert.equal(cap.admit('a'), true);
  assert.equal(cap.admit('b'), true);
  assert.equal(cap.admit('c'), false);
  assert.equal(cap.admit('d'), false);
  assert.equal(cap.admit('a'), true);
  assert.equal(cap.size, 2);
  assert.equal(warnings.length, 1);
});

/** Distinct label sets of one family in the rendered text. */
function labelSets(text: string, family: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) if (line.startsWith(`${family}{`)) out.add(line.slice(family.length, line.lastIndexOf('}') + 1));
  return out;
}

test('PickerMetrics: model x fairness id combinations stay under the cap; attempts per endpoint too; one log line each', async () => {
  const warnings: string[] = [];
  const metrics = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'd' }), { stalenessMs: 1000, now: () => 0, warn: (m) => warnings.push(m) });
  const eps = [0, 1].map((i) => new Endpoint(`10.0.0.${i + 1}`, 8000, `pod-${i}`, 'd', 0, 'vllm'));
  for (let i = 0; i < 40; i++) {
    const model = `model-${i}-`.padEnd(128, 'x');
    for (let t = 0; t < 40; t++) {
      metrics.forRequest(model, model, `tenant-${t}`, t % 2).routed(10);
      metrics.requestError(model, model, `tenant-${t}`, t % 2, 'BadRequest');
    }
    for (const ep of eps) metrics.schedulingAttempt(model, ep);
  }
  const text = await renderMetrics(metrics.registry);
  assert.equal(text, await metrics.registry.metrics(), 'rendered in slices, the same bytes');
  const requests = labelSets(text, 'llm_d_epp_request_total');
  assert.ok(requests.size <= MAX_REQUEST_LABEL_SETS + 2, `${requests.size} request label sets (1,600 driven)`);
  assert.ok(requests.size >= MAX_REQUEST_LABEL_SETS, 'the cap is used, not undercut');
  assert.ok(labelSets(text, 'llm_d_epp_request_error_total').size <= MAX_REQUEST_LABEL_SETS + 2);
  for (const ep of eps) {
    const own = [...labelSets(text, 'llm_d_epp_scheduler_attempts_total')].filter((l) => l.includes(`"${ep.podName}-rank-0"`));
    assert.equal(own.length, MAX_MODELS_PER_ENDPOINT + 1, `${ep.podName}: the cap plus "other"`);
  }
  assert.equal(warnings.length, 2, warnings.join('\n'));
});

test('renderMetrics: the same text as registry.metrics() on a small registry', async () => {
  const metrics = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'd' }), { stalenessMs: 1000, now: () => 0 });
  metrics.forRequest('m', 'm', 'f', 0).routed(10);
  assert.equal(await renderMetrics(metrics.registry), await metrics.registry.metrics());
});
