import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseObject, ResourceError } from './validate.ts';

const X = 'inference.networking.x-k8s.io/v1alpha2';

function poolV1(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = { name: 'my-pool' }) {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata,
    spec: { selector: { matchLabels: { app: 'vllm' } }, targetPorts: [{ number: 8000 }], ...spec },
  };
}

/** Asserts that parsing throws a ResourceError on `field` whose message contains every `parts`. */
function rejects(raw: unknown, field: string, ...parts: string[]): ResourceError {
  try {
    parseObject(raw, 'document 3');
  } catch (err) {
    assert.ok(err instanceof ResourceError, `not a ResourceError: ${String(err)}`);
    assert.equal(err.field, field, err.message);
    for (const part of parts) assert.ok(err.message.includes(part), `"${err.message}" lacks "${part}"`);
    return err;
  }
  assert.fail(`accepted, expected an error on ${field}`);
}

test('InferencePool v1: good example with defaults', () => {
  const parsed = parseObject(poolV1(), 'document 1', 'prod');
  assert.deepEqual(parsed, {
    kind: 'InferencePool',
    spec: {
      name: 'my-pool',
      namespace: 'prod',
      group: 'inference.networking.k8s.io',
      selector: { app: 'vllm' },
      targetPorts: [8000],
      appProtocol: 'http',
      failureMode: 'FailClose',
    },
  });
});

test('InferencePool v1: all fields', () => {
  const parsed = parseObject(
    poolV1({
      targetPorts: [{ number: 8000 }, { number: 8001 }],
      appProtocol: 'kubernetes.io/h2c',
      endpointPickerRef: { name: 'epp', port: { number: 9002 }, failureMode: 'FailOpen' },
    }, { name: 'my-pool', namespace: 'ns1' }),
    '',
  );
  assert.equal(parsed.kind, 'InferencePool');
  if (parsed.kind !== 'InferencePool') return;
  assert.deepEqual(parsed.spec.targetPorts, [8000, 8001]);
  assert.equal(parsed.spec.namespace, 'ns1');
  assert.equal(parsed.spec.appProtocol, 'kubernetes.io/h2c');
  assert.equal(parsed.spec.failureMode, 'FailOpen');
});

test('InferencePool v1: field errors name the object and the field', () => {
  const err = rejects(poolV1({ targetPorts: [{ number: 'abc' }] }), 'spec.targetPorts[0].number', 'must be an integer 1-65535, got "abc"');
  assert.equal(err.message, 'document 3 (InferencePool default/my-pool): spec.targetPorts[0].number: must be an integer 1-65535, got "abc"');
  rejects(poolV1({ targetPorts: [{ number: 70000 }] }), 'spec.targetPorts[0].number', '1-65535', '70000');
  rejects(poolV1({ targetPorts: [] }), 'spec.targetPorts', '1-8 items, got 0');
  rejects(poolV1({ targetPorts: Array.from({ length: 9 }, (_, i) => ({ number: 8000 + i })) }), 'spec.targetPorts', '1-8 items, got 9');
  rejects(poolV1({ targetPorts: [{ number: 8000 }, { number: 8000 }] }), 'spec.targetPorts[1].number', 'duplicate port 8000');
  rejects(poolV1({ targetPorts: [{ number: 8000, name: 'http' }] }), 'spec.targetPorts[0].name', 'unknown field');
  rejects(poolV1({ targetPorts: 8000 }), 'spec.targetPorts', 'must be a list, got 8000');
  rejects(poolV1({ selector: { matchLabels: {} } }), 'spec.selector.matchLabels', '1-64 entries, got 0');
  rejects(poolV1({ selector: { app: 'vllm' } }), 'spec.selector.app', 'unknown field (allowed: matchLabels)');
  rejects(poolV1({ selector: { matchLabels: { version: 3 } } }), 'spec.selector.matchLabels.version', 'must be a string, got 3 (quote it)');
  rejects(poolV1({ selector: { matchLabels: { 'bad key!': 'x' } } }), 'spec.selector.matchLabels["bad key!"]', 'must be a valid label key');
  rejects(poolV1({ appProtocol: 'grpc' }), 'spec.appProtocol', 'must be one of http, kubernetes.io/h2c, got "grpc"');
  rejects(poolV1({ endpointPickerRef: { name: 'epp' } }), 'spec.endpointPickerRef.port', 'required when kind is Service');
  rejects(poolV1({ endpointPickerRef: { name: 'epp', port: { number: 9002 }, failureMode: 'Open' } }), 'spec.endpointPickerRef.failureMode', 'FailOpen, FailClose');
  rejects(poolV1({ targetPortNumber: 8000 }), 'spec.targetPortNumber', 'unknown field');
  const noSpec = { ...poolV1(), spec: undefined };
  rejects(noSpec, 'spec', 'required');
});

