import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../framework/endpoint.ts';
import type { ExplainRecorder } from '../framework/explain.ts';
import type { Filter, Picker, ProfileHandler, ProfileResults, SchedulerProfile, Scorer } from '../framework/scheduling.ts';
import { SchedulerEngine } from './scheduler.ts';
import { makeEndpoint, makeRequest } from '../../test/support/scheduling/testing.ts';

const plugin = (name: string, type: string) => ({ name, type });

/** Drops endpoints whose waiting queue is above `max`. */
const queueCap = (max: number): Filter => ({
  ...plugin('cap', 'queue-cap'),
  filter(_r, c, n) {
    let k = 0;
    for (let i = 0; i < n; i++) if (c[i]!.waitingQueue <= max) c[k++] = c[i]!;
    return k;
  },
});

/** Scores each endpoint from a table by key (values may be out of range: the engine clamps). */
const table = (name: string, scores: Record<string, number>): Scorer => ({
  ...plugin(name, `${name}-type`),
  category: 'Distribution',
  score(_r, c, n, out) {
    for (let i = 0; i < n; i++) out[i] = scores[c[i]!.key] ?? 0;
  },
});

/** Highest total first; ties go to the later candidate (so a tie is visible in the explanation). */
const maxPicker = (k: number): Picker => ({
  ...plugin('max', 'test-max'),
  maxEndpoints: k,
  pick(_r, c, n, s, out) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b]! - s[a]! || b - a);
    for (let i = 0; i < Math.min(k, n); i++) out[i] = c[order[i]!]!;
    return Math.min(k, n);
  },
});

const single: ProfileHandler = {
  ...plugin('single', 'single-profile-handler'),
  pick: (_r, profiles: readonly SchedulerProfile[], results: ProfileResults) => (results.size === 0 ? profiles : []),
  processResults: () => ({ ok: true, primaryProfileName: 'default' }),
};

function setup(k = 1) {
  const eps: Endpoint[] = [0, 1, 2, 3].map((i) => makeEndpoint(i, { waitingQueue: i === 3 ? 50 : i }));
  const [a, b, c, d] = eps.map((e) => e.key) as [string, string, string, string];
  const engine = new SchedulerEngine(
    [{ name: 'default', filters: [queueCap(10)], scorers: [table('s1', { [a]: 0.2, [b]: 1.7, [c]: 0.6 }), table('s2', { [a]: 0.9, [b]: 0.1, [c]: 0.5 })], weights: [2, 1], picker: maxPicker(k) }],
    single,
  );
  return { engine, eps, a, b, c, d };
}

test('explain: per-endpoint filter result, clamped raw scores, weighted totals, the pick and why the others lost', () => {
  const { engine, eps, a, b, c, d } = setup();
  const rec: ExplainRecorder = { profiles: [] };
  const out = engine.schedule(makeRequest(), eps, rec);
  assert.ok(out.ok);
  const pick = out.primary.endpoints[0]!.key;
  assert.equal(pick, b);
  const [p] = rec.profiles;
  assert.ok(p);
  assert.deepEqual(p.picked, [b]);
  assert.deepEqual(p.filters, [{ name: 'cap', type: 'queue-cap', kept: 3 }]);
  assert.deepEqual(p.scorers.map((s) => [s.name, s.weight]), [['s1', 2], ['s2', 1]]);
  const by = new Map(p.endpoints.map((e) => [e.endpoint, e]));
  assert.deepEqual(by.get(b)!.scores, [1, 0.1]); // 1.7 clamped to 1
  assert.ok(Math.abs(by.get(b)!.total - 2.1) < 1e-12);
  assert.equal(by.get(b)!.rank, 0);
  assert.equal(by.get(b)!.why, '');
  assert.equal(by.get(d)!.removedBy, 'cap (queue-cap)');
  assert.equal(by.get(d)!.why, 'removed by filter cap (queue-cap)');
  assert.deepEqual(by.get(d)!.scores, []);
  assert.match(by.get(a)!.why, /^total 1\.3 < 2\.1 of the pick; lost most on s1 \(-1\.6 weighted\)$/);
  assert.equal(by.get(c)!.why, 'total 1.7 < 2.1 of the pick; lost most on s1 (-0.8 weighted)');
  // The same cycle without a recorder picks the same endpoint.
  const plain = engine.schedule(makeRequest(), eps);
  assert.ok(plain.ok);
  assert.equal(plain.primary.endpoints[0]!.key, pick);
});

test('explain: a tie and a fallback are named as such', () => {
  const eps: Endpoint[] = [0, 1].map((i) => makeEndpoint(i));
  const engine = new SchedulerEngine([{ name: 'default', filters: [], scorers: [table('s1', {})], weights: [1], picker: maxPicker(2) }], single);
  const rec: ExplainRecorder = { profiles: [] };
  assert.ok(engine.schedule(makeRequest(), eps, rec).ok);
  const loser = rec.profiles[0]!.endpoints.find((e) => e.rank !== 0)!;
  assert.equal(loser.rank, 1);
  assert.equal(loser.why, 'fallback #1; tied with the pick at 0: picker test-max broke the tie');
});

test('explain: a profile whose filter removes everything records the failure', () => {
  const eps: Endpoint[] = [makeEndpoint(0, { waitingQueue: 99 })];
  const engine = new SchedulerEngine([{ name: 'default', filters: [queueCap(10)], scorers: [], weights: [], picker: maxPicker(1) }], single);
  const rec: ExplainRecorder = { profiles: [] };
  const out = engine.schedule(makeRequest(), eps, rec);
  assert.equal(out.ok, false);
  const p = rec.profiles[0]!;
  assert.match(p.failure, /filter "cap" \(queue-cap\) in profile "default" removed every candidate/);
  assert.deepEqual(p.picked, []);
  assert.equal(p.endpoints[0]!.why, 'removed by filter cap (queue-cap)');
});
