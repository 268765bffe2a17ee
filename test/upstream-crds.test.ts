/**
 * Upstream's own InferencePool / InferenceModel / InferenceObjective / InferenceModelRewrite manifests
 * (test/data/upstream/crds, see SOURCES.md there), loaded through both state sources: the standalone resources
 * file (src/resources/) and Kubernetes mode against the in-repo fake API server. With Ready pods matching each
 * pool's selector: the pool's endpoints are picked, InferenceModel targetModels and InferenceModelRewrite
 * targets rewrite the body's model, an objective named by its header routes with its priority. The two
 * site-src blocks written as inference.networking.k8s.io/v1alpha2 (served by no upstream CRD) are rejected.
 *
 * How the manifests are placed: deployment objects (Deployment, Service, RBAC, Gateway...) are not the
 * picker's and are dropped; every inference object goes into one namespace (the picker reads one); shell
 * placeholders (${POOL_NAME}, ${EPP_NAME}, ${TARGET_PORTS}, $E2E_NS) get values; an object whose poolRef names a pool the file lacks gets
 * that pool (selector app=<name>, port 8000). Fields that upstream's CRD schemas do not define are pruned, as
 * the API server prunes them (PRUNED below): upstream's e2e/hermetic test data carries endpointPickerRef.namespace,
 * extensionRef.namespace and InferenceObjective targetModels; the resources file, strict by design, rejects them
 * unpruned with the field named (asserted).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { Datastore } from '../src/datastore/datastore.ts';
import type { PoolSpec } from '../src/datastore/resources.ts';
import { X_GROUP } from '../src/k8s/api-resources.ts';
import { startKubernetesSource } from '../src/k8s/source.ts';
import { RequestContext } from '../src/requestcontrol/request-context.ts';
import { ResourceFileSource } from '../src/resources/file-source.ts';
import { parseObject } from '../src/resources/validate.ts';
import { directorFixture } from './support/director-fixture.ts';
import { FakeApiServer } from './support/k8s/fake-apiserver.ts';
import { silentLogger } from './support/k8s/helpers.ts';
import { pod } from './support/k8s/objects.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; spec?: Record<string, unknown> };

const DIR = join(import.meta.dirname, 'data', 'upstream', 'crds');
const NS = 'inference';
const INFERENCE_KINDS = new Set(['InferencePool', 'InferenceModel', 'InferenceObjective', 'InferenceModelRewrite']);
const LLMD = 'llm-d.ai/v1alpha2';
/** Served by no upstream CRD: expected rejected. */
const UNSERVED = 'inference.networking.k8s.io/v1alpha2';

interface Case {
  file: string;
  objects: Obj[];
  /** field paths pruned, as "Kind name: spec.x.y" */
  pruned: string[];
}

/** Fields in upstream test manifests that no upstream CRD schema defines: the API server drops them. */
const PRUNED: Record<string, string[][]> = {
  InferencePool: [['endpointPickerRef', 'namespace'], ['extensionRef', 'namespace']],
  InferenceObjective: [['targetModels']],
};

function prune(o: Obj, pruned: string[]): Obj {
  const copy = structuredClone(o);
  for (const path of PRUNED[o.kind] ?? []) {
    let at: Record<string, unknown> | undefined = copy.spec;
    for (let i = 0; at && i < path.length - 1; i++) at = at[path[i]!] as Record<string, unknown> | undefined;
    const last = path[path.length - 1]!;
    if (at && last in at) {
      delete at[last];
      pruned.push(`${o.kind} ${o.metadata.name}: spec.${path.join('.')}`);
    }
  }
  return copy;
}

function loadCases(): Case[] {
  const index = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { file: string }[];
  return index.map(({ file }) => {
    // Placeholders as upstream's scripts fill them (TARGET_PORTS: a block sequence starting with a newline, kind-dev-env.sh).
    const text = readFileSync(join(DIR, file), 'utf8')
      .replaceAll('${POOL_NAME}', 'templated-pool')
      .replaceAll('${EPP_NAME}', 'templated-pool-epp')
      .replaceAll('${TARGET_PORTS}', '\n  - number: 8000\n  - number: 8001')
      .replaceAll('$E2E_NS', NS);
    const raw = parseAllDocuments(text)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null && INFERENCE_KINDS.has(o.kind))
      .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: NS } }));
    const pruned: string[] = [];
    const objects = raw.map((o) => {
      const before = pruned.length;
      const p = prune(o, pruned);
      // Unpruned, the strict resources file names the field.
      for (const what of pruned.slice(before)) {
        const field = what.split(': ')[1]!;
        assert.throws(() => parseObject(o, '', NS), (e: Error & { field?: string }) => e.field === field, `${file}: ${what} rejected unpruned`);
      }
      return p;
    });
    return { file, objects, pruned };
  });
}

