/**
 * Contract suites every scheduling plugin test runs: range, empty and single candidate, all-equal metrics,
 * stale or missing metrics, and no retained heap growth over repeated calls. Plugin tests call one of these,
 * then add their own table-driven cases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import type { PluginHandle } from '../../../src/framework/plugin.ts';
import type { LLMRequest } from '../../../src/framework/request.ts';
import type { Filter, Picker, Scorer } from '../../../src/framework/scheduling.ts';
import {
  makeEndpoint,
  makeRequest,
  retainedHeapGrowth,
  TEST_NOW,
  testHandle,
  testRandom,
  variedEndpoints,
  type EndpointMetrics,
} from './testing.ts';

const HEAP_CALLS = 100_000;
/** Generous: a leak of even 16 bytes per call would retain 1.6 MB. */
const HEAP_BOUND_BYTES = 1_000_000;
const SENTINEL = -12345;

export interface ContractOptions {
  /** Request used by the suite (e.g. one with a prompt for prefix scorers). */
  readonly request?: () => LLMRequest;
}

function assertNoHeapGrowth(t: { skip: (msg: string) => void }, fn: () => void): void {
  const growth = retainedHeapGrowth(fn, HEAP_CALLS);
  if (growth === undefined) return t.skip('cannot force GC in this runtime; heap growth not measured');
  assert.ok(growth < HEAP_BOUND_BYTES, `retained heap grew ${growth} bytes over ${HEAP_CALLS} calls`);
}

const SAME: EndpointMetrics = { waitingQueue: 3, runningRequests: 7, kvCacheUsage: 0.4, maxLora: 2, activeAdapters: ['x'] };

export function scorerContract(label: string, make: (handle: PluginHandle) => Scorer, options: ContractOptions = {}): void {
  const request = options.request ?? (() => makeRequest({ targetModel: 'adapter-a' }));
  const run = (scorer: Scorer, eps: readonly Endpoint[]): Float64Array => {
    const out = new Float64Array(eps.length + 1).fill(SENTINEL);
    scorer.score(request(), eps, eps.length, out);
    assert.equal(out[eps.length], SENTINEL, 'wrote past n');
    return out;
  };
  const inRange = (out: Float64Array, n: number): void => {
    for (let i = 0; i < n; i++) {
      const v = out[i]!;
      assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `score[${i}] = ${v} is not in [0,1]`);
    }
  };

  describe(`${label}: scorer contract`, () => {
    test('declares a type, a name and a category', () => {
      const s = make(testHandle());
      assert.match(s.type, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(s.name.length > 0);
      assert.ok(['Affinity', 'Distribution', 'Balance'].includes(s.category));
    });

    test('no candidates: writes nothing', () => {
      const out = run(make(testHandle()), []);
      assert.equal(out[0], SENTINEL);
    });

    test('one candidate: a score in [0,1]', () => {
      inRange(run(make(testHandle()), [makeEndpoint(0, SAME)]), 1);
    });

    test('varied metrics: every candidate gets a score in [0,1]', () => {
      const eps = variedEndpoints(50);
      inRange(run(make(testHandle()), eps), eps.length);
    });

    test('all-equal metrics: all scores equal', () => {
      const eps = [0, 1, 2, 3, 4].map((i) => makeEndpoint(i, SAME));
      const out = run(make(testHandle()), eps);
      for (let i = 1; i < eps.length; i++) assert.equal(out[i], out[0]);
    });

    test('stale or never-scraped metrics: in [0,1] and no better than a fresh twin', () => {
      const handle = testHandle();
      const eps = [
        makeEndpoint(0, SAME),
        makeEndpoint(1, { ...SAME, metricsUpdatedAt: TEST_NOW - 2 * handle.metricsStalenessMs }),
        makeEndpoint(2, { ...SAME, metricsUpdatedAt: -1 }),
      ];
      const out = run(make(handle), eps);
      inRange(out, eps.length);
      assert.ok(out[1]! <= out[0]!, `stale ${out[1]} > fresh ${out[0]}`);
      assert.ok(out[2]! <= out[0]!, `never scraped ${out[2]} > fresh ${out[0]}`);
    });

    test('no retained heap growth over repeated calls', (t) => {
      const scorer = make(testHandle());
      const eps = variedEndpoints(100);
      const req = request();
      const out = new Float64Array(eps.length);
      assertNoHeapGrowth(t, () => scorer.score(req, eps, eps.length, out));
    });
  });
}

export function pickerContract(label: string, make: (handle: PluginHandle) => Picker): void {
  const pick = (picker: Picker, eps: readonly Endpoint[], scores: Float64Array): Endpoint[] => {
    const out: Endpoint[] = new Array<Endpoint>(picker.maxEndpoints).fill(makeEndpoint(9999));
    const count = picker.pick(makeRequest(), eps, eps.length, scores, out);
    return out.slice(0, count);
  };

  describe(`${label}: picker contract`, () => {
    test('no candidates: picks nothing', () => {
      assert.equal(pick(make(testHandle()), [], new Float64Array(1)).length, 0);
    });

    test('one candidate: picks it', () => {
      const ep = makeEndpoint(0);
      assert.deepEqual(pick(make(testHandle()), [ep], new Float64Array([0.5])), [ep]);
    });

    test('many candidates: 1..maxEndpoints distinct picks, all candidates', () => {
      const picker = make(testHandle());
      const eps = variedEndpoints(30);
      const rnd = testRandom(7);
      for (let round = 0; round < 20; round++) {
        const scores = Float64Array.from(eps, () => rnd() * 3);
        const picked = pick(picker, eps, scores);
        assert.ok(picked.length >= 1 && picked.length <= Math.min(picker.maxEndpoints, eps.length));
        assert.equal(new Set(picked).size, picked.length, 'duplicate pick');
        for (const p of picked) assert.ok(eps.includes(p));
      }
    });

    test('no retained heap growth over repeated calls', (t) => {
      const picker = make(testHandle());
      const eps = variedEndpoints(100);
      const rnd = testRandom(3);
      const scores = Float64Array.from(eps, () => rnd());
      const out: Endpoint[] = new Array<Endpoint>(picker.maxEndpoints).fill(eps[0]!);
      const req = makeRequest();
      assertNoHeapGrowth(t, () => picker.pick(req, eps, eps.length, scores, out));
    });
  });
}

export function filterContract(label: string, make: (handle: PluginHandle) => Filter): void {
  describe(`${label}: filter contract`, () => {
    test('no candidates: returns 0', () => {
      assert.equal(make(testHandle()).filter(makeRequest(), [], 0), 0);
    });

    test('keeps a subset of the candidates, compacted to the front', () => {
      const eps = variedEndpoints(40);
      const work = [...eps];
      const kept = make(testHandle()).filter(makeRequest(), work, work.length);
      assert.ok(kept >= 0 && kept <= eps.length);
      const front = work.slice(0, kept);
      assert.equal(new Set(front).size, kept, 'duplicate after compaction');
      for (const ep of front) assert.ok(eps.includes(ep));
    });

    test('no retained heap growth over repeated calls', (t) => {
      const filter = make(testHandle());
      const eps = variedEndpoints(100);
      const work = [...eps];
      const req = makeRequest();
      assertNoHeapGrowth(t, () => {
        for (let i = 0; i < eps.length; i++) work[i] = eps[i]!;
        filter.filter(req, work, work.length);
      });
    });
  });
}
