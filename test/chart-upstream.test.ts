/**
 * charts/epp with upstream values files: GIE v1.5.0's `inferencepool` chart defaults (and its modelServerType
 * variants), the llm-d Router v0.10.0 `llm-d-router-gateway` chart defaults, and the llm-d inference-scheduling
 * guide (a GIE-layout file). Each renders the Deployment arguments upstream's chart renders for the same values
 * (test/support/k8s/upstream/chart-args.json, from shared/upstream-artifacts/flags), upstream's probe service
 * names, ports and Service, upstream's default config file, and a Role covering every group upstream grants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type Doc, find, one, render } from './support/k8s/chart.ts';

const UP = new URL('./support/k8s/upstream/', import.meta.url);
const yaml = (file: string): Doc => parse(readFileSync(new URL(file, UP), 'utf8')) as Doc;

interface ChartArgs {
  id: string;
  args: string[];
}
const CHART_ARGS = JSON.parse(readFileSync(new URL('chart-args.json', UP), 'utf8')) as ChartArgs[];

/** Upstream's rendered arguments for release llama in namespace inference. */
function upstreamArgs(id: string): string[] {
  const c = CHART_ARGS.find((x) => x.id === id);
  assert.ok(c, id);
  const fill: Record<string, string> = { POOL: 'llama', NS: 'inference', CONFIG: '/config/default-plugins.yaml', HEALTH: '9003' };
  return c.args.map((a) => a.replace(/\{\{(\w+)\}\}/g, (_, k: string) => fill[k]!));
}

const GIE = yaml('gie-v1.5.0-inferencepool.values.yaml');
const GIE_LABELS: Doc = { inferencePool: { modelServers: { matchLabels: { app: 'vllm' } } } };
/** The gateway chart's values over its library chart's (aliased `router`), as Helm coalesces an umbrella chart. */
const LLMD: Doc[] = [{ router: yaml('llm-d-router-v0.10.0-routerlib.values.yaml') }, yaml('llm-d-router-v0.10.0-gateway.values.yaml')];
const LLMD_LABELS: Doc = { router: { modelServers: { matchLabels: { app: 'vllm' } } } };

const container = (objs: Doc[]): Doc => one(objs, 'Deployment').spec.template.spec.containers[0];
const configFile = (objs: Doc[], name = 'default-plugins.yaml'): Doc => parse(one(objs, 'ConfigMap').data[name]) as Doc;
const probes = (c: Doc): string[] => [c.livenessProbe.grpc.service, c.readinessProbe.grpc.service];

/** "group/resource:verbs" for every rule of the chart's Role. */
function grants(objs: Doc[]): string[] {
  return one(objs, 'Role').rules.flatMap((r: Doc) => r.apiGroups.flatMap((g: string) => r.resources.map((res: string) => `${g}/${res}:${r.verbs.join(',')}`)));
}
/** What upstream's Roles (epplib/routerlib _rbac.yaml + the chart's rbac.yaml) let the picker read. */
const UPSTREAM_READS = [
  '/pods',
  'inference.networking.k8s.io/inferencepools',
  'inference.networking.x-k8s.io/inferenceobjectives',
  'inference.networking.x-k8s.io/inferencemodelrewrites',
  'llm-d.ai/inferenceobjectives',
  'llm-d.ai/inferencemodelrewrites',
];
function assertReadsUpstreamGroups(objs: Doc[]): void {
  const g = grants(objs);
  for (const want of UPSTREAM_READS) assert.ok(g.includes(`${want}:get,list,watch`), `${want} readable: ${g.join(' ')}`);
}

