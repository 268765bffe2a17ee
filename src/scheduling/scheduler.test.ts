import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../framework/endpoint.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { Filter, ProfileHandler, ProfileResults, SchedulerProfile, Scorer } from '../framework/scheduling.ts';
import { pickerRandom } from '../plugins/scheduling/picker/picker-random.ts';
import { inTreePluginRegistry } from '../plugins/registry.ts';
import { loadSchedulerConfig, type LoadedSchedulerConfig } from '../config/loader.ts';
import { SchedulerEngine, type SchedulerObserver } from './scheduler.ts';
import { makeEndpoint, makeRequest, retainedHeapGrowth, testHandle, testText, variedEndpoints, type EndpointMetrics } from '../../test/support/scheduling/testing.ts';

const HEAD = 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n';

function load(text?: string, observer?: SchedulerObserver): LoadedSchedulerConfig {
  return loadSchedulerConfig(text, testHandle(), { registry: inTreePluginRegistry(), ...(observer ? { observer } : {}) });
}

function picked(result: ReturnType<SchedulerEngine['schedule']>): Endpoint[] {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.primary.endpoints.slice(0, result.primary.count);
}

/** The config's DataProducers, a scheduling cycle, then its PreRequest hooks, as the director runs them. */
function route(loaded: LoadedSchedulerConfig, req: LLMRequest, eps: readonly Endpoint[]): Endpoint[] {
  for (const p of loaded.requestControl.dataProducers) p.produce(req, eps);
  const result = loaded.scheduler.schedule(req, eps);
  const out = picked(result);
  if (result.ok) for (const p of loaded.requestControl.preRequest) p.preRequest(req, result);
  return out;
}

function endpoints(ms: EndpointMetrics[]): Endpoint[] {
  return Object.freeze(ms.map((m, i) => makeEndpoint(i, m))) as Endpoint[];
}

const text = (len: number, seed: number): string => testText(len, seed);

test('engine: the least-loaded endpoint wins with the default config', () => {
  const { scheduler } = load();
  const eps = endpoints([
    { waitingQueue: 8, kvCacheUsage: 0.7 },
    { waitingQueue: 1, kvCacheUsage: 0.2 },
    { waitingQueue: 4, kvCacheUsage: 0.5 },
    { waitingQueue: 2, kvCacheUsage: 0.9 },
  ]);
  for (let i = 0; i < 20; i++) assert.deepEqual(picked(scheduler.schedule(makeRequest(), eps)), [eps[1]]);
});

test('engine: a stale endpoint loses to a busier fresh one', () => {
  const { scheduler } = load();
  const eps = endpoints([{ waitingQueue: 0, metricsUpdatedAt: -1 }, { waitingQueue: 3, kvCacheUsage: 0.5 }]);
  assert.deepEqual(picked(scheduler.schedule(makeRequest(), eps)), [eps[1]]);
});

test('engine: LoRA affinity routes to the endpoint holding the adapter', () => {
  const { scheduler } = load(`${HEAD}plugins:
- type: lora-affinity-scorer
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: lora-affinity-scorer
    weight: 5
  - pluginRef: queue-scorer
`);
  const eps = endpoints([
    { maxLora: 1, activeAdapters: ['other'], waitingQueue: 0 },
    { maxLora: 1, activeAdapters: ['sql-lora'], waitingQueue: 3 },
    { maxLora: 1, activeAdapters: ['other'], waitingAdapters: ['sql-lora'], waitingQueue: 0 },
  ]);
  assert.deepEqual(picked(scheduler.schedule(makeRequest({ targetModel: 'sql-lora' }), eps)), [eps[1]]);
  // Another adapter: nobody holds it and no slot is free; the queue decides.
  const other = picked(scheduler.schedule(makeRequest({ targetModel: 'new-lora' }), eps))[0];
  assert.ok(other === eps[0] || other === eps[2]);
});

test('engine: prefix affinity sends a repeated long prompt back to the same endpoint', () => {
  pickerRandom.seed(1);
  const loaded = load();
  const eps = endpoints([{ waitingQueue: 1 }, { waitingQueue: 1 }, { waitingQueue: 1 }, { waitingQueue: 1 }]);
  const prompt = text(4000, 1);
  const first = route(loaded, makeRequest({ promptText: prompt }), eps)[0]!;
  assert.ok(loaded.indexEntries() > 0);
  for (let i = 0; i < 10; i++) {
    assert.equal(route(loaded, makeRequest({ promptText: prompt + ` question ${i}` }), eps)[0], first);
  }
  // Affinity (weight 3) outweighs a moderately longer queue (queue and kv weigh 2 each).
  first.waitingQueue = 2;
  assert.equal(route(loaded, makeRequest({ promptText: prompt }), eps)[0], first);
  // Purging the endpoint drops the affinity: the tie among equal loads no longer favours it.
  loaded.removeEndpoint(first.key);
  assert.equal(loaded.indexEntries(), 0);
  assert.notEqual(route(loaded, makeRequest({ promptText: prompt }), eps)[0], first);
});

