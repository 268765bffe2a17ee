/**
 * Deployment artefacts, checked as far as this machine allows (no helm, no docker, no cluster):
 * every YAML parses; the CRDs are structural and accept the examples and the chart's rendered objects
 * (which the picker's own parser accepts too) and reject broken ones; the chart renders (with a Go-template
 * subset, test/k8s/helm-render.ts) in its main variants; every value is used, defined and documented;
 * the Envoy bootstrap and the Dockerfile have the required shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { PICKER_ENV, PICKER_NODE_FLAGS } from '../bench/dev-stack/procs.ts';
import { parseObject } from '../src/resources/validate.ts';
import { MODEL_RESOURCE, OBJECTIVE_RESOURCES, poolResource, REWRITE_RESOURCES, POOL_GROUP_V1, X_GROUP } from '../src/k8s/api-resources.ts';
import { leaseNameForPool } from '../src/k8s/leader-election.ts';
import { leafPaths, undefinedRefs, undocumentedValues, unusedValues, valueRefs } from './support/k8s/chart-values.ts';
import { chartFiles, chartMeta, defaults, find, one, render as renderWith, valuesText } from './support/k8s/chart.ts';
import { type Schema, structuralProblems, validate } from './support/k8s/openapi-schema.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Doc = Record<string, any>;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function yamlDocs(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) if (d.errors.length) throw new Error(`${relative(ROOT, file)}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

// ------------------------------------------------------------------ CRDs

const crdFiles = walk(join(ROOT, 'config/crd')).filter((f) => f.endsWith('.yaml'));
const crds = crdFiles.flatMap(yamlDocs);

/** Schema for apiVersion + kind from config/crd, or undefined when no CRD of ours defines it. */
function schemaFor(apiVersion: string, kind: string): Schema | undefined {
  for (const crd of crds) {
    if (crd.spec.names.kind !== kind) continue;
    for (const v of crd.spec.versions) if (`${crd.spec.group}/${v.name}` === apiVersion) return v.schema.openAPIV3Schema;
  }
  return undefined;
}

function checkObject(obj: Doc): string[] {
  const schema = schemaFor(obj.apiVersion, obj.kind);
  assert.ok(schema, `no CRD for ${obj.apiVersion} ${obj.kind}`);
  return validate(schema, structuredClone(obj));
}

test('CRDs: structural, named <plural>.<group>, one storage version, cover every API the picker reads', () => {
  assert.ok(crds.length >= 5);
  for (const crd of crds) {
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(crd.kind, 'CustomResourceDefinition');
    assert.equal(crd.metadata.name, `${crd.spec.names.plural}.${crd.spec.group}`);
    assert.equal(crd.spec.versions.filter((v: Doc) => v.storage).length, 1, crd.metadata.name);
    for (const v of crd.spec.versions) assert.deepEqual(structuralProblems(v.schema.openAPIV3Schema), [], `${crd.metadata.name} ${v.name}`);
  }
  for (const r of [poolResource(POOL_GROUP_V1), poolResource(X_GROUP), MODEL_RESOURCE, ...OBJECTIVE_RESOURCES, ...REWRITE_RESOURCES]) {
    assert.ok(schemaFor(`${r.group}/${r.version}`, r.kind), `CRD for ${r.group}/${r.version} ${r.kind}`);
  }
});

/** Every API the picker reads, in every group upstream serves it from. */
const SERVED = [
  'inference.networking.k8s.io/v1 InferencePool',
  'inference.networking.x-k8s.io/v1alpha2 InferencePool',
  'inference.networking.x-k8s.io/v1alpha2 InferenceModel',
  'inference.networking.x-k8s.io/v1alpha2 InferenceObjective',
  'inference.networking.x-k8s.io/v1alpha2 InferenceModelRewrite',
  'llm-d.ai/v1alpha2 InferenceObjective',
  'llm-d.ai/v1alpha2 InferenceModelRewrite',
];