test('GIE v1.5.0 inferencepool values: upstream args, probes on inference-extension, Service, config, pool, RBAC', () => {
  const { objects } = render(GIE, GIE_LABELS);
  const c = container(objects);
  assert.deepEqual(c.args, upstreamArgs('chart gie-v1.5.0 default args (vllm)'));
  assert.deepEqual(probes(c), ['inference-extension', 'inference-extension']);
  assert.equal(c.livenessProbe.grpc.port, 9003);
  assert.deepEqual(c.ports.map((p: Doc) => [p.name, p.containerPort]), [['grpc', 9002], ['grpc-health', 9003], ['metrics', 9090]]);
  assert.equal(c.image, 'registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0', 'the values file names the image');
  assert.deepEqual(configFile(objects), yaml('gie-v1.5.0-default-plugins.yaml'));
  assert.ok(c.volumeMounts.some((m: Doc) => m.mountPath === '/config' && m.name === 'plugins-config-volume'));

  const dep = one(objects, 'Deployment');
  const svc = one(objects, 'Service');
  assert.equal(dep.metadata.name, 'llama-epp');
  assert.equal(svc.metadata.name, 'llama-epp');
  assert.deepEqual(dep.spec.selector.matchLabels, { inferencepool: 'llama-epp' }, "upstream's immutable selector");
  assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
  assert.deepEqual(svc.spec.ports, [
    { name: 'grpc-ext-proc', protocol: 'TCP', port: 9002 },
    { name: 'http-metrics', protocol: 'TCP', port: 9090 },
  ]);

  const pool = one(objects, 'InferencePool');
  assert.equal(pool.apiVersion, 'inference.networking.k8s.io/v1');
  assert.deepEqual(pool.spec.selector.matchLabels, { app: 'vllm' });
  assert.deepEqual(pool.spec.endpointPickerRef, { name: 'llama-epp', port: { number: 9002 }, failureMode: 'FailOpen' });
  assert.equal(pool.spec.appProtocol, 'http');
  assertReadsUpstreamGroups(objects);
  assert.ok(!grants(objects).some((g) => g.includes('leases')));
});

test('GIE v1.5.0 values, modelServerType variants: the metric flags upstream renders, and its config', () => {
  for (const [type, id] of [
    ['sglang', 'chart gie-v1.5.0 args, modelServerType sglang'],
    ['triton-tensorrt-llm', 'chart gie-v1.5.0 args, modelServerType triton-tensorrt-llm'],
  ] as const) {
    const { objects } = render(GIE, GIE_LABELS, { inferencePool: { modelServerType: type } });
    assert.deepEqual(container(objects).args, upstreamArgs(id), type);
  }
  assert.deepEqual(configFile(render(GIE, GIE_LABELS, { inferencePool: { modelServerType: 'sglang' } }).objects), yaml('gie-v1.5.0-default-plugins-sglang.yaml'));
  const grpc = render(GIE, GIE_LABELS, { inferencePool: { modelServerProtocol: 'grpc' } }).objects;
  assert.deepEqual(configFile(grpc), yaml('gie-v1.5.0-default-plugins-grpc.yaml'));
  assert.equal(one(grpc, 'InferencePool').spec.appProtocol, 'kubernetes.io/h2c');
});

