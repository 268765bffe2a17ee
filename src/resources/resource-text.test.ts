import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { child } from '../input/fields.ts';
import { parseResourceText, pathSegments } from './resource-text.ts';

const POOL = `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: pool
spec:
  selector:
    matchLabels:
      app: vllm
  targetPorts:
    - number: 8000
`;

const POD = (name: string, ip: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: vllm}
status:
  podIP: ${ip}
  conditions: [{type: Ready, status: "True"}]
`;

function problemsOf(text: string) {
  const r = parseResourceText(text, 'default');
  assert.equal(r.ok, false, 'expected the text to be rejected');
  return r.ok ? [] : r.problems;
}

test('a good multi-document file becomes a ResourceSet; empty documents are skipped', () => {
  const r = parseResourceText(`---\n${POOL}---\n# only a comment\n---\n${POD('a', '10.0.0.1')}---\n${POD('b', '10.0.0.2')}---\n`, 'ml');
  assert.ok(r.ok);
  assert.equal(r.set.pools.length, 1);
  assert.equal(r.set.pools[0]!.namespace, 'ml');
  assert.deepEqual(r.set.pods.map((p) => [p.name, p.ip, p.ready]), [['a', '10.0.0.1', true], ['b', '10.0.0.2', true]]);
});

test('every invalid document is reported with its document index and the line of the field', () => {
  const bad = POOL.replace('- number: 8000', '- number: abc');
  const text = `${bad}---\n${POD('a', '10.0.0.1')}---\n${POD('b', 'not-an-ip')}`;
  const problems = problemsOf(text);
  assert.equal(problems.length, 2);
  const [p1, p2] = problems as [(typeof problems)[0], (typeof problems)[0]];
  assert.equal(p1.document, 1);
  assert.equal(p1.line, 10, 'line of "- number: abc"');
  assert.equal(p1.field, 'spec.targetPorts[0].number');
  assert.equal(p1.message, 'document 1 (InferencePool default/pool): spec.targetPorts[0].number: must be an integer 1-65535, got "abc"');
  assert.equal(p2.document, 3);
  assert.equal(p2.field, 'status.podIP');
  assert.equal(text.split('\n')[p2.line - 1], '  podIP: not-an-ip');
});

test('a missing field points at the line of its parent', () => {
  const [p] = problemsOf(POOL.replace('  targetPorts:\n    - number: 8000\n', ''));
  assert.equal(p!.field, 'spec.targetPorts');
  assert.equal(p!.line, 5, 'line of "spec:"');
});

test('YAML syntax errors name the line', () => {
  const problems = problemsOf(`${POOL}---\nkind: Pod\nmetadata: {name: [x\n`);
  assert.ok(problems.length >= 1);
  assert.equal(problems[0]!.document, 2);
  assert.ok(!problems[0]!.message.includes('\n'), 'one line per problem');
  assert.ok(problems[0]!.line >= 13, `line ${problems[0]!.line}`);
  assert.match(problems[0]!.message, /^document 2: YAML syntax error: /);
  assert.match(problems[0]!.message, new RegExp(`at line ${problems[0]!.line}, column \\d+$`));
});

test('duplicate keys and duplicate objects are rejected', () => {
  const dupKey = problemsOf(POOL.replace('kind: InferencePool\n', 'kind: InferencePool\nkind: InferencePool\n'));
  assert.match(dupKey[0]!.message, /YAML syntax error: .*[Uu]nique/);
  const dupObject = problemsOf(`${POD('a', '10.0.0.1')}---\n${POD('a', '10.0.0.2')}`);
  assert.equal(dupObject[0]!.message, 'document 2 (Pod default/a): duplicate: document 1 already defines it');
});

test('a List (kubectl get -o yaml) contributes its items, with item-level locations', () => {
  const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    status: {podIP: 10.0.0.1}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b}
    status: {podIP: bad}
`;
  const problems = problemsOf(list);
  assert.equal(problems[0]!.message, 'document 1 item 2 (Pod default/b): status.podIP: must be an IP address, got "bad"');
  assert.equal(problems[0]!.line, 11);
  const ok = parseResourceText(list.replace('podIP: bad', 'podIP: 10.0.0.2'), 'default');
  assert.ok(ok.ok);
  assert.deepEqual(ok.set.pods.map((p) => p.name), ['a', 'b']);
});

test('a document that is not a map is rejected', () => {
  const [p] = problemsOf('- just\n- a list\n');
  assert.equal(p!.message, 'document 1: must be a mapping, got a list');
});

test('pathSegments inverts child()', () => {
  const path = child(child(child(child('spec', 'selector'), 'matchLabels'), 'a.b/c "d"'), 3);
  assert.equal(path, 'spec.selector.matchLabels["a.b/c \\"d\\""][3]');
  assert.deepEqual(pathSegments(path), ['spec', 'selector', 'matchLabels', 'a.b/c "d"', 3]);
  assert.deepEqual(pathSegments(''), []);
});

test('the example files parse', () => {
  for (const [file, pools, pods] of [
    ['resources.yaml', 1, 3],
    ['resources-v1alpha2.yaml', 1, 2],
  ] as const) {
    const text = readFileSync(new URL(`../../examples/standalone/${file}`, import.meta.url), 'utf8');
    const r = parseResourceText(text, 'default');
    assert.ok(r.ok, r.ok ? '' : r.problems.map((p) => p.message).join('\n'));
    assert.equal(r.set.pools.length, pools, file);
    assert.equal(r.set.pods.length, pods, file);
  }
});