test('engine: maxNumOfEndpoints 3 gives an ordered fallback list', () => {
  const { scheduler } = load(`${HEAD}plugins:
- type: queue-scorer
- type: max-score-picker
  parameters:
    maxNumOfEndpoints: 3
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
`);
  const eps = endpoints([{ waitingQueue: 20 }, { waitingQueue: 5 }, { waitingQueue: 0 }, { waitingQueue: 10 }, { waitingQueue: 15 }]);
  assert.deepEqual(picked(scheduler.schedule(makeRequest(), eps)), [eps[2], eps[1], eps[3]]);
  assert.deepEqual(picked(scheduler.schedule(makeRequest(), eps.slice(0, 2))), [eps[1], eps[0]]);
});

// ---- engine mechanics, with test plugins

function constScorer(name: string, values: number[]): Scorer {
  return {
    type: 'test-scorer',
    name,
    category: 'Distribution',
    score(_r: LLMRequest, _c: readonly Endpoint[], n: number, out: Float64Array) {
      for (let i = 0; i < n; i++) out[i] = values[i]!;
    },
  };
}

function singleHandler(): ProfileHandler {
  return inTreePluginRegistry().factory('single-profile-handler')!('single-profile-handler', undefined, testHandle()) as ProfileHandler;
}

function engineWith(scorers: Scorer[], weights: number[], filters: Filter[] = [], observer?: SchedulerObserver) {
  const registry = inTreePluginRegistry();
  const picker = registry.factory('max-score-picker')!('max-score-picker', { maxNumOfEndpoints: 3 }, testHandle());
  const spec = { name: 'p', filters, scorers, weights, picker: picker as never };
  return new SchedulerEngine([spec], singleHandler(), observer);
}

test('engine: weighted sum of scorers decides', () => {
  const eps = endpoints([{}, {}]);
  const a = constScorer('a', [1, 0]);
  const b = constScorer('b', [0, 1]);
  assert.equal(picked(engineWith([a, b], [1, 2]).schedule(makeRequest(), eps))[0], eps[1]);
  assert.equal(picked(engineWith([a, b], [3, 2]).schedule(makeRequest(), eps))[0], eps[0]);
});

test('engine: scores are clamped to [0,1], NaN -> 0', () => {
  const eps = endpoints([{}, {}, {}, {}]);
  const engine = engineWith([constScorer('wild', [NaN, -5, 7, 0.5])], [1]);
  const got = picked(engine.schedule(makeRequest(), eps));
  assert.deepEqual(got.slice(0, 2), [eps[2], eps[3]]);
  assert.ok(got[2] === eps[0] || got[2] === eps[1], 'NaN and -5 both clamp to 0 and tie');
  assert.deepEqual([...engine.profiles[0]!.lastScores(0).subarray(0, 4)], [0, 0, 1, 0.5]);
});

test('engine: filters compact candidates; an emptying filter fails the cycle with its name', () => {
  const eps = endpoints([{}, {}, {}]);
  const keepOdd: Filter = {
    type: 'test-filter',
    name: 'odd',
    filter(_r, c, n) {
      let w = 0;
      for (let i = 0; i < n; i++) if (i % 2 === 1) c[w++] = c[i]!;
      return w;
    },
  };
  const dropAll: Filter = { type: 'test-filter', name: 'none', filter: () => 0 };
  assert.deepEqual(picked(engineWith([], [], [keepOdd]).schedule(makeRequest(), eps)), [eps[1]]);
  const r = engineWith([], [], [keepOdd, dropAll]).schedule(makeRequest(), eps);
  assert.deepEqual(r, {
    ok: false,
    reason: `failed to run scheduler profile 'p'; profile "p": filter "none" (test-filter) in profile "p" removed every candidate endpoint`,
    filteredOut: true,
  });
  assert.deepEqual(engineWith([], []).schedule(makeRequest(), []), { ok: false, reason: `failed to run scheduler profile 'p'; profile "p": no candidate endpoints`, filteredOut: false });
});

test('engine: scratch grows with the pool and shrinking pools still work', () => {
  const { scheduler } = load();
  for (const n of [3, 100, 1000, 2]) {
    const eps = variedEndpoints(n, n);
    const result = picked(scheduler.schedule(makeRequest(), eps));
    assert.equal(result.length, 1);
    assert.ok(eps.includes(result[0]!));
  }
});

