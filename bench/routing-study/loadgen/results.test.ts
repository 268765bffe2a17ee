import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunCollector, type RequestRecord } from './results.ts';

function rec(over: Partial<RequestRecord>): RequestRecord {
  return { sentAt: 0, status: 'ok', ttftMs: 100, e2eMs: 1100, outputTokens: 11, promptTokens: 100, cachedTokens: 0, endpoint: 'a', code: 200, ...over };
}

test('per-request metrics: NTPOT = E2E / out, TPOT = (E2E - TTFT) / (out - 1), throughput over first send to last finish', () => {
  const c = new RunCollector();
  c.add(rec({ sentAt: 0 }));
  c.add(rec({ sentAt: 1000, ttftMs: 200, e2eMs: 2200, outputTokens: 21, cachedTokens: 50, endpoint: 'b' }));
  const r = c.result('p', 1, { ttftMs: 1000, ntpotMs: 1000 });
  assert.equal(r.completed, 2);
  assert.equal(r.duration_s, 3.2); // 0 -> 1000 + 2200
  assert.equal(r.throughput_rps, 0.625);
  assert.equal(r.output_tps, 10);
  assert.equal(r.ntpot_ms.p50, Math.round(((1100 / 11 + 2200 / 21) / 2) * 1000) / 1000);
  assert.equal(r.tpot_ms.p50, 100);
  assert.equal(r.prefix_hit_rate, 0.25);
  assert.deepEqual(r.per_endpoint, { a: 1, b: 1 });
  assert.equal(r.achieved_qps, 1);
});

test('goodput counts shed and failed requests against the SLO', () => {
  const c = new RunCollector();
  c.add(rec({ ttftMs: 100, e2eMs: 1000, outputTokens: 100 })); // meets: TTFT 100, NTPOT 10
  c.add(rec({ ttftMs: 2000, e2eMs: 3000, outputTokens: 100 })); // TTFT too high
  c.add(rec({ ttftMs: 100, e2eMs: 9000, outputTokens: 100 })); // NTPOT 90 too high
  c.add(rec({ status: 'shed', code: 429 }));
  c.add(rec({ status: 'error', code: 0 }));
  const r = c.result('p', 1, { ttftMs: 1000, ntpotMs: 50 });
  assert.equal(r.requests, 5);
  assert.equal(r.completed, 3);
  assert.equal(r.shed, 1);
  assert.equal(r.errors, 1);
  assert.equal(r.slo_attainment, 0.2);
  assert.deepEqual(r.errors_by_code, { '429': 1, '0': 1 });
});

test('a run where nothing completes reports zeros and NaN percentiles, not a crash', () => {
  const c = new RunCollector();
  c.add(rec({ status: 'error', code: 503 }));
  const r = c.result('p', 1, { ttftMs: 1, ntpotMs: 1 });
  assert.equal(r.completed, 0);
  assert.equal(r.throughput_rps, 0);
  assert.ok(Number.isNaN(r.ttft_ms.p90));
});