test('InferencePool v1alpha2: good example and errors', () => {
  const raw = {
    apiVersion: X,
    kind: 'InferencePool',
    metadata: { name: 'old-pool', creationTimestamp: '2025-01-02T03:04:05Z' },
    spec: { selector: { app: 'vllm' }, targetPortNumber: 8000, extensionRef: { name: 'epp', failureMode: 'FailOpen' } },
  };
  assert.deepEqual(parseObject(raw, ''), {
    kind: 'InferencePool',
    spec: {
      name: 'old-pool',
      namespace: 'default',
      group: 'inference.networking.x-k8s.io',
      selector: { app: 'vllm' },
      targetPorts: [8000],
      appProtocol: 'http',
      failureMode: 'FailOpen',
    },
  });
  rejects({ ...raw, spec: { selector: { app: 'vllm' } } }, 'spec.targetPortNumber', 'required');
  rejects({ ...raw, spec: { targetPortNumber: 8000 } }, 'spec.selector', 'required');
  rejects({ ...raw, spec: { ...raw.spec, extensionRef: { failureMode: 'FailOpen' } } }, 'spec.extensionRef.name', 'required');
  // v1 field names on a v1alpha2 object: named, not silently ignored.
  rejects({ ...raw, spec: { ...raw.spec, targetPorts: [{ number: 8000 }] } }, 'spec.targetPorts', 'unknown field');
});

test('envelope: unknown kind, wrong apiVersion, metadata', () => {
  rejects({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } }, 'kind', 'unknown kind "Service"', 'InferencePool');
  rejects({ apiVersion: 'v1', kind: 'constructor', metadata: { name: 'x' } }, 'kind', 'unknown kind');
  rejects({ ...poolV1(), kind: undefined }, 'kind', 'required');
  const wrongVersion = rejects({ ...poolV1(), apiVersion: 'inference.networking.k8s.io/v1alpha2' }, 'apiVersion', 'InferencePool must be inference.networking.k8s.io/v1 or inference.networking.x-k8s.io/v1alpha2');
  assert.ok(wrongVersion.where.startsWith('document 3 (InferencePool'));
  rejects({ apiVersion: 'inference.networking.k8s.io/v1', kind: 'InferenceModel', metadata: { name: 'm' } }, 'apiVersion', X);
  rejects(poolV1({}, {}), 'metadata.name', 'required');
  rejects(poolV1({}, { name: 'My_Pool' }), 'metadata.name', 'RFC 1123');
  rejects(poolV1({}, { name: 'p', creationTimestamp: 'yesterday' }), 'metadata.creationTimestamp', 'RFC 3339');
  rejects({ ...poolV1(), extra: 1 }, 'extra', 'unknown field');
  rejects([poolV1()], '', 'must be a mapping, got a list');
  rejects('hello', '', 'must be a mapping, got "hello"');
});

