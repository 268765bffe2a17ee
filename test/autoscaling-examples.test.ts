/**
 * examples/autoscaling: every YAML document parses, has the kind it should, and every picker metric its queries
 * name is on the picker's /metrics (a PickerMetrics over a pool with fresh endpoints and one routed request).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Datastore } from '../src/datastore/datastore.ts';
import { PickerMetrics } from '../src/observability/metrics.ts';

const dir = new URL('../examples/autoscaling/', import.meta.url);
const docs = (file: string) =>
  parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${file} parses`);
    return d.toJS() as Record<string, unknown>;
  });

async function pickerMetricNames(): Promise<Set<string>> {
  const ds = new Datastore({ poolName: 'vllm-llama3-8b', poolNamespace: 'default' });
  ds.replaceAll({
    pools: [{ name: 'vllm-llama3-8b', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' }],
    models: [],
    objectives: [],
    rewrites: [],
    pods: [{ name: 'p0', namespace: 'default', labels: { app: 'm' }, annotations: {}, ip: '10.0.0.1', ready: true, terminating: false }],
  });
  for (const e of ds.endpoints()) e.metricsUpdatedAt = 1000;
  const m = new PickerMetrics(ds, { stalenessMs: 500, now: () => 1000, autoscaling: { saturation: () => 0.5 } });
  m.pinModels(['llama3-8b-chat']);
  m.forRequest('llama3-8b-chat', 'llama3-8b-chat', '', 0).routed(10);
  const text = await m.registry.metrics();
  return new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/gm)].map((x) => x[1]!));
}

const PICKER_METRIC = /\b(?:inference_extension|llm_d_epp)_[a-z_]+\b/g;

test('examples/autoscaling: the KEDA ScaledObject and the HPA parse; every metric they use is on /metrics', async () => {
  const names = await pickerMetricNames();
  const [scaled] = docs('keda/scaledobject.yaml') as [{ kind: string; spec: { triggers: { type: string; metadata: { query: string } }[] } }];
  assert.equal(scaled.kind, 'ScaledObject');
  const queries = scaled.spec.triggers.map((t) => t.metadata.query);
  const [rules] = docs('hpa/prometheus-adapter-rules.yaml') as [{ externalRules: { seriesQuery: string; name: { as: string } }[] }];
  queries.push(...rules.externalRules.map((r) => r.seriesQuery));
  const [hpa] = docs('hpa/hpa.yaml') as [{ kind: string; spec: { metrics: { external: { metric: { name: string } } }[] } }];
  assert.equal(hpa.kind, 'HorizontalPodAutoscaler');
  // Every external metric the HPA asks for is one the adapter rules expose.
  const exposed = new Set(rules.externalRules.map((r) => r.name.as));
  for (const m of hpa.spec.metrics) assert.ok(exposed.has(m.external.metric.name), `${m.external.metric.name} exposed by the adapter rules`);
  const used = new Set(queries.flatMap((q) => q.match(PICKER_METRIC) ?? []));
  assert.ok(used.size >= 5, `queries name the picker's metrics: ${[...used]}`);
  for (const n of used) assert.ok(names.has(n), `${n} is on /metrics`);
});