test('engine: observer hooks see each plugin and each cycle', () => {
  const calls: string[] = [];
  const cycles: boolean[] = [];
  const engine = engineWith(
    [constScorer('a', [1, 0])],
    [1],
    [],
    {
      onPluginDuration: (point, type, name, seconds) => {
        assert.ok(seconds >= 0);
        calls.push(`${point}:${type}/${name}`);
      },
      onScheduleDuration: (seconds, ok) => {
        assert.ok(seconds >= 0);
        cycles.push(ok);
      },
    },
  );
  const eps = endpoints([{}, {}]);
  engine.schedule(makeRequest(), eps);
  engine.schedule(makeRequest(), []);
  const handler = 'single-profile-handler/single-profile-handler';
  assert.deepEqual(calls, [
    `ProfilePicker:${handler}`,
    'Scorer:test-scorer/a',
    'Picker:max-score-picker/max-score-picker',
    `ProfilePicker:${handler}`,
    `ProcessProfilesResults:${handler}`,
    `ProfilePicker:${handler}`,
    `ProfilePicker:${handler}`,
    `ProcessProfilesResults:${handler}`,
  ]);
  assert.deepEqual(cycles, [true, false]);
});

test('engine: the result holds the primary profile\'s picks in order', () => {
  const eps = endpoints([{}, {}, {}]);
  const result = engineWith([constScorer('a', [0.1, 0.9, 0.5])], [1]).schedule(makeRequest(), eps);
  assert.ok(result.ok);
  assert.equal(result.primaryProfileName, 'p');
  assert.equal(result.profileResults.get('p'), result.primary);
  assert.deepEqual(picked(result).map((e) => e.podName), ['pod-1', 'pod-2', 'pod-0']);
});

/** Runs profile "a", then "b" when a picked pod-0; primary = the last that ran. */
function chainHandler(): ProfileHandler {
  return {
    type: 'test-chain',
    name: 'chain',
    pick(_r: LLMRequest, profiles: readonly SchedulerProfile[], results: ProfileResults) {
      if (results.size === 0) return profiles.filter((p) => p.name === 'a');
      const a = results.get('a');
      if (results.size === 1 && a && a.endpoints[0]!.podName === 'pod-0') return profiles.filter((p) => p.name === 'b');
      return [];
    },
    processResults(_r: LLMRequest, results: ProfileResults) {
      const last = [...results.keys()].at(-1)!;
      return results.get(last) ? { ok: true, primaryProfileName: last } : { ok: false, reason: `profile ${last} failed` };
    },
  };
}

test('engine: a profile handler picks profiles round by round and names the primary result', () => {
  const registry = inTreePluginRegistry();
  const picker = registry.factory('max-score-picker')!('max-score-picker', undefined, testHandle()) as never;
  const engine = new SchedulerEngine(
    [
      { name: 'a', filters: [], scorers: [constScorer('first', [1, 0, 0])], weights: [1], picker },
      { name: 'b', filters: [], scorers: [constScorer('last', [0, 0, 1])], weights: [1], picker },
    ],
    chainHandler(),
  );
  const eps = endpoints([{}, {}, {}]);
  const result = engine.schedule(makeRequest(), eps);
  assert.ok(result.ok);
  assert.deepEqual([...result.profileResults.keys()], ['a', 'b']);
  assert.equal(result.primaryProfileName, 'b');
  assert.deepEqual(picked(result), [eps[2]]);
  // Profile a picks pod-1 when pod-0 is gone: b never runs, a is primary.
  const two = endpoints([{}, {}]).slice(1);
  const only = engine.schedule(makeRequest(), two);
  assert.ok(only.ok);
  assert.deepEqual([...only.profileResults.keys()], ['a']);
});

test('engine: a handler that never stops picking is cut off with a clear reason', () => {
  const registry = inTreePluginRegistry();
  const picker = registry.factory('max-score-picker')!('max-score-picker', undefined, testHandle()) as never;
  const forever: ProfileHandler = { type: 'test-forever', name: 'forever', pick: (_r, profiles) => profiles, processResults: () => ({ ok: true, primaryProfileName: 'p' }) };
  const engine = new SchedulerEngine([{ name: 'p', filters: [], scorers: [], weights: [], picker }], forever);
  const result = engine.schedule(makeRequest(), endpoints([{}]));
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.reason, /kept picking profiles after 64 rounds/);
});

test('engine: no retained heap growth over 100k schedules with the default config', (t) => {
  const { scheduler } = load();
  const eps = variedEndpoints(100);
  const req = makeRequest();
  const growth = retainedHeapGrowth(() => scheduler.schedule(req, eps), 100_000);
  if (growth === undefined) return t.skip('cannot force GC');
  assert.ok(growth < 1_000_000, `retained ${growth} bytes`);
});