/** The file's pools plus one for every poolRef naming a pool it lacks. */
function withPools(objects: Obj[]): Obj[] {
  const pools = new Set(objects.filter((o) => o.kind === 'InferencePool').map((o) => o.metadata.name));
  const out = [...objects];
  for (const o of objects) {
    const ref = (o.spec?.poolRef as { name?: string } | undefined)?.name;
    if (!ref || pools.has(ref)) continue;
    pools.add(ref);
    out.push({ apiVersion: 'inference.networking.k8s.io/v1', kind: 'InferencePool', metadata: { name: ref, namespace: NS }, spec: { selector: { matchLabels: { app: ref } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: `${ref}-epp`, port: { number: 9002 } } } });
  }
  return out;
}

interface PoolPods {
  pool: PoolSpec;
  pods: Obj[];
  /** The endpoints the pool must have: pod IP x targetPort. */
  keys: string[];
}

/**
 * Two Ready pods per pool carrying exactly the pool's matchLabels. Pools with the same selector (upstream's
 * conformance pools) select each other's pods too: a pool's endpoints are every pod its selector matches.
 */
function podsFor(objects: Obj[]): PoolPods[] {
  const out: PoolPods[] = [];
  for (const o of objects) {
    if (o.kind !== 'InferencePool') continue;
    const parsed = parseObject(o, '', NS);
    assert.equal(parsed.kind, 'InferencePool');
    const pool = parsed.spec as PoolSpec;
    const i = out.length + 1;
    const pods = [1, 2].map((j) => pod(`${pool.name.slice(0, 40)}-${j}`, { ip: `10.${i}.0.${j}`, labels: { ...pool.selector } }) as Obj);
    out.push({ pool, pods, keys: [] });
  }
  const all = out.flatMap((p) => p.pods);
  for (const pp of out) {
    const sel = Object.entries(pp.pool.selector);
    const matching = all.filter((p) => sel.every(([k, v]) => (p.metadata.labels as Record<string, string>)[k] === v));
    pp.keys = matching.flatMap((p) => pp.pool.targetPorts.map((port) => `${(p as unknown as { status: { podIP: string } }).status.podIP}:${port}`)).sort();
  }
  return out;
}

function yamlText(objects: readonly object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

async function fromFile(t: TestContext, text: string, poolName: string): Promise<Datastore> {
  const dir = mkdtempSync(join(tmpdir(), 'epp-upstream-crds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'resources.yaml');
  writeFileSync(file, text);
  const datastore = new Datastore({ poolName, poolNamespace: NS });
  const source = new ResourceFileSource({ file, datastore, logger: silentLogger });
  const r = await source.start();
  source.close();
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return datastore;
}

async function fromKubernetes(t: TestContext, objects: readonly Obj[], pool: PoolSpec, llmd: boolean): Promise<Datastore> {
  const server = await FakeApiServer.start();
  if (llmd) server.serveLlmdGroup();
  for (const o of objects) server.apply(o as never);
  const datastore = new Datastore({ poolName: pool.name, poolNamespace: NS });
  const source = startKubernetesSource({
    datastore,
    poolName: pool.name,
    poolNamespace: NS,
    poolGroup: pool.group,
    kubeConfig: server.kubeConfig(),
    logger: silentLogger,
    backoff: { initialMs: 5, maxMs: 40 },
  });
  t.after(async () => {
    await source.stop();
    await server.close();
  });
  await source.synced;
  return datastore;
}

/** What routing reads, in a comparable form. */
function state(ds: Datastore) {
  return {
    endpoints: ds.endpoints().map((e) => e.key).sort(),
    models: ds.models().map((m) => `${m.modelName}->${m.targetModels.map((x) => x.name).join('|')}`).sort(),
    objectives: ds.objectives().map((o) => `${o.name}=${o.priority ?? 'unset'}`).sort(),
    rewrites: [...ds.rewriteModelNames()].sort(),
  };
}

function send(ds: Datastore, model: string, headers: Record<string, string> = {}) {
  const f = directorFixture({ datastore: ds });
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/chat/completions');
  for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
  f.director.handleRequestHeaders(ctx);
  const body = Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }));
  const d = f.director.handleRequest(ctx, { chunks: [body], bytes: body.length });
  assert.ok(d.ok, d.ok ? '' : `${model}: ${d.status} ${d.error.message}`);
  const sent = d.body ? (JSON.parse(d.body.toString()) as { model: string }).model : model;
  return { ctx, decision: d, sent };
}