test('GIE values: replicas, flags, tracing, metrics auth, custom config, objectives, pool-less endpointsServer', () => {
  const ha = render(GIE, GIE_LABELS, {
    inferenceExtension: {
      replicas: 3,
      flags: { v: 3, 'refresh-metrics-interval': '100ms' },
      tracing: { enabled: true },
      monitoring: { prometheus: { auth: { enabled: false } } },
      pluginsConfigFile: 'custom.yaml',
      pluginsCustomConfig: { 'custom.yaml': 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n' },
      env: [{ name: 'EXTRA', value: '1' }],
    },
    inferenceObjectives: [{ name: 'critical', priority: 10 }],
  }).objects;
  const c = container(ha);
  const base = ['--pool-name', 'llama', '--pool-namespace', 'inference', '--pool-group', 'inference.networking.k8s.io', '--zap-encoder', 'json'];
  assert.deepEqual(c.args, [...base, '--config-file', '/config/custom.yaml', '--ha-enable-leader-election', '--refresh-metrics-interval', '100ms', '--v', '3', '--tracing=true', '--metrics-endpoint-auth=false']);
  assert.deepEqual(probes(c), ['liveness', 'readiness']);
  assert.equal(one(ha, 'Deployment').spec.replicas, 3);
  assert.equal(configFile(ha, 'custom.yaml').kind, 'EndpointPickerConfig');
  assert.ok(c.env.some((e: Doc) => e.name === 'EXTRA'));
  assert.deepEqual(find(ha, 'InferenceObjective').map((o) => [o.apiVersion, o.metadata.name, o.spec.priority]), [['inference.networking.x-k8s.io/v1alpha2', 'critical', 10]]);
  const leases = one(ha, 'Role').rules.filter((r: Doc) => r.resources.includes('leases'));
  assert.deepEqual(leases.map((r: Doc) => r.resourceNames), [undefined, ['epp-inference-llama.llm-d.ai']]);

  const poolless = render(GIE, { inferenceExtension: { endpointsServer: { createInferencePool: false, endpointSelector: 'app=vllm', targetPorts: '8000,8001' } } }).objects;
  assert.deepEqual(container(poolless).args.slice(0, 4), ['--endpoint-selector', 'app=vllm', '--endpoint-target-ports', '8000,8001']);
  assert.equal(find(poolless, 'InferencePool').length, 0);
  assert.deepEqual(one(poolless, 'Deployment').spec.selector.matchLabels, { epp: 'llama-epp' });
  assert.ok(!grants(poolless).some((g) => g.includes('inferencepools')));
});

test('llm-d inference-scheduling guide (GIE layout): the guide flags, its labels, a ServiceMonitor', () => {
  const { objects } = render(yaml('llm-d-guide-inference-scheduling.values.yaml'));
  const c = container(objects);
  // The recorded list came from an older inferencepool chart without --pool-group and the default {v: 1}
  // flags; v1.5.0, which this chart follows, adds exactly those.
  const older = upstreamArgs('llm-d guide inference-scheduling flags');
  const want = [...older.slice(0, 4), '--pool-group', 'inference.networking.k8s.io', ...older.slice(4, -1), '--v', '1', older.at(-1)!];
  assert.deepEqual(c.args, want);
  assert.match(c.image, /^ghcr\.io\/example\/epp:/, 'image.name/hub are not v1.5 keys: the chart keeps its own image');
  assert.deepEqual(one(objects, 'InferencePool').spec.selector.matchLabels, { 'llm-d.ai/inference-serving': 'true', 'llm-d.ai/guide': 'inference-scheduling' });
  const sm = one(objects, 'ServiceMonitor');
  const svc = one(objects, 'Service');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], v, 'ServiceMonitor selects the Service');
  assert.equal(sm.spec.endpoints[0].port, 'http-metrics');
});

test('llm-d P/D guide (GIE layout): its custom config file is written verbatim and named by --config-file', () => {
  const file = 'llm-d-guide-pd-disaggregation.values.yaml';
  const { objects } = render(yaml(file));
  const args: string[] = container(objects).args;
  assert.deepEqual(args.slice(args.indexOf('--config-file'), args.indexOf('--config-file') + 2), ['--config-file', '/config/pd-config.yaml']);
  assert.equal(one(objects, 'ConfigMap').data['pd-config.yaml'], yaml(file).inferenceExtension.pluginsCustomConfig['pd-config.yaml']);
});

test('llm-d Router v0.10.0 gateway values: upstream args, probes, h2c Service, llm-d.ai config, pool, RBAC', () => {
  const { objects } = render(...LLMD, LLMD_LABELS);
  const c = container(objects);
  assert.deepEqual(c.args, upstreamArgs('chart llm-d-router default args'));
  assert.deepEqual(probes(c), ['inference-extension', 'inference-extension']);
  assert.equal(c.image, 'ghcr.io/llm-d/llm-d-router-endpoint-picker:main');
  assert.deepEqual(configFile(objects), yaml('llm-d-router-default-plugins.yaml'));
  const dep = one(objects, 'Deployment');
  const svc = one(objects, 'Service');
  assert.deepEqual(dep.spec.selector.matchLabels, { 'llm-d-router-gateway': 'llama-epp' });
  assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
  assert.deepEqual(svc.spec.ports, [
    { name: 'grpc-ext-proc', protocol: 'TCP', port: 9002, appProtocol: 'kubernetes.io/h2c' },
    { name: 'http-metrics', protocol: 'TCP', port: 9090 },
  ]);
  const pool = one(objects, 'InferencePool');
  assert.deepEqual(pool.spec.endpointPickerRef, { name: 'llama-epp', port: { number: 9002 }, failureMode: 'FailOpen' });
  assert.deepEqual(pool.spec.targetPorts, [{ number: 8000 }]);
  assertReadsUpstreamGroups(objects);

  const sglang = render(...LLMD, LLMD_LABELS, { router: { modelServers: { type: 'sglang' } } }).objects;
  assert.deepEqual(configFile(sglang), yaml('llm-d-router-default-plugins-sglang.yaml'));
});

