import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPriorityMix, type PriorityMix } from './priorities.ts';
import { randomWorkload } from './synthetic.ts';
import { RunCollector, type RequestRecord } from './results.ts';
import { DEFAULT_SLO } from './results.ts';

const MIX: PriorityMix = {
  high: { objective: 'interactive', priority: 10, slo: { ttftMs: 500, ntpotMs: 30 } },
  low: { objective: 'batch', priority: -1, slo: { ttftMs: 20_000, ntpotMs: 150 } },
  highShare: 0.3,
  seed: 7,
};

test('priority mix: each item comes from its class workload, tagged with the objective, at the given share', () => {
  const high = randomWorkload(1, 20, 10);
  const low = randomWorkload(2, 30, 10);
  const w = withPriorityMix(high, low, MIX);
  let nHigh = 0;
  for (let i = 0; i < 10_000; i++) {
    const it = w.item(i);
    if (it.objective === 'interactive') {
      nHigh++;
      assert.equal(it.prompt, high.item(i).prompt);
    } else {
      assert.equal(it.objective, 'batch');
      assert.equal(it.prompt, low.item(i).prompt);
    }
  }
  assert.ok(Math.abs(nHigh / 10_000 - 0.3) < 0.02, `high share ${nHigh / 10_000}`);
  assert.deepEqual(w.item(123), withPriorityMix(high, low, MIX).item(123), 'the same for every run');
  assert.deepEqual(w.classes?.map((c) => c.objective), ['interactive', 'batch']);
});

test('per-class results judge each request by its class SLO and count shed requests as missed', () => {
  const c = new RunCollector();
  const rec = (objective: string, status: RequestRecord['status'], ttftMs: number, e2eMs: number): RequestRecord => ({
    sentAt: 0, status, ttftMs, e2eMs, outputTokens: 100, promptTokens: 10, cachedTokens: 0, endpoint: 'replica-0', code: status === 'shed' ? 429 : 0, objective,
  });
  c.add(rec('interactive', 'ok', 400, 2000)); // meets 500 ms / 30 ms
  c.add(rec('interactive', 'ok', 600, 2000)); // TTFT too late for interactive
  c.add(rec('batch', 'ok', 5000, 10_000)); // 5 s TTFT, 100 ms NTPOT: fine for batch
  c.add(rec('batch', 'shed', 0, 0));
  const r = c.result('best', 10, DEFAULT_SLO, [MIX.high, MIX.low]);
  assert.equal(r.per_class?.interactive?.slo_attainment, 0.5);
  assert.equal(r.per_class?.batch?.slo_attainment, 0.5);
  assert.equal(r.per_class?.batch?.shed, 1);
  assert.equal(r.per_class?.interactive?.requests, 2);
  assert.equal(r.slo_attainment, 0.5, 'the total judges each request by its own class, not the default SLO');
});