/** What the routing checks covered, over every case (asserted at the end). */
const covered = { pools: 0, targetModels: 0, rewriteRules: 0, objectives: 0, rejected: 0, pruned: 0 };

/** Requests through a director over `ds`: endpoints of the pool, model rewrites, objectives. */
function checkRouting(ds: Datastore, pp: PoolPods, objects: readonly Obj[], where: string): number {
  let checks = 0;
  const ofPool = (o: Obj) => (o.spec?.poolRef as { name?: string } | undefined)?.name === pp.pool.name;
  const plain = send(ds, 'a-model-nobody-configured-xyz');
  assert.ok(pp.keys.includes(plain.decision.endpoints[0]!.key), `${where}: routed into the pool`);
  checks++;
  covered.pools++;
  for (const m of objects.filter((o) => o.kind === 'InferenceModel' && ofPool(o))) {
    const spec = m.spec as { modelName: string; targetModels?: { name: string }[] };
    const r = send(ds, spec.modelName);
    assert.ok(pp.keys.includes(r.decision.endpoints[0]!.key), `${where}: ${spec.modelName} routed into the pool`);
    const targets = (spec.targetModels ?? []).map((x) => x.name);
    if (targets.length > 0 && !rewrittenByRule(objects, spec.modelName, ofPool)) {
      assert.ok(targets.includes(r.sent), `${where}: InferenceModel ${spec.modelName} sent as ${r.sent}, want one of ${targets.join(', ')}`);
      covered.targetModels++;
    }
    checks++;
  }
  for (const rw of objects.filter((o) => o.kind === 'InferenceModelRewrite' && ofPool(o) && ds.rewriteModelNames().size > 0)) {
    if (rw.apiVersion !== LLMD && !liveRewrite(ds, rw)) continue; // a legacy object the source ignored
    const rules = (rw.spec as { rules: { matches?: { model: { value: string } }[]; targets?: { modelRewrite: string }[] }[] }).rules;
    for (const rule of rules) {
      const targets = (rule.targets ?? []).map((x) => x.modelRewrite);
      if (targets.length === 0) continue;
      const model = rule.matches?.[0]?.model.value ?? 'unlisted-model-for-catch-all';
      const expected = allTargetsFor(objects, model, ofPool);
      const r = send(ds, model);
      assert.ok(expected.includes(r.sent), `${where}: ${rw.metadata.name}: ${model} sent as ${r.sent}, want one of ${expected.join(', ')}`);
      assert.ok(pp.keys.includes(r.decision.endpoints[0]!.key));
      checks++;
      covered.rewriteRules++;
    }
  }
  for (const o of objects.filter((x) => x.kind === 'InferenceObjective' && ofPool(x))) {
    const obj = ds.objective(o.metadata.name);
    if (!obj) continue; // a legacy object the source ignored (asserted by the caller)
    const priority = (o.spec as { priority?: number }).priority ?? 0;
    for (const header of ['x-gateway-inference-objective', 'x-llm-d-inference-objective']) {
      const r = send(ds, 'some-model', { [header]: o.metadata.name });
      assert.equal(r.ctx.request.priority, priority, `${where}: objective ${o.metadata.name} via ${header}`);
      covered.objectives++;
      assert.ok(pp.keys.includes(r.decision.endpoints[0]!.key));
      checks++;
    }
  }
  return checks;
}

function rewrittenByRule(objects: readonly Obj[], model: string, ofPool: (o: Obj) => boolean): boolean {
  return objects.some((o) => o.kind === 'InferenceModelRewrite' && ofPool(o) && JSON.stringify(o.spec).includes(`"value":${JSON.stringify(model)}`));
}

function liveRewrite(ds: Datastore, rw: Obj): boolean {
  const names = ds.rewriteModelNames();
  return JSON.stringify(rw.spec).match(/"modelRewrite":"([^"]+)"/g)?.some((m) => names.has(m.slice(16, -1))) ?? false;
}

/** Targets of every rule (of the pool's rewrites) that matches `model` exactly, else of the catch-all rules. */
function allTargetsFor(objects: readonly Obj[], model: string, ofPool: (o: Obj) => boolean): string[] {
  const rules = objects
    .filter((o) => o.kind === 'InferenceModelRewrite' && ofPool(o))
    .flatMap((o) => (o.spec as { rules: { matches?: { model: { value: string } }[]; targets?: { modelRewrite: string }[] }[] }).rules);
  const exact = rules.filter((r) => r.matches?.some((m) => m.model.value === model));
  const use = exact.length > 0 ? exact : rules.filter((r) => !r.matches || r.matches.length === 0);
  return use.flatMap((r) => (r.targets ?? []).map((t) => t.modelRewrite));
}