test('CRDs: one per group and kind, llm-d.ai ones copied from llm-d-router with the source named', () => {
  const served = crds.flatMap((c) => c.spec.versions.filter((v: Doc) => v.served).map((v: Doc) => `${c.spec.group}/${v.name} ${c.spec.names.kind}`));
  assert.deepEqual([...served].sort(), [...SERVED].sort());
  for (const f of crdFiles.filter((f) => relative(join(ROOT, 'config/crd'), f).startsWith('llm-d.ai_'))) {
    assert.match(readFileSync(f, 'utf8'), /^# Verbatim copy of llm-d\/llm-d-router config\/crd\/bases\/llm-d\.ai_\w+\.yaml at commit\n# [0-9a-f]{40} /);
  }
});

test('CRDs accept every upstream sample object (GIE v0.5.1-v1.5.0, llm-d Router) but fields upstream CRDs lack too', () => {
  const text = readFileSync(join(ROOT, 'test/support/k8s/upstream/crd-samples.yaml'), 'utf8');
  const chunks = text.split(/^---$/m).slice(1);
  let accepted = 0;
  const kinds = new Set<string>();
  for (const chunk of chunks) {
    const obj = parse(chunk) as Doc;
    const where = `${obj.apiVersion} ${obj.kind} ${obj.metadata.name} (${/^# source: (.*)$/m.exec(chunk)?.[1]})`;
    kinds.add(`${obj.apiVersion} ${obj.kind}`);
    if (/^# expect: skip/m.test(chunk)) continue;
    if (/^# expect: reject$/m.test(chunk)) {
      assert.equal(schemaFor(obj.apiVersion, obj.kind), undefined, where);
      continue;
    }
    // Fields upstream's CRDs lack too: the only errors are those unknown fields.
    const pruned = [...chunk.matchAll(/^# expect: pruned spec\.(?:(\w+)\.)?(\w+)$/gm)].map((m) => `<root>.spec${m[1] ? `.${m[1]}` : ''}: ${m[2]}: unknown field`);
    assert.deepEqual(checkObject(obj), pruned, where);
    accepted++;
  }
  assert.ok(accepted >= 99, `accepted ${accepted}`);
  for (const kind of SERVED) assert.ok(kinds.has(kind), `a sample of ${kind}`);
});

// ------------------------------------------------------------------ examples

const exampleFiles = walk(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));

const DEPLOY_EXAMPLES = ['envoy', 'gateway', 'vllm'];

test('examples: every file parses; the deployment examples mark where a user must change something', () => {
  assert.ok(exampleFiles.length >= 4);
  for (const f of exampleFiles) {
    assert.ok(yamlDocs(f).length > 0, f);
    if (!DEPLOY_EXAMPLES.includes(relative(join(ROOT, 'examples'), f).split('/')[0]!)) continue;
    assert.match(readFileSync(f, 'utf8'), /CHANGE/, `${relative(ROOT, f)} marks what to change`);
  }
});

test('examples: the CRD schemas and the picker parser both accept every inference object', () => {
  let checked = 0;
  for (const f of exampleFiles) {
    for (const doc of yamlDocs(f)) {
      if (!schemaFor(doc.apiVersion, doc.kind)) continue;
      assert.deepEqual(checkObject(doc), [], `${relative(ROOT, f)} ${doc.kind} ${doc.metadata.name}`);
      assert.equal(parseObject(doc, relative(ROOT, f), 'default').kind, doc.kind);
      checked++;
    }
  }
  assert.ok(checked >= 6, `checked ${checked} objects`);
});

const poolV1: Doc = {
  apiVersion: 'inference.networking.k8s.io/v1',
  kind: 'InferencePool',
  metadata: { name: 'p' },
  spec: { selector: { matchLabels: { app: 'x' } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: 'epp', port: { number: 9002 } } },
};
const modelV1alpha2: Doc = {
  apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
  kind: 'InferenceModel',
  metadata: { name: 'm' },
  spec: { modelName: 'm', poolRef: { name: 'p' }, targetModels: [{ name: 'a', weight: 1 }, { name: 'b', weight: 2 }] },
};

test('CRD schemas reject broken objects, naming the field', () => {
  const broken: [string, Doc, RegExp][] = [
    ['nine target ports', { ...poolV1, spec: { ...poolV1.spec, targetPorts: Array.from({ length: 9 }, (_, i) => ({ number: 8000 + i })) } }, /targetPorts: should have at most 8/],
    ['duplicate ports', { ...poolV1, spec: { ...poolV1.spec, targetPorts: [{ number: 8000 }, { number: 8000 }] } }, /targetPorts: port number must be unique/],
    ['port out of range', { ...poolV1, spec: { ...poolV1.spec, targetPorts: [{ number: 70000 }] } }, /targetPorts\[0\]\.number: should be <= 65535/],
    ['no selector', { ...poolV1, spec: { targetPorts: [{ number: 8000 }] } }, /spec: selector: Required/],
    ['empty matchLabels', { ...poolV1, spec: { ...poolV1.spec, selector: { matchLabels: {} } } }, /matchLabels: should have at least 1/],
    ['bad failureMode', { ...poolV1, spec: { ...poolV1.spec, endpointPickerRef: { name: 'e', port: { number: 1 }, failureMode: 'Sometimes' } } }, /failureMode: should be one of/],
    ['Service ref without port', { ...poolV1, spec: { ...poolV1.spec, endpointPickerRef: { name: 'e' } } }, /endpointPickerRef: port is required/],
    ['unknown field', { ...poolV1, spec: { ...poolV1.spec, targetPort: 8000 } }, /spec: targetPort: unknown field/],
    ['weights on some targets', { ...modelV1alpha2, spec: { ...modelV1alpha2.spec, targetModels: [{ name: 'a', weight: 1 }, { name: 'b' }] } }, /targetModels: Weights should be set/],
    ['weight 0', { ...modelV1alpha2, spec: { ...modelV1alpha2.spec, targetModels: [{ name: 'a', weight: 0 }] } }, /weight: should be >= 1/],
    ['bad criticality', { ...modelV1alpha2, spec: { ...modelV1alpha2.spec, criticality: 'Urgent' } }, /criticality: should be one of/],
  ];
  assert.deepEqual(checkObject(poolV1), []);
  assert.deepEqual(checkObject(modelV1alpha2), []);
  for (const [what, obj, want] of broken) {
    const errors = checkObject(obj);
    assert.ok(errors.some((e) => want.test(e)), `${what}: ${JSON.stringify(errors)}`);
  }
});

// ------------------------------------------------------------------ chart

/** The values every render starts from: matchLabels has no default (a values file's labels must not merge with one). */
const BASE: Doc = { inferencePool: { modelServers: { matchLabels: { app: 'vllm-llama3-8b-instruct' } } } };
const render = (overrides: Doc = {}) => renderWith(BASE, overrides);

test('chart: Chart.yaml and values.yaml parse; every value is used, defined and documented', () => {
  assert.equal(chartMeta.apiVersion, 'v2');
  const refs = valueRefs(Object.values(chartFiles));
  assert.deepEqual(unusedValues(defaults, refs), [], 'values no template reads');
  assert.deepEqual(undefinedRefs(defaults, refs), [], 'template references to undefined values');
  assert.deepEqual(undocumentedValues(valuesText), [], 'values without a comment');
  assert.ok(leafPaths(defaults).length > 30);
});

test('chart: default render: Deployment hardened and probed on the gRPC health port, Service, RBAC, pool', () => {
  const { objects, files } = render();
  const dep = one(objects, 'Deployment');
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.livenessProbe.grpc, { port: 9003, service: 'liveness' });
  assert.deepEqual(c.readinessProbe.grpc, { port: 9003, service: 'readiness' });
  assert.ok(c.resources.requests.cpu);
  assert.ok(c.args.includes('--pool-name=llama'));
  assert.ok(c.args.includes('--pool-namespace=inference'));
  assert.ok(c.args.includes('--pool-group=inference.networking.k8s.io'));
  assert.ok(!c.args.includes('--ha-enable-leader-election'));
  assert.equal(c.image, `ghcr.io/example/epp:${chartMeta.appVersion}`);

  const svc = one(objects, 'Service');
  assert.deepEqual(svc.spec.ports.map((p: Doc) => [p.name, p.port]), [['grpc-ext-proc', 9002], ['http-metrics', 9090]]);
  assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);

  const role = one(objects, 'Role');
  const granted = role.rules.flatMap((r: Doc) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}:${r.verbs.join(',')}`));
  const llmd = ['inferenceobjectives', 'inferencemodelrewrites'].map((p) => `llm-d.ai/${p}`);
  for (const want of ['/pods', 'inference.networking.k8s.io/inferencepools', ...[MODEL_RESOURCE, ...OBJECTIVE_RESOURCES, ...REWRITE_RESOURCES].map((r) => `${r.group}/${r.plural}`), ...llmd]) {
    assert.ok(granted.includes(`${want}:get,list,watch`), `${want} readable`);
  }
  assert.ok(!granted.some((g: string) => g.includes('leases')), 'no lease access without HA');
  assert.ok(!granted.some((g: string) => /create|update|delete|patch/.test(g)), 'read-only without HA');

  const pool = one(objects, 'InferencePool');
  assert.deepEqual(checkObject(pool), []);
  assert.equal(pool.spec.endpointPickerRef.name, svc.metadata.name);
  assert.equal(pool.spec.endpointPickerRef.failureMode, 'FailOpen');
  assert.equal(parseObject(pool, 'chart', 'inference').kind, 'InferencePool');
  assert.match(files['templates/NOTES.txt'] ?? '', /failure_mode_allow=true/);
});

test('chart: replicas > 1 turns on leader election and grants exactly this pool\'s Lease', () => {
  const { objects, files } = render({ replicas: 3 });
  const c = find(objects, 'Deployment')[0]!.spec.template.spec.containers[0];
  assert.ok(c.args.includes('--ha-enable-leader-election'));
  const leaseRules = find(objects, 'Role')[0]!.rules.filter((r: Doc) => r.resources.includes('leases'));
  assert.deepEqual(leaseRules.map((r: Doc) => r.verbs), [['create'], ['get', 'update']]);
  assert.deepEqual(leaseRules[1].resourceNames, [leaseNameForPool('inference', 'llama')], 'chart and picker agree on the Lease name');
  assert.match(files['templates/NOTES.txt'] ?? '', /leader/);
});

test('chart: replicas > 1 with replicaSync: active-active, no leader election, sync flags, ports and EndpointSlice reads', () => {
  const { objects } = render({ replicas: 3, replicaSync: { enabled: true } });
  const c = find(objects, 'Deployment')[0]!.spec.template.spec.containers[0];
  assert.ok(!c.args.includes('--ha-enable-leader-election'), 'every replica ready: no leader');
  for (const a of ['--replica-sync', '--replica-sync-port=9005', '--replica-peer-ttl=2s', '--replica-service=llama-epp']) assert.ok(c.args.includes(a), a);
  assert.equal(one(objects, 'Service').metadata.name, 'llama-epp', 'the Service whose EndpointSlices list the replicas');
  assert.deepEqual(c.ports.filter((p: Doc) => p.name.startsWith('replica')).map((p: Doc) => p.containerPort), [9005, 9006]);
  assert.equal(c.env.find((e: Doc) => e.name === 'POD_IP').valueFrom.fieldRef.fieldPath, 'status.podIP');
  const rules: Doc[] = one(objects, 'Role').rules;
  assert.ok(rules.some((r) => r.apiGroups[0] === 'discovery.k8s.io' && r.resources.includes('endpointslices') && r.verbs.includes('watch')));
  assert.ok(!rules.some((r) => r.resources.includes('leases')));
  // Off by default: none of it.
  const off = find(render({ replicas: 3 }).objects, 'Deployment')[0]!.spec.template.spec.containers[0];
  assert.ok(!off.args.some((a: string) => a.startsWith('--replica')));
  // Sync with leader election asked for explicitly keeps the election.
  const both = find(render({ replicas: 3, replicaSync: { enabled: true }, leaderElection: { enabled: true } }).objects, 'Deployment')[0]!.spec.template.spec.containers[0];
  assert.ok(both.args.includes('--ha-enable-leader-election') && both.args.includes('--replica-sync'));
});

test('chart: replicaSync.curve mounts the keys Secret (made by the chart, or an existing one) and passes the flag', () => {
  const keys = { publicKey: 'P'.repeat(40), secretKey: 'S'.repeat(40), allowedPeers: ['A'.repeat(40)] };
  const { objects } = render({ replicas: 3, replicaSync: { enabled: true, curve: { enabled: true, ...keys } } });
  const pod = find(objects, 'Deployment')[0]!.spec.template.spec;
  assert.ok(pod.containers[0].args.includes('--replica-sync-curve-keys=/etc/epp/replica-sync-keys'));
  assert.ok(pod.containers[0].volumeMounts.some((m: Doc) => m.name === 'replica-sync-keys' && m.mountPath === '/etc/epp/replica-sync-keys' && m.readOnly));
  const secret = find(objects, 'Secret').find((s) => s.metadata.name === 'llama-epp-replica-sync-keys')!;
  assert.equal(pod.volumes.find((v: Doc) => v.name === 'replica-sync-keys').secret.secretName, 'llama-epp-replica-sync-keys');
  assert.deepEqual([secret.stringData['public.key'], secret.stringData['secret.key'], secret.stringData['allowed-peers'].trim()], [keys.publicKey, keys.secretKey, keys.allowedPeers[0]]);
  const existing = render({ replicas: 3, replicaSync: { enabled: true, curve: { enabled: true, existingSecret: 'mine' } } }).objects;
  assert.equal(find(existing, 'Deployment')[0]!.spec.template.spec.volumes.find((v: Doc) => v.name === 'replica-sync-keys').secret.secretName, 'mine');
  assert.ok(!find(existing, 'Secret').some((s) => s.metadata.name.endsWith('replica-sync-keys')), 'no Secret made when one is given');
});

test('Envoy replicas example: several health-checked picker endpoints with outlier detection', () => {
  const [boot] = yamlDocs(join(ROOT, 'examples/envoy/envoy-replicas.yaml'));
  const epp = (boot!.static_resources.clusters as Doc[]).find((c) => c.name === 'epp')!;
  assert.ok(epp.load_assignment.endpoints[0].lb_endpoints.length >= 2);
  assert.equal(epp.health_checks[0].grpc_health_check.service_name, 'envoy.service.ext_proc.v3.ExternalProcessor');
  assert.ok(epp.outlier_detection.consecutive_gateway_failure > 0);
  const hcm = boot!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  assert.equal(hcm.http_filters[0].typed_config.grpc_service.envoy_grpc.cluster_name, 'epp');
});

test('chart: objectives, v1alpha2 pools, pool-less mode, plugins config, ServiceMonitor', () => {
  const withObjectives = render({ inferenceObjectives: [{ name: 'critical', priority: 100 }, { name: 'batch', priority: -1 }, { name: 'plain' }] });
  const objectives = find(withObjectives.objects, 'InferenceObjective');
  assert.deepEqual(objectives.map((o) => [o.metadata.name, o.spec.priority]), [['critical', 100], ['batch', -1], ['plain', undefined]]);
  for (const o of objectives) {
    assert.deepEqual(checkObject(o), []);
    assert.equal(parseObject(o, 'chart', 'inference').kind, 'InferenceObjective');
  }

  const llmd = renderWith({ router: { modelServers: { matchLabels: { app: 'x' } }, inferenceObjectives: [{ name: 'critical', priority: 5 }] } });
  for (const o of [...find(llmd.objects, 'InferenceObjective'), one(llmd.objects, 'InferencePool')]) assert.deepEqual(checkObject(o), [], `${o.apiVersion} ${o.kind}`);

  const legacy = render({ inferencePool: { group: 'inference.networking.x-k8s.io' } });
  const lp = one(legacy.objects, 'InferencePool');
  assert.equal(lp.apiVersion, 'inference.networking.x-k8s.io/v1alpha2');
  assert.deepEqual(checkObject(lp), []);
  assert.equal(parseObject(lp, 'chart', 'inference').kind, 'InferencePool');
  assert.equal(find(legacy.objects, 'Role')[0]!.rules[1].apiGroups[0], 'inference.networking.x-k8s.io');

  const poolless = render({ endpointSelector: 'app=vllm', endpointTargetPorts: [8000, 8001], replicas: 2 });
  const args: string[] = find(poolless.objects, 'Deployment')[0]!.spec.template.spec.containers[0].args;
  assert.ok(args.includes('--endpoint-selector=app=vllm') && args.includes('--endpoint-target-ports=8000,8001'));
  assert.ok(!args.some((a) => a.startsWith('--pool-group=') || a.startsWith('--pool-name=')), 'pool flags are exclusive with --endpoint-selector');
  assert.equal(find(poolless.objects, 'InferencePool').length, 0);
  const poollessRules: Doc[] = one(poolless.objects, 'Role').rules;
  assert.ok(!poollessRules.some((r) => r.resources.includes('inferencepools')));
  // The pool-less Lease name is a hash of the selector: renewals cannot be limited by name.
  assert.ok(poollessRules.some((r) => r.resources.includes('leases') && r.verbs.includes('update') && !r.resourceNames));

  const configured = render({ pluginsConfig: 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n', monitoring: { serviceMonitor: { enabled: true } } });
  const cm = one(configured.objects, 'ConfigMap');
  assert.equal(parse(cm.data['plugins.yaml']).kind, 'EndpointPickerConfig');
  assert.ok(find(configured.objects, 'Deployment')[0]!.spec.template.spec.containers[0].args.includes('--config-file=/etc/epp/config/plugins.yaml'));
  assert.equal(find(configured.objects, 'ServiceMonitor')[0]!.spec.endpoints[0].port, 'http-metrics');
  assert.equal(find(render().objects, 'ServiceMonitor').length, 0);
});

// ------------------------------------------------------------------ Envoy, Dockerfile

test('Envoy bootstrap: ext_proc FULL_DUPLEX_STREAMED to the picker, ORIGINAL_DST on the destination header', () => {
  const [boot] = yamlDocs(join(ROOT, 'examples/envoy/envoy.yaml'));
  const hcm = boot!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  const ext = hcm.http_filters.find((f: Doc) => f.name === 'envoy.filters.http.ext_proc').typed_config;
  assert.equal(ext.processing_mode.request_body_mode, 'FULL_DUPLEX_STREAMED');
  assert.equal(ext.processing_mode.response_body_mode, 'FULL_DUPLEX_STREAMED');
  assert.equal(typeof ext.failure_mode_allow, 'boolean');
  const clusters: Doc[] = boot!.static_resources.clusters;
  const od = clusters.find((c) => c.name === 'original_destination_cluster')!;
  assert.equal(od.type, 'ORIGINAL_DST');
  assert.deepEqual(od.original_dst_lb_config, { use_http_header: true, http_header_name: 'x-gateway-destination-endpoint' });
  const epp = clusters.find((c) => c.name === ext.grpc_service.envoy_grpc.cluster_name)!;
  assert.equal(epp.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 9002);
  assert.equal(epp.health_checks[0].grpc_health_check.service_name, 'envoy.service.ext_proc.v3.ExternalProcessor');
  const routes: Doc[] = hcm.route_config.virtual_hosts[0].routes;
  assert.equal(routes[0]!.route.cluster, 'original_destination_cluster');
  assert.ok(clusters.some((c) => c.name === routes.at(-1)!.route.cluster), 'fail-open fallback route has a cluster');
});

test('Dockerfile: multi-stage node:24 slim, production deps only, non-root, epp entrypoint', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(froms.length >= 2 && froms.every((f) => f === 'node:24-slim'), String(froms));
  assert.match(text, /npm ci --omit=dev/);
  // The build stage does what `npm run build` does, the client-node bundle and the live page's files included.
  assert.match(text, /^RUN \.\/node_modules\/\.bin\/tsc -p tsconfig\.build\.json && node scripts\/bundle-client-node\.ts dist && node scripts\/copy-ui\.ts dist$/m);
  assert.match(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.build, /node scripts\/bundle-client-node\.ts dist && node scripts\/copy-ui\.ts dist$/);
  const user = /^USER\s+(\S+)/m.exec(text)?.[1] ?? 'root';
  assert.ok(!/^(root|0)(:|$)/.test(user), `runs as ${user}`);
  // The benchmarks run the picker as the image does: their figures in bench/overhead/README.md assume these.
  assert.deepEqual(JSON.parse(/^ENTRYPOINT (.*)$/m.exec(text)?.[1] ?? 'null'), ['node', ...PICKER_NODE_FLAGS, 'bin/epp.js']);
  for (const [k, v] of Object.entries(PICKER_ENV)) assert.match(text, new RegExp(`^ENV ${k}=${v}$`, 'm'));
  assert.match(readFileSync(join(ROOT, '.dockerignore'), 'utf8'), /^node_modules$/m);
});

test('chart: metrics auth off by default in its own layout, on by default in the upstream layouts, with the review rights', () => {
  const reviews = (objects: Doc[]) =>
    find(objects, 'ClusterRole')
      .flatMap((r: Doc) => r.rules)
      .map((rule: Doc) => `${rule.apiGroups[0]}/${rule.resources[0]}:${rule.verbs.join(',')}`)
      .sort();
  const args = (objects: Doc[]) => find(objects, 'Deployment')[0]!.spec.template.spec.containers[0].args as string[];
  const own = render({});
  assert.ok(args(own.objects).includes('--metrics-endpoint-auth=false'));
  assert.deepEqual(reviews(own.objects), []);
  const on = render({ metricsAuth: true });
  assert.ok(args(on.objects).includes('--metrics-endpoint-auth=true'));
  assert.deepEqual(reviews(on.objects), ['authentication.k8s.io/tokenreviews:create', 'authorization.k8s.io/subjectaccessreviews:create']);
  const binding = one(on.objects, 'ClusterRoleBinding');
  assert.equal(binding.roleRef.name, find(on.objects, 'ClusterRole')[0]!.metadata.name);
  assert.equal(binding.subjects[0].name, one(on.objects, 'Deployment').spec.template.spec.serviceAccountName);
  // GIE layout: upstream's monitoring.prometheus.auth.enabled defaults to true.
  const gie = render({ inferenceExtension: { replicas: 1 }, inferencePool: { modelServers: { matchLabels: { app: 'vllm' } } } });
  assert.ok(!args(gie.objects).includes('--metrics-endpoint-auth=false'));
  assert.equal(reviews(gie.objects).length, 2);
  const gieOff = render({ inferenceExtension: { replicas: 1, monitoring: { prometheus: { auth: { enabled: false } } } }, inferencePool: { modelServers: { matchLabels: { app: 'vllm' } } } });
  assert.ok(args(gieOff.objects).includes('--metrics-endpoint-auth=false'));
  assert.deepEqual(reviews(gieOff.objects), []);
});
