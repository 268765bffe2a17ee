/**
 * Decision explain against the real picker and fake vLLM servers: the x-epp-explain header (only when
 * --enable-explain-header), POST /debug/explain (a dry run: nothing routed or counted) and `epp explain`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { ProcessingResponse } from '../src/extproc/codec/proto.ts';
import type { Explanation } from '../src/framework/explain.ts';
import { spawnChild } from './support/child.ts';
import { mutatedHeader } from './support/envoy-driver.ts';
import { startFixture, type Fixture } from './support/picker-fixture.ts';

const BIN = fileURLToPath(new URL('../bin/epp.js', import.meta.url));
const PROMPT = { model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'Write a haiku about load balancing.', max_tokens: 16 };
const DEST = 'x-gateway-destination-endpoint';

function responseHeader(r: ProcessingResponse, name: string): string | undefined {
  const h = r.response_headers?.response?.header_mutation?.set_headers?.find((o) => o.header?.key === name)?.header;
  return h ? Buffer.from(h.raw_value ?? '').toString() : undefined;
}

async function loaded(flags: string[]): Promise<Fixture> {
  const fx = await startFixture({ flags });
  Object.assign(fx.servers[0]!.load, { waiting: 10, kv: 0.9 });
  Object.assign(fx.servers[1]!.load, { waiting: 0, kv: 0.1 });
  Object.assign(fx.servers[2]!.load, { waiting: 5, kv: 0.5 });
  await fx.synced();
  return fx;
}

/** Routes PROMPT with `headers` and returns the destination and the response-header answer. */
async function routeAndRespond(fx: Fixture, headers: Record<string, string>): Promise<{ destination: string; explanation: string | undefined }> {
  const { session, responses } = await fx.envoy.request({ body: PROMPT, headers });
  const destination = mutatedHeader(responses[0]!, DEST)!;
  const resp = await fx.envoy.respond(session, { headers: { 'content-type': 'application/json' }, chunks: ['{"id":"1"}'] });
  session.close();
  await fx.picker.extProc.idle();
  return { destination, explanation: responseHeader(resp[0]!, 'x-epp-explanation') };
}

/** The explanation is internally consistent and names `destination` as the pick. */
function assertMatchesPick(e: Explanation, destination: string, endpoints: number): void {
  assert.equal(e.outcome, 'routed');
  assert.equal(e.destination, destination);
  const p = e.profiles.find((x) => x.profile === e.primaryProfile)!;
  assert.equal(p.picked[0], destination);
  assert.equal(p.endpoints.length, endpoints);
  assert.ok(p.scorers.length > 0);
  const best = Math.max(...p.endpoints.map((x) => x.total));
  for (const ep of p.endpoints) {
    const sum = p.scorers.reduce((s, sc, i) => s + sc.weight * ep.scores[i]!, 0);
    assert.ok(Math.abs(sum - ep.total) < 1e-9, `${ep.endpoint}: total ${ep.total} is the weighted sum ${sum}`);
    if (ep.endpoint === destination) {
      assert.equal(ep.rank, 0);
      assert.equal(ep.total, best, 'max-score picker: the pick has the best total');
    } else {
      assert.notEqual(ep.rank, 0);
      assert.match(ep.why, /< .* of the pick; lost most on /);
    }
  }
}

describe('explain header enabled (--enable-explain-header)', () => {
  let fx: Fixture;
  before(async () => (fx = await loaded(['--enable-explain-header'])));
  after(() => fx.close());

  test('the explanation in x-epp-explanation matches the actual pick', async () => {
    const { destination, explanation } = await routeAndRespond(fx, { 'x-epp-explain': '1' });
    assert.equal(destination, `127.0.0.3:${fx.port}`);
    assert.ok(explanation, 'x-epp-explanation response header');
    assertMatchesPick(JSON.parse(explanation) as Explanation, destination, 3);
  });

  test('a rejected request gets its explanation on the immediate response', async () => {
    const { session, responses } = await fx.envoy.request({ body: { prompt: 'no model' }, headers: { 'x-epp-explain': '1' } });
    session.close();
    const r = responses.at(-1)!.immediate_response!;
    assert.ok(r, 'immediate response');
    const h = r.headers?.set_headers?.find((o) => o.header?.key === 'x-epp-explanation')?.header;
    const e = JSON.parse(Buffer.from(h?.raw_value ?? '').toString()) as Explanation;
    assert.equal(e.outcome, 'BAD_REQUEST');
    assert.match(e.reason, /model not found/);
    assert.deepEqual(e.profiles, []);
  });

  test('a request without the header gets no explanation', async () => {
    const { explanation } = await routeAndRespond(fx, {});
    assert.equal(explanation, undefined);
  });
});

