import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { Datastore } from '../datastore/datastore.ts';
import { ResourceFileSource } from './file-source.ts';
import { selectorFromLabels } from '../input/label-selector.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'epp-resources-'));
  dirs.push(dir);
  const file = join(dir, 'resources.yaml');
  await writeFile(file, text);
  return file;
}

const pool = (name = 'pool', port = 8000) => `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: ${port}}]
`;

const pod = (name: string, ip: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: vllm}}
status: {podIP: "${ip}", conditions: [{type: Ready, status: "True"}]}
`;

const model = (modelName: string) => `apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModel
metadata: {name: m}
spec: {modelName: ${modelName}, poolRef: {name: pool}}
`;

const file = (...docs: string[]) => docs.join('---\n');

/** A logger whose JSON lines are kept for assertions. */
function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

function setup(text: string, poolName = '') {
  const datastore = new Datastore({ poolName, poolNamespace: 'default' });
  const { logger, lines } = captureLogger();
  return {
    datastore,
    lines,
    source: async () => {
      const path = await tempFile(text);
      const src = new ResourceFileSource({ file: path, datastore, logger, debounceMs: 20 });
      return { src, path };
    },
  };
}

const keys = (ds: Datastore) => ds.endpoints().map((e) => e.key).sort();

test('first load applies the file and marks the datastore synced', async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1'), pod('b', '10.0.0.2'), model('llama')));
  const { src } = await s.source();
  const applied = once(src, 'applied');
  const result = await src.start();
  src.close();
  assert.ok(result.ok);
  assert.deepEqual(result.counts, { pools: 1, models: 1, objectives: 0, rewrites: 0, pods: 2, endpoints: 2 });
  assert.deepEqual((await applied)[0], result.counts);
  assert.equal(s.datastore.synced(), true);
  assert.deepEqual(keys(s.datastore), ['10.0.0.1:8000', '10.0.0.2:8000']);
  assert.equal(s.datastore.model('llama')!.name, 'm');
});

test('a bad first load is returned as an error, logged per problem, and nothing is applied', async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1'), pod('b', '10.0.0.999')));
  const { src, path } = await s.source();
  const result = await src.start();
  src.close();
  assert.ok(!result.ok);
  assert.equal(result.error.problems.length, 1);
  assert.equal(result.error.message, `${path}:16: document 3 (Pod default/b): status.podIP: must be an IP address, got "10.0.0.999"`);
  assert.equal(s.datastore.synced(), false);
  assert.deepEqual(keys(s.datastore), []);
  const errors = s.lines.filter((l) => l.level === 50);
  assert.ok(errors.some((l) => l.document === 3 && l.field === 'status.podIP' && l.line === 16 && l.msg.includes('Pod default/b')));
});

test('several pools and no pool name: rejected with a clear message; a pool name resolves it', async () => {
  const text = file(pool('p1'), pool('p2'), pod('a', '10.0.0.1'));
  const ambiguous = await setup(text).source();
  const r1 = await ambiguous.src.reload();
  assert.ok(!r1.ok);
  assert.match(r1.error.message, /2 InferencePools \(default\/p1, default\/p2\) and no pool name is selected/);

  const named = setup(text, 'p2');
  const r2 = await (await named.source()).src.reload();
  assert.ok(r2.ok);
  assert.equal(named.datastore.pool()!.name, 'p2');

  const wrong = await setup(text, 'p3').source();
  const r3 = await wrong.src.reload();
  assert.ok(!r3.ok);
  assert.match(r3.error.message, /no InferencePool named "p3" \(the file has default\/p1, default\/p2\)/);
});

test('pool-less mode: a file of pods only is applied to the fixed selector', async () => {
  const datastore = new Datastore({ poolName: '', poolNamespace: 'default', endpointSelector: selectorFromLabels({ app: 'vllm' }), endpointTargetPorts: [8000] });
  const path = await tempFile(file(pod('a', '10.0.0.1')));
  const src = new ResourceFileSource({ file: path, datastore, logger: pino({ level: 'silent' }) });
  const r = await src.reload();
  assert.ok(r.ok);
  assert.deepEqual(keys(datastore), ['10.0.0.1:8000']);
});

test('a rejected reload keeps the last good state in force', async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1'), model('llama')));
  const { src, path } = await s.source();
  assert.ok((await src.reload()).ok);
  const endpoint = s.datastore.endpoint('10.0.0.1:8000')!;

  // One good change (a new pod) and one bad document: nothing of it applies.
  await writeFile(path, file(pool(), pod('a', '10.0.0.1'), pod('b', '10.0.0.2'), model('llama').replace('modelName', 'modelNam')));
  const r = await src.reload();
  assert.ok(!r.ok);
  assert.equal(r.error.problems[0]!.field, 'spec.modelNam');
  assert.deepEqual(keys(s.datastore), ['10.0.0.1:8000']);
  assert.equal(s.datastore.endpoint('10.0.0.1:8000'), endpoint);
  assert.equal(s.datastore.model('llama')!.name, 'm');
  assert.ok(s.lines.some((l) => l.msg === 'resources file rejected; the last good state stays in force'));
});

test('watching: an edit is applied, a broken edit is rejected, a fix is applied again', { timeout: 10_000 }, async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1')));
  const { src, path } = await s.source();
  assert.ok((await src.start()).ok);
  try {
    let applied = once(src, 'applied');
    await writeFile(path, file(pool(), pod('a', '10.0.0.1'), pod('b', '10.0.0.2')));
    assert.equal((await applied)[0].endpoints, 2);
    assert.deepEqual(keys(s.datastore), ['10.0.0.1:8000', '10.0.0.2:8000']);

    // Written by rename so no read can catch the file half-written (an empty read is rejected differently).
    const rejected = once(src, 'rejected');
    await writeFile(`${path}.tmp`, file(pool(), pod('a', '10.0.0.1'), 'kind: Pod\nmetadata: {name: [\n'));
    await rename(`${path}.tmp`, path);
    const [error] = await rejected;
    assert.match(error.message, /document 3: YAML syntax error/);
    assert.deepEqual(keys(s.datastore), ['10.0.0.1:8000', '10.0.0.2:8000']);

    applied = once(src, 'applied');
    await writeFile(path, file(pool(), pod('c', '10.0.0.3')));
    await applied;
    assert.deepEqual(keys(s.datastore), ['10.0.0.3:8000']);
  } finally {
    src.close();
  }
});

test('watching: a file replaced by rename, and a file deleted then recreated', { timeout: 10_000 }, async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1')));
  const { src, path } = await s.source();
  assert.ok((await src.start()).ok);
  try {
    // Editors and config tools write a temporary file and rename it over the original.
    let applied = once(src, 'applied');
    await writeFile(`${path}.tmp`, file(pool('pool', 9000), pod('a', '10.0.0.1')));
    await rename(`${path}.tmp`, path);
    await applied;
    assert.deepEqual(keys(s.datastore), ['10.0.0.1:9000']);

    const rejected = once(src, 'rejected');
    await unlink(path);
    const [error] = await rejected;
    assert.match(error.message, /cannot read the resources file: ENOENT/);
    assert.deepEqual(keys(s.datastore), ['10.0.0.1:9000'], 'a deleted file keeps the last good state');

    applied = once(src, 'applied');
    await writeFile(path, file(pool(), pod('b', '10.0.0.2')));
    await applied;
    assert.deepEqual(keys(s.datastore), ['10.0.0.2:8000']);
  } finally {
    src.close();
  }
});

test('an empty file is rejected, never applied', async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1')));
  const { src, path } = await s.source();
  assert.ok((await src.reload()).ok);
  await writeFile(path, '# nothing yet\n');
  const r = await src.reload();
  assert.ok(!r.ok);
  assert.match(r.error.message, /holds no objects/);
  assert.deepEqual(keys(s.datastore), ['10.0.0.1:8000']);
});

test('reload() re-applies an unchanged file (e.g. on SIGHUP)', async () => {
  const s = setup(file(pool(), pod('a', '10.0.0.1')));
  const { src } = await s.source();
  let applied = 0;
  src.on('applied', () => applied++);
  assert.ok((await src.start()).ok);
  src.close();
  assert.ok((await src.reload()).ok);
  assert.equal(applied, 2);
});

test('warnings for valid but unused content', async () => {
  const notReady = pod('a', '10.0.0.1').replace('status: "True"', 'status: "False"');
  const s = setup(file(pool(), notReady, model('llama').replace('name: pool', 'name: other')));
  const { src } = await s.source();
  assert.ok((await src.reload()).ok);
  const warnings = s.lines.filter((l) => l.level === 40).map((l) => l.msg);
  assert.ok(warnings.some((m) => m.startsWith('no endpoints')), warnings.join('\n'));
  assert.ok(warnings.some((m) => m.includes('refers to pool default/other')), warnings.join('\n'));
});