test('where: the identity is appended once', () => {
  const bad = poolV1({ appProtocol: 'grpc' });
  const message = (where: string) => {
    try {
      parseObject(bad, where);
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };
  assert.match(message('document 2'), /^document 2 \(InferencePool default\/my-pool\): spec\.appProtocol: /);
  assert.match(message(''), /^InferencePool default\/my-pool: spec\.appProtocol: /);
  assert.match(message('InferencePool default/my-pool'), /^InferencePool default\/my-pool: spec\.appProtocol: /);
});

test('creationTimestamp: text or Date, 0 when absent', () => {
  const model = (metadata: Record<string, unknown>) => ({
    apiVersion: X,
    kind: 'InferenceModel',
    metadata,
    spec: { modelName: 'm', poolRef: { name: 'p' } },
  });
  const created = (raw: unknown) => {
    const p = parseObject(raw, '');
    return p.kind === 'InferenceModel' ? p.spec.createdAt : NaN;
  };
  assert.equal(created(model({ name: 'a' })), 0);
  assert.equal(created(model({ name: 'a', creationTimestamp: '2025-01-02T03:04:05Z' })), Date.UTC(2025, 0, 2, 3, 4, 5));
  assert.equal(created(model({ name: 'a', creationTimestamp: new Date(1234) })), 1234);
});

test('InferenceModel: good example', () => {
  const parsed = parseObject(
    {
      apiVersion: X,
      kind: 'InferenceModel',
      metadata: { name: 'food-review', namespace: 'ml' },
      spec: {
        modelName: 'food-review',
        criticality: 'Sheddable',
        poolRef: { name: 'pool', group: X.split('/')[0], kind: 'InferencePool' },
        targetModels: [{ name: 'food-review-1', weight: 3 }, { name: 'food-review-2', weight: 1 }],
      },
    },
    '',
  );
  assert.deepEqual(parsed, {
    kind: 'InferenceModel',
    spec: {
      name: 'food-review',
      namespace: 'ml',
      modelName: 'food-review',
      criticality: 'Sheddable',
      targetModels: [{ name: 'food-review-1', weight: 3 }, { name: 'food-review-2', weight: 1 }],
      poolRef: 'pool',
      createdAt: 0,
    },
  });
});

test('InferenceModel: optional fields and errors', () => {
  const model = (spec: Record<string, unknown>) => ({
    apiVersion: X,
    kind: 'InferenceModel',
    metadata: { name: 'm' },
    spec: { modelName: 'm', poolRef: { name: 'p' }, ...spec },
  });
  const parsed = parseObject(model({ targetModels: [{ name: 'a' }, { name: 'b' }] }), '');
  assert.ok(parsed.kind === 'InferenceModel');
  assert.equal(parsed.spec.criticality, undefined);
  assert.deepEqual(parsed.spec.targetModels, [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }]);

  rejects(model({ modelName: undefined }), 'spec.modelName', 'required');
  rejects(model({ modelName: 'x'.repeat(257) }), 'spec.modelName', 'at most 256 characters');
  rejects(model({ criticality: 'High' }), 'spec.criticality', 'Critical, Standard, Sheddable', '"High"');
  rejects(model({ poolRef: undefined }), 'spec.poolRef', 'required');
  rejects(model({ poolRef: {} }), 'spec.poolRef.name', 'required');
  rejects(model({ poolRef: { name: 'p', kind: 'Service' } }), 'spec.poolRef.kind', 'must be InferencePool');
  rejects(model({ targetModels: [{ name: 'a', weight: 1 }, { name: 'b' }] }), 'spec.targetModels[1].weight', 'all targets or on none');
  rejects(model({ targetModels: [{ name: 'a', weight: 0 }] }), 'spec.targetModels[0].weight', '1-1000000');
  rejects(model({ targetModels: [{ name: 'a', weight: 1.5 }] }), 'spec.targetModels[0].weight', 'integer');
  rejects(model({ targetModels: Array.from({ length: 11 }, (_, i) => ({ name: `t${i}` })) }), 'spec.targetModels', '0-10 items, got 11');
  rejects(model({ targetModels: [{ weight: 1 }] }), 'spec.targetModels[0].name', 'required');
  rejects(model({ targetModel: [] }), 'spec.targetModel', 'unknown field');
});

test('InferenceObjective: good example and errors', () => {
  const objective = (spec: Record<string, unknown>, apiVersion = X) => ({
    apiVersion,
    kind: 'InferenceObjective',
    metadata: { name: 'batch' },
    spec: { poolRef: { name: 'p' }, ...spec },
  });
  assert.deepEqual(parseObject(objective({ priority: -5 }), ''), {
    kind: 'InferenceObjective',
    spec: { name: 'batch', namespace: 'default', priority: -5, poolRef: 'p', createdAt: 0 },
  });
  const unset = parseObject(objective({}, 'llm-d.ai/v1alpha2'), '');
  assert.ok(unset.kind === 'InferenceObjective');
  assert.equal(unset.spec.priority, undefined);
  rejects(objective({ priority: 'high' }), 'spec.priority', 'must be an integer', '"high"');
  rejects(objective({ priority: 2 ** 31 }), 'spec.priority', 'integer');
  rejects(objective({ criticality: 'Critical' }), 'spec.criticality', 'unknown field (allowed: priority, poolRef)');
  rejects(objective({ poolRef: { name: 'p', namespace: 'x' } }), 'spec.poolRef.namespace', 'unknown field');
});

test('InferenceModelRewrite: good example with defaults', () => {
  const parsed = parseObject(
    {
      apiVersion: X,
      kind: 'InferenceModelRewrite',
      metadata: { name: 'rw', creationTimestamp: '2025-01-01T00:00:00Z' },
      spec: {
        poolRef: { name: 'p' },
        rules: [
          { matches: [{ model: { value: 'a' } }, { model: { type: 'Exact', value: 'b' } }], targets: [{ modelRewrite: 'a-v2', weight: 7 }] },
          { targets: [{ modelRewrite: 'default-model' }] },
          { matches: [{ model: { value: 'c' } }] },
        ],
      },
    },
    '',
  );
  assert.deepEqual(parsed, {
    kind: 'InferenceModelRewrite',
    spec: {
      name: 'rw',
      namespace: 'default',
      poolRef: 'p',
      createdAt: Date.UTC(2025, 0, 1),
      rules: [
        { matches: ['a', 'b'], targets: [{ modelRewrite: 'a-v2', weight: 7 }] },
        { matches: [], targets: [{ modelRewrite: 'default-model', weight: 1 }] },
        { matches: ['c'], targets: [] },
      ],
    },
  });
});