describe('explain header off (default); /debug/explain; epp explain', () => {
  let fx: Fixture;
  before(async () => (fx = await loaded([])));
  after(() => fx.close());

  test('the x-epp-explain header is ignored unless enabled', async () => {
    const { destination, explanation } = await routeAndRespond(fx, { 'x-epp-explain': '1' });
    assert.equal(destination, `127.0.0.3:${fx.port}`);
    assert.equal(explanation, undefined);
  });

  test('POST /debug/explain dry-runs the scheduler: the pick a request would get, no in-flight change, no metrics', async () => {
    // One request stays in flight meanwhile, so a dry run that charged or released would show.
    const { session, responses } = await fx.envoy.request({ body: PROMPT });
    const held = mutatedHeader(responses[0]!, DEST)!;
    const inflight = () => fx.picker.datastore.endpoints().map((e) => `${e.key}=${e.inflightRequests}`).join(' ');
    const before = inflight();
    assert.match(before, new RegExp(`${held.replace(/\./g, '\\.')}=1`));
    const attempts = async () => (await fx.picker.metrics.registry.metrics()).split('\n').filter((l) => /^llm_d_epp_(scheduler_attempts_total|scheduler_e2e_duration_seconds_count|request_total)/.test(l)).join('\n');
    const attemptsBefore = await attempts();
    assert.match(attemptsBefore, /scheduler_e2e_duration_seconds_count [1-9][^]*scheduler_attempts_total\{status="success"/);
    const res = await fetch(`http://127.0.0.1:${fx.picker.metricsPort}/debug/explain?path=/v1/completions`, { method: 'POST', body: JSON.stringify(PROMPT) });
    assert.equal(res.status, 200);
    const e = (await res.json()) as Explanation;
    assertMatchesPick(e, `127.0.0.3:${fx.port}`, 3);
    assert.equal(e.model, PROMPT.model);
    assert.equal(inflight(), before);
    assert.equal(await attempts(), attemptsBefore);
    session.close();
    await fx.picker.extProc.idle();
  });

  test('/debug/explain answers a rejected request with the reason', async () => {
    const res = await fetch(`http://127.0.0.1:${fx.picker.metricsPort}/debug/explain?path=/v1/completions`, { method: 'POST', body: '{"prompt": "no model"}' });
    const e = (await res.json()) as Explanation;
    assert.equal(e.outcome, 'BAD_REQUEST');
    assert.match(e.reason, /model not found/);
  });

  test('epp explain prints the table of scores and the pick', async (t) => {
    const p = spawnChild(t, process.execPath, [BIN, 'explain', '--url', `http://127.0.0.1:${fx.picker.metricsPort}`, '--model', PROMPT.model, '--prompt', 'hello there'], { name: 'epp explain' });
    assert.equal(await p.exit, 0, p.stderr());
    const out = p.stdout();
    assert.match(out, new RegExp(`routed to 127\\.0\\.0\\.3:${fx.port} \\(primary profile default\\)`));
    assert.match(out, new RegExp(`127\\.0\\.0\\.3:${fx.port} .* PICKED`));
    assert.match(out, /queue-scorer x\d/);
    assert.match(out, /lost most on/);
  });

  test('epp explain against nothing fails clearly', async (t) => {
    const p = spawnChild(t, process.execPath, [BIN, 'explain', '--url', 'http://127.0.0.1:1', '--data', '{}'], { name: 'epp explain' });
    assert.equal(await p.exit, 1);
    assert.match(p.stderr(), /epp explain: http:\/\/127\.0\.0\.1:1: /);
  });
});

describe('/debug/explain off', () => {
  test('--debug-explain=false: 404', async () => {
    const fx = await startFixture({ servers: 1, flags: ['--debug-explain=false'] });
    try {
      const res = await fetch(`http://127.0.0.1:${fx.picker.metricsPort}/debug/explain`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 404);
      await res.text();
    } finally {
      await fx.close();
    }
  });
});
