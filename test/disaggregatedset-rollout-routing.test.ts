/**
 * disaggregatedset-rollout-screener through the director (issue 16): upstream's README config
 * (test/data/upstream/configs/router-v0.10.0__README.md_block10.yaml) and the same screener in front of a P/D
 * config. Pods of two revisions with prefill and decode roles: every request stays within one revision, for the
 * decode destination and the x-prefiller-host-port prefill alike; strict and prefer header selectors; the
 * response header stamped; fail closed when a revision lacks a role.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { directorFixture, type DirectorFixture } from './support/director-fixture.ts';
import type { RequestDecision, RouteDecision } from '../src/requestcontrol/decision.ts';
import { RequestContext } from '../src/requestcontrol/request-context.ts';
import { PD_CONFIG, README_CONFIG, REV, rolloutPod as pd, SLICE } from './support/config/rollout-configs.ts';

/** Revision A: 2 prefill, 2 decode (slices s0, s1); revision B: 1 prefill, 1 decode (slice s0). Pod i is 10.0.0.(i+1). */
const TWO_REVISIONS = [pd('A', 'prefill', 's0'), pd('A', 'prefill', 's1'), pd('A', 'decode', 's0'), pd('A', 'decode', 's1'), pd('B', 'prefill', 's0'), pd('B', 'decode', 's0')];

function fixture(configText: string, podLabels = TWO_REVISIONS): { f: DirectorFixture; labelsOf: (hostPort: string) => Record<string, string> } {
  const f = directorFixture({ configText, podLabels, pods: podLabels.length });
  const labelsOf = (hostPort: string) => podLabels[Number(hostPort.split(':')[0]!.split('.')[3]) - 1]!;
  return { f, labelsOf };
}

function send(f: DirectorFixture, headers: Record<string, string> = {}): { ctx: RequestContext; decision: RequestDecision } {
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
  f.director.handleRequestHeaders(ctx);
  const b = Buffer.from(JSON.stringify({ model: 'm', prompt: 'hello there' }));
  return { ctx, decision: f.director.handleRequest(ctx, { chunks: [b], bytes: b.length }) };
}

function routed(d: RequestDecision): RouteDecision {
  assert.ok(d.ok, d.ok ? '' : `${d.status} ${d.error.code}: ${d.error.message}`);
  return d;
}

const header = (d: RouteDecision, name: string): string | undefined => d.headers.find((h) => h.name === name)?.value;
const N = 600;

describe("upstream's README config (decode profile, slice affinity, weighted-random picker)", () => {
  test('without headers: each request lands in one revision, A about 2/3 (max-role: prefill 3 = decode 3, tie to prefill: A 2, B 1)', () => {
    const { f, labelsOf } = fixture(README_CONFIG);
    let b = 0;
    for (let i = 0; i < N; i++) if (labelsOf(routed(send(f).decision).destination)[REV] === 'B') b++;
    assert.ok(Math.abs(b / N - 1 / 3) < 0.1, `B share ${b / N}`);
  });

  test('strict x-disagg-revision pins the revision; an unknown revision is 503 no-endpoints', () => {
    const { f, labelsOf } = fixture(README_CONFIG);
    for (let i = 0; i < 50; i++) assert.equal(labelsOf(routed(send(f, { 'x-disagg-revision': 'B' }).decision).destination)[REV], 'B');
    const d = send(f, { 'x-disagg-revision': 'C' }).decision;
    assert.ok(!d.ok);
    assert.deepEqual([d.status, d.error.code, d.dropReason, d.error.message], [503, 'NO_ENDPOINT', 'rejected-no-endpoints', 'screeners eliminated all endpoint candidates']);
  });

  test('prefer x-disagg-slice screens nothing: the revision is still drawn, the slice scorer picks s1 inside A', () => {
    const { f, labelsOf } = fixture(README_CONFIG);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const l = labelsOf(routed(send(f, { 'x-disagg-slice': 's1' }).decision).destination);
      seen.add(l[REV]!);
      if (l[REV] === 'A') assert.equal(l[SLICE], 's1');
    }
    assert.deepEqual([...seen].sort(), ['A', 'B'], 'B (no s1 pod) still gets traffic');
  });

  test('the response carries the serving pod revision and slice', () => {
    const { f, labelsOf } = fixture(README_CONFIG);
    const { ctx, decision } = send(f);
    const l = labelsOf(routed(decision).destination);
    f.director.handleResponseHeaders(ctx, new Map([[':status', '200']]), '');
    assert.deepEqual(Object.fromEntries(ctx.response.headers!), { 'x-disagg-revision': l[REV], 'x-disagg-slice': l[SLICE] });
  });

  test('explain lists the screener before the profiles', () => {
    const { f } = fixture(README_CONFIG);
    const e = f.director.explain(new Map([['x-disagg-revision', 'B'], [':path', '/v1/completions']]), Buffer.from('{"model":"m","prompt":"x"}'));
    assert.deepEqual(e.screeners, [{ name: 'rollout-screener', type: 'disaggregatedset-rollout-screener', kept: 2 }]);
    assert.equal(e.profiles[0]!.endpoints.length, 2);
  });
});

describe('the screener in front of a P/D config', () => {
  test('decode destination and x-prefiller-host-port are always of the same revision; both revisions serve', () => {
    const { f, labelsOf } = fixture(PD_CONFIG);
    const pairs = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const d = routed(send(f).decision);
      const prefiller = header(d, 'x-prefiller-host-port');
      assert.ok(prefiller !== undefined, 'prefill ran');
      const [dl, pl] = [labelsOf(d.destination), labelsOf(prefiller)];
      assert.deepEqual([dl['llm-d.ai/role'], pl['llm-d.ai/role']], ['decode', 'prefill']);
      assert.equal(dl[REV], pl[REV], `decode ${d.destination} and prefill ${prefiller} differ in revision`);
      pairs.add(dl[REV]!);
    }
    assert.deepEqual([...pairs].sort(), ['A', 'B']);
  });

  test('a revision without a Ready decode pod gets no traffic, pinned or not', () => {
    const noBDecode = TWO_REVISIONS.slice(0, 5); // B keeps only its prefill pod
    const { f, labelsOf } = fixture(PD_CONFIG, noBDecode);
    for (let i = 0; i < 100; i++) {
      const d = routed(send(f).decision);
      assert.deepEqual([labelsOf(d.destination)[REV], labelsOf(header(d, 'x-prefiller-host-port')!)[REV]], ['A', 'A']);
    }
    const pinned = send(f, { 'x-disagg-revision': 'B' }).decision;
    assert.ok(!pinned.ok && pinned.status === 503);
  });
});