test('llm-d values: flags as --k=v, HA, health port, parsers, objectives in llm-d.ai, pool-less mode', () => {
  const { objects } = render(...LLMD, LLMD_LABELS, {
    router: {
      epp: { replicas: 2, grpcHealthPort: 9113, flags: { v: 2, 'secure-serving': false }, parsers: ['openai-parser'] },
      monitoring: { prometheus: { auth: { enabled: false } } },
      inferenceObjectives: [{ name: 'batch', priority: -1 }],
    },
  });
  const c = container(objects);
  assert.deepEqual(c.args.slice(6), ['--zap-encoder', 'json', '--config-file', '/config/default-plugins.yaml', '--ha-enable-leader-election', '--grpc-health-port', '9113', '--secure-serving=false', '--v=2', '--tracing=false', '--metrics-endpoint-auth=false']);
  assert.deepEqual(probes(c), ['liveness', 'readiness']);
  assert.equal(c.readinessProbe.grpc.port, 9113);
  assert.deepEqual(configFile(objects).requestHandler, { parsers: [{ pluginRef: 'openai-parser' }] });
  const [obj] = find(objects, 'InferenceObjective');
  assert.deepEqual([obj!.apiVersion, obj!.spec.priority, obj!.spec.poolRef], ['llm-d.ai/v1alpha2', -1, { group: 'inference.networking.k8s.io', name: 'llama' }]);

  const poolless = render(...LLMD, { router: { inferencePool: { create: false }, modelServers: { matchLabels: { app: 'vllm', tier: 'gpu' }, targetPorts: [{ number: 8000 }, { number: 8001 }] } } }).objects;
  assert.deepEqual(container(poolless).args.slice(0, 4), ['--endpoint-selector', 'app=vllm,tier=gpu', '--endpoint-target-ports', '8000,8001']);
  assert.equal(find(poolless, 'InferencePool').length, 0);
  assert.deepEqual(one(poolless, 'Deployment').spec.selector.matchLabels, { 'llm-d-router-standalone': 'llama-epp' });
});

test('llm-d Router perf values (optimized-baseline): string flags sorted as --k=v, the custom config file named', () => {
  const { objects } = render(...LLMD, yaml('llm-d-router-v0.10.0-perf-optimized-baseline.values.yaml'), LLMD_LABELS);
  const c = container(objects);
  // routerlib _deployment.yaml for these values: flags in key order after --grpc-health-port; the flags'
  // tracing=false and the chart's own --tracing=false both appear, as upstream renders them.
  assert.deepEqual(c.args, [
    ...['--pool-name', 'llama', '--pool-namespace', 'inference', '--pool-group', 'inference.networking.k8s.io', '--zap-encoder', 'json'],
    ...['--config-file', '/config/optimized-baseline-plugins.yaml', '--grpc-health-port', '9003'],
    ...['--enable-pprof=true', '--tracing=false', '--v=4', '--tracing=false'],
  ]);
  assert.deepEqual(configFile(objects, 'optimized-baseline-plugins.yaml'), yaml('llm-d-router-v0.10.0-optimized-baseline-plugins.yaml'));
  assert.ok(one(objects, 'ConfigMap').data['default-plugins.yaml'], 'the default file is still written');
  assert.deepEqual(one(objects, 'Service').spec.ports.map((p: Doc) => p.name), ['grpc-ext-proc', 'http-metrics', 'http']);
});

test('own values: probes and RBAC as before; upstream keys absent means the own layout', () => {
  const { objects } = render(GIE_LABELS);
  const c = container(objects);
  assert.deepEqual(probes(c), ['liveness', 'readiness']);
  assert.ok(c.args.includes('--pool-name=llama'));
  assert.equal(find(objects, 'ConfigMap').length, 0);
  assertReadsUpstreamGroups(objects);
});