const cases = loadCases();

test('upstream CRD manifests: all 26 are here', () => {
  assert.equal(cases.length, 26);
});

describe('upstream CRD manifests through the resources file and Kubernetes mode', () => {
  for (const c of cases) {
    test(c.file, async (t) => {
      const rejected = c.objects.filter((o) => o.apiVersion === UNSERVED);
      if (rejected.length > 0) {
        // Resources file: the apiVersion is named and the file refused.
        const text = yamlText([...withPools(c.objects)]);
        const dir = mkdtempSync(join(tmpdir(), 'epp-upstream-crds-'));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        writeFileSync(join(dir, 'r.yaml'), text);
        const src = new ResourceFileSource({ file: join(dir, 'r.yaml'), datastore: new Datastore({ poolName: '', poolNamespace: NS }), logger: silentLogger });
        const r = await src.start();
        src.close();
        assert.ok(!r.ok, 'rejected');
        assert.match(r.error.message, /apiVersion: InferenceModelRewrite must be llm-d\.ai\/v1alpha2 or inference\.networking\.x-k8s\.io\/v1alpha2, got "inference\.networking\.k8s\.io\/v1alpha2"/);
        // Kubernetes: no CRD serves the group/version, so no such object can exist for the picker to read.
        const server = await FakeApiServer.start();
        t.after(() => server.close());
        assert.throws(() => server.apply(rejected[0] as never), /does not serve inference\.networking\.k8s\.io\/v1alpha2/);
        covered.rejected++;
        return;
      }
      covered.pruned += c.pruned.length;
      const objects = withPools(c.objects);
      const pools = podsFor(objects);
      assert.ok(pools.length > 0);
      const pods = pools.flatMap((p) => p.pods);
      const llmd = objects.some((o) => o.apiVersion === LLMD);
      // With the llm-d.ai CRDs installed, objects of GIE's group of the same kinds are ignored in Kubernetes mode.
      const ignoredInCluster = (o: Obj) => llmd && (o.kind === 'InferenceObjective' || o.kind === 'InferenceModelRewrite') && o.apiVersion !== LLMD;
      let checks = 0;
      for (const pp of pools) {
        const file = await fromFile(t, yamlText([...objects, ...pods]), pp.pool.name);
        assert.deepEqual(state(file).endpoints, pp.keys, `${c.file} ${pp.pool.name}: endpoints from the file`);
        checks += checkRouting(file, pp, objects, `file ${pp.pool.name}`);

        const cluster = await fromKubernetes(t, [...objects, ...pods], pp.pool, llmd);
        const expected = await fromFile(t, yamlText([...objects.filter((o) => !ignoredInCluster(o)), ...pods]), pp.pool.name);
        assert.deepEqual(state(cluster), state(expected), `${c.file} ${pp.pool.name}: Kubernetes mode reads what the file does (less ignored legacy objects)`);
        checks += checkRouting(cluster, pp, objects.filter((o) => !ignoredInCluster(o)), `k8s ${pp.pool.name}`);
      }
      for (const o of objects.filter(ignoredInCluster)) {
        // Upstream controller_config.go: both CRDs installed -> legacy objects ignored. The file accepts both groups.
        assert.ok(o.kind !== 'InferenceObjective' || (await fromFile(t, yamlText([...objects, ...pods]), pools[0]!.pool.name)).objective(o.metadata.name), `${o.metadata.name} read from the file`);
      }
      assert.ok(checks >= pools.length * 2);
    });
  }
});

test('the pool group of v1alpha2 manifests is the experimental one', () => {
  const c = cases.find((x) => x.file.startsWith('gie-v0.5.1__config_manifests_inferencepool-resources'))!;
  const pools = podsFor(withPools(c.objects));
  assert.equal(pools[0]!.pool.group, X_GROUP);
});

test('coverage of the manifest checks', () => {
  // Runs after the describe block above (node:test runs top-level tests in order). Last run: pools 60, targetModels 38,
  // rewriteRules 10, objectives 222, rejected 2, pruned 13.
  assert.equal(covered.rejected, 2, 'the two site-src blocks in inference.networking.k8s.io/v1alpha2');
  assert.ok(covered.pools >= 40, 'every pool, through both sources');
  assert.ok(covered.targetModels > 0 && covered.rewriteRules > 0 && covered.objectives > 0);
});
