import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PoolSpec } from '../datastore/resources.ts';
import { poolChoiceProblem } from './pool-choice.ts';

const pool = (name: string, namespace = 'default'): PoolSpec => ({
  name,
  namespace,
  group: 'inference.networking.k8s.io',
  selector: { app: name },
  targetPorts: [8000],
  appProtocol: 'http',
  failureMode: 'FailClose',
});

test('pool choice: clear cases pass, unclear ones say what to change', () => {
  const cases: [PoolSpec[], string, RegExp | undefined][] = [
    [[pool('a')], '', undefined],
    [[pool('a')], 'a', undefined],
    [[pool('a'), pool('b')], 'b', undefined],
    [[pool('a', 'x')], 'a', undefined], // by name in any namespace, as the Datastore selects
    [[], '', /no InferencePool in the file: add one/],
    [[], 'a', /add an InferencePool named "a"/],
    [[pool('a'), pool('b')], '', /2 InferencePools \(default\/a, default\/b\) and no pool name is selected/],
    [[pool('a')], 'b', /no InferencePool named "b" \(the file has default\/a\)/],
  ];
  for (const [pools, name, expected] of cases) {
    const problem = poolChoiceProblem(pools, name);
    if (expected === undefined) assert.equal(problem, undefined, `${name}: ${problem}`);
    else assert.match(problem ?? '', expected);
  }
});