test('InferenceModelRewrite: llm-d.ai/v1alpha2 (llm-d Router) and the GIE group parse alike; other versions are rejected', () => {
  const rewrite = (apiVersion: string) => ({
    apiVersion,
    kind: 'InferenceModelRewrite',
    metadata: { name: 'rw' },
    spec: { poolRef: { name: 'p' }, rules: [{ matches: [{ model: { value: 'a' } }], targets: [{ modelRewrite: 'b' }] }] },
  });
  assert.deepEqual(parseObject(rewrite('llm-d.ai/v1alpha2'), ''), parseObject(rewrite(X), ''));
  rejects(rewrite('inference.networking.k8s.io/v1alpha2'), 'apiVersion', 'InferenceModelRewrite must be llm-d.ai/v1alpha2 or inference.networking.x-k8s.io/v1alpha2');
});

test('InferenceModelRewrite: errors', () => {
  const rewrite = (rules: unknown) => ({
    apiVersion: X,
    kind: 'InferenceModelRewrite',
    metadata: { name: 'rw' },
    spec: { poolRef: { name: 'p' }, rules },
  });
  rejects(rewrite(undefined), 'spec.rules', 'required');
  rejects(rewrite([{ matches: [{ model: { type: 'Prefix', value: 'a' } }] }]), 'spec.rules[0].matches[0].model.type', 'must be one of Exact');
  rejects(rewrite([{ matches: [{ model: { value: '' } }] }]), 'spec.rules[0].matches[0].model.value', 'must not be empty');
  rejects(rewrite([{ matches: [{ value: 'a' }] }]), 'spec.rules[0].matches[0].value', 'unknown field (allowed: model)');
  rejects(rewrite([{ targets: [] }]), 'spec.rules[0].targets', '>= 1 items, got 0');
  rejects(rewrite([{ targets: [{ modelRewrite: 'a', weight: 2 }, { modelRewrite: 'b' }] }]), 'spec.rules[0].targets[1].weight', 'all targets or on none');
  rejects(rewrite([{ targets: [{ model: 'a' }] }]), 'spec.rules[0].targets[0].model', 'unknown field (allowed: modelRewrite, weight)');
});

test('Pod: reads labels, annotations, IP, Ready and deletion; ignores the rest', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'vllm-0',
      namespace: 'ml',
      uid: 'abc',
      labels: { app: 'vllm' },
      annotations: { 'inference.networking.k8s.io/active-ports': '8000' },
      managedFields: [{}],
    },
    spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai' }], nodeName: 'n1' },
    status: {
      phase: 'Running',
      podIP: '10.0.0.7',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'True', lastTransitionTime: new Date(0) },
      ],
    },
  };
  assert.deepEqual(parseObject(pod, ''), {
    kind: 'Pod',
    spec: {
      name: 'vllm-0',
      namespace: 'ml',
      labels: { app: 'vllm' },
      annotations: { 'inference.networking.k8s.io/active-ports': '8000' },
      ip: '10.0.0.7',
      ready: true,
      terminating: false,
    },
  });
  const terminating = parseObject({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(5) } }, '');
  assert.ok(terminating.kind === 'Pod' && terminating.spec.terminating);
  const notReady = parseObject({ ...pod, status: { podIP: 'fd00::1', conditions: [{ type: 'Ready', status: 'False' }] } }, '');
  assert.ok(notReady.kind === 'Pod' && !notReady.spec.ready && notReady.spec.ip === 'fd00::1');
  const pending = parseObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, '');
  assert.ok(pending.kind === 'Pod' && pending.spec.ip === '' && !pending.spec.ready);

  rejects({ ...pod, status: { podIP: '10.0.0.300' } }, 'status.podIP', 'must be an IP address');
  rejects({ ...pod, metadata: { name: 'p', labels: { replicas: 2 } } }, 'metadata.labels.replicas', 'must be a string');
  rejects({ ...pod, status: { conditions: [{ type: 'Ready', status: true }] } }, 'status.conditions[0].status', 'True, False, Unknown');
  rejects({ ...pod, status: { conditions: { Ready: 'True' } } }, 'status.conditions', 'must be a list');
});
