/**
 * The Screener extension point (upstream requestcontrol/screener_test.go, llm-d-router ebab687): the loader
 * collects screeners; every screener sees the same candidates and the result is their intersection; no screener
 * (or nothing screened out) returns the candidates themselves; per-plugin timing and explain record them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../framework/endpoint.ts';
import type { ExplainRecorder } from '../framework/explain.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { RequestControlPlugins, Screener } from '../framework/requestcontrol.ts';
import { loadSchedulerConfig } from '../config/loader.ts';
import { PluginRegistry } from '../config/plugin-registry.ts';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../test/support/scheduling/testing.ts';
import { HookRunner, SCREENER_POINT } from './hooks.ts';

/** A screener that keeps the candidates `keep` chooses from what it is shown, recording what it saw. */
function screener(name: string, keep: (eps: readonly Endpoint[]) => readonly Endpoint[], seen: Endpoint[][] = []): Screener {
  return {
    type: 'mock-screener',
    name,
    screen(_req: LLMRequest, candidates: readonly Endpoint[], mask: Uint8Array) {
      seen.push([...candidates]);
      const kept = new Set(keep(candidates));
      for (let i = 0; i < candidates.length; i++) if (!kept.has(candidates[i]!)) mask[i] = 0;
    },
  };
}

const plugins = (screeners: Screener[]): RequestControlPlugins => ({ screeners, dataProducers: [], admitters: [], preRequest: [], responseReceived: [], responseComplete: [] });
const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];

test('screeners: each sees the same candidates; the result is the intersection, in order', () => {
  const second: Endpoint[][] = [];
  const run = new HookRunner(plugins([screener('drop-a', (c) => c.slice(1)), screener('keep-c', (c) => c.slice(2), second)]), null);
  const out: Endpoint[] = [];
  const got = run.screen(makeRequest(), eps, out, null);
  assert.deepEqual(second, [eps], 'the second screener saw all three');
  assert.deepEqual(got, [eps[2]]);
  assert.equal(got, out);
});

test('screeners: all run after one keeps nothing, the result is empty', () => {
  const seen: Endpoint[][] = [];
  const run = new HookRunner(plugins([screener('empty', () => []), screener('observe', (c) => c, seen)]), null);
  assert.deepEqual(run.screen(makeRequest(), eps, [], null), []);
  assert.equal(seen.length, 1);
});

test('screeners: none configured, or none screens anything out: the candidates themselves, no copy', () => {
  const out: Endpoint[] = [];
  assert.equal(new HookRunner(plugins([]), null).screen(makeRequest(), eps, out, null), eps);
  assert.equal(new HookRunner(plugins([screener('all', (c) => c)]), null).screen(makeRequest(), eps, out, null), eps);
});

test('screeners: a scratch that held more candidates is cut to the kept ones', () => {
  const run = new HookRunner(plugins([screener('first', (c) => c.slice(0, 1))]), null);
  const out: Endpoint[] = [makeEndpoint(7), makeEndpoint(8), makeEndpoint(9)];
  assert.deepEqual(run.screen(makeRequest(), eps, out, null), [eps[0]]);
  const many = Array.from({ length: 200 }, (_, i) => makeEndpoint(i));
  assert.equal(run.screen(makeRequest(), many, out, null).length, 1, 'the keep mask grows past its first size');
});

test('screeners: timed under the Screener extension point, explained with running counts', () => {
  const timed: string[] = [];
  const run = new HookRunner(plugins([screener('drop-a', (c) => c.slice(1)), screener('keep-c', (c) => c.slice(2))]), (point, type, name) => timed.push(`${point}/${type}/${name}`));
  const rec: ExplainRecorder = { profiles: [] };
  run.screen(makeRequest(), eps, [], rec);
  assert.deepEqual(timed, [`${SCREENER_POINT}/mock-screener/drop-a`, `${SCREENER_POINT}/mock-screener/keep-c`]);
  assert.deepEqual(rec.screeners, [
    { name: 'drop-a', type: 'mock-screener', kept: 2 },
    { name: 'keep-c', type: 'mock-screener', kept: 1 },
  ]);
});

test('loader: a plugin with screen() is collected as a screener, whatever the profiles', () => {
  const registry = inTreePluginRegistry() as PluginRegistry;
  registry.register('test-screener', (name) => screener(name, (c) => c));
  const loaded = loadSchedulerConfig(
    `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: test-screener
  name: candidate-screener
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
`,
    testHandle(),
    { registry },
  );
  assert.deepEqual(loaded.requestControl.screeners.map((s) => s.name), ['candidate-screener']);
});
