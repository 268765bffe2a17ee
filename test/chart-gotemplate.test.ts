/**
 * The chart rendered by Go's text/template with Sprig (what Helm runs), compared object by object with the
 * helm-render.ts rendering the other chart tests assert on, over the layouts and variants those tests use.
 * Needs Debian's golang-go, golang-github-masterminds-sprig-dev and golang-gopkg-yaml.v2-dev; skipped without
 * them (there is no helm package to install).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { CHART, chartFiles, chartMeta, defaults, type Doc, mergeValues, RELEASE } from './support/k8s/chart.ts';
import { renderChart } from './support/k8s/helm-render.ts';

const GOCODE = '/usr/share/gocode/src/github.com';
const SOURCE = fileURLToPath(new URL('./support/k8s/gotemplate/main.go', import.meta.url));
const haveGo = ((): boolean => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return existsSync(`${GOCODE}/Masterminds/sprig`) && existsSync('/usr/share/gocode/src/gopkg.in/yaml.v2');
})();

/** Builds the renderer in GOPATH mode against Debian's Go sources (Sprig v3 lives there without its /v3 path). */
function buildRenderer(dir: string): string {
  const src = join(dir, 'src');
  for (const m of ['sprig', 'semver']) {
    mkdirSync(join(src, 'github.com/Masterminds', m), { recursive: true });
    symlinkSync(`${GOCODE}/Masterminds/${m}`, join(src, 'github.com/Masterminds', m, 'v3'));
  }
  mkdirSync(join(src, 'gotemplate'));
  symlinkSync(SOURCE, join(src, 'gotemplate/main.go'));
  const bin = join(dir, 'gotemplate');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${dir}:/usr/share/gocode`, GOCACHE: join(dir, 'cache'), GOFLAGS: '' };
  execFileSync('go', ['build', '-o', bin, 'gotemplate'], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return bin;
}

const UP = new URL('./support/k8s/upstream/', import.meta.url);
const yaml = (file: string): Doc => parse(readFileSync(new URL(file, UP), 'utf8')) as Doc;
const GL: Doc = { inferencePool: { modelServers: { matchLabels: { app: 'vllm' } } } };
const LL: Doc = { router: { modelServers: { matchLabels: { app: 'vllm' } } } };
const GIE = yaml('gie-v1.5.0-inferencepool.values.yaml');
const LLMD = [{ router: yaml('llm-d-router-v0.10.0-routerlib.values.yaml') }, yaml('llm-d-router-v0.10.0-gateway.values.yaml')];

const SCENARIOS: Record<string, Doc[]> = {
  own: [GL],
  'own, HA and objectives': [GL, { replicas: 3, inferenceObjectives: [{ name: 'a', priority: 1 }, { name: 'b' }] }],
  'own, active-active replicas': [GL, { replicas: 3, replicaSync: { enabled: true, port: 7005 } }],
  'own, active-active replicas over CURVE': [GL, { replicas: 3, replicaSync: { enabled: true, curve: { enabled: true, publicKey: 'P'.repeat(40), secretKey: 'S'.repeat(40), allowedPeers: ['A'.repeat(40)] } } }],
  'own, v1alpha2 pool': [GL, { inferencePool: { group: 'inference.networking.x-k8s.io' } }],
  'own, pool-less': [{ endpointSelector: 'app=vllm', endpointTargetPorts: [8000, 8001], replicas: 2 }],
  'own, config, TLS secret, ServiceMonitor': [GL, { pluginsConfig: 'kind: EndpointPickerConfig\n', monitoring: { serviceMonitor: { enabled: true } }, tls: { certSecretName: 's' } }],
  gie: [GIE, GL],
  'gie, sglang': [GIE, GL, { inferencePool: { modelServerType: 'sglang' } }],
  'gie, triton-tensorrt-llm': [GIE, GL, { inferencePool: { modelServerType: 'triton-tensorrt-llm' } }],
  'gie, trtllm-serve': [GIE, GL, { inferencePool: { modelServerType: 'trtllm-serve' } }],
  'gie, grpc': [GIE, GL, { inferencePool: { modelServerProtocol: 'grpc' } }],
  'gie, parser': [GIE, GL, { inferencePool: { parser: 'openai-parser' } }],
  'gie, everything set': [GIE, GL, {
    inferenceExtension: {
      replicas: 3, flags: { v: 3, 'refresh-metrics-interval': '100ms' }, tracing: { enabled: true },
      monitoring: { prometheus: { enabled: true, auth: { enabled: false }, extraLabels: { a: 'b' } } },
      pluginsConfigFile: 'c.yaml', pluginsCustomConfig: { 'c.yaml': 'a: 1\n' }, env: [{ name: 'E', value: '1' }],
      affinity: { x: 1 }, tolerations: [{ key: 'k' }], volumes: [{ name: 'v', emptyDir: {} }], volumeMounts: [{ name: 'v', mountPath: '/v' }],
      extraContainerPorts: [{ name: 'p', containerPort: 1 }], extraServicePorts: [{ name: 'q', port: 2 }],
    },
    inferenceObjectives: [{ name: 'c', priority: 10 }],
  }],
  'gie, pool-less': [GIE, { inferenceExtension: { endpointsServer: { createInferencePool: false, endpointSelector: 'app=vllm', targetPorts: '8000,8001', modelServerType: 'sglang' } } }],
  'llm-d guide, inference scheduling': [yaml('llm-d-guide-inference-scheduling.values.yaml')],
  'llm-d guide, P/D': [yaml('llm-d-guide-pd-disaggregation.values.yaml')],
  'llm-d': [...LLMD, LL],
  'llm-d, sglang': [...LLMD, LL, { router: { modelServers: { type: 'sglang' } } }],
  'llm-d, triton grpc': [...LLMD, LL, { router: { modelServers: { type: 'triton', protocol: 'grpc' } } }],
  'llm-d, everything set': [...LLMD, LL, {
    router: {
      epp: { replicas: 2, grpcHealthPort: 9113, flags: { v: 2, 'secure-serving': false }, parsers: ['openai-parser', 'x'], podAnnotations: { a: 'b' } },
      monitoring: { prometheus: { enabled: true, auth: { enabled: false } } }, inferenceObjectives: [{ name: 'batch', priority: -1 }], tracing: { enabled: true },
    },
  }],
  'llm-d, pool-less': [...LLMD, { router: { inferencePool: { create: false }, modelServers: { matchLabels: { app: 'vllm', tier: 'gpu' }, targetPorts: [{ number: 8000 }, { number: 8001 }] } } }],
  'llm-d perf values': [...LLMD, yaml('llm-d-router-v0.10.0-perf-optimized-baseline.values.yaml'), LL],
};

/** File -> parsed documents (YAML files) or trimmed text (NOTES.txt). */
function parsed(files: Record<string, string>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(files)) out[k] = k.endsWith('.yaml') ? parseAllDocuments(v).map((d) => d.toJS()).filter((d) => d !== null) : [v.trim()];
  return out;
}

test('Go text/template + Sprig renders what helm-render.ts renders, in every layout and variant', { skip: !haveGo && 'needs golang-go and golang-github-masterminds-sprig-dev' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'epp-gotemplate-'));
  try {
    const bin = buildRenderer(dir);
    const chart = { Name: chartMeta.name, Version: chartMeta.version, AppVersion: chartMeta.appVersion };
    for (const [name, layers] of Object.entries(SCENARIOS)) {
      const values = structuredClone(defaults);
      for (const l of layers) mergeValues(values, structuredClone(l));
      const input = JSON.stringify({ Values: values, Release: { ...RELEASE, Service: 'Helm' }, Chart: chart });
      const go = JSON.parse(execFileSync(bin, [CHART], { input }).toString()) as Record<string, string>;
      assert.equal(go.ERROR, undefined, name);
      assert.deepEqual(parsed(renderChart({ files: chartFiles, values, release: RELEASE, chart })), parsed(go), name);
    }
    // Both fail the same way on a pool without labels.
    for (const [layers, msg] of [[[], /inferencePool\.modelServers\.matchLabels is required/], [LLMD, /router\.modelServers\.matchLabels is required/]] as const) {
      const values = structuredClone(defaults);
      for (const l of layers) mergeValues(values, structuredClone(l));
      const go = JSON.parse(execFileSync(bin, [CHART], { input: JSON.stringify({ Values: values, Release: { ...RELEASE, Service: 'Helm' }, Chart: chart }) }).toString()) as Record<string, string>;
      assert.match(go.ERROR ?? '', msg);
      assert.throws(() => renderChart({ files: chartFiles, values, release: RELEASE, chart }), msg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
