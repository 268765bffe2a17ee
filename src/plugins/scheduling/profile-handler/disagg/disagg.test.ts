/**
 * disagg-profile-handler, pd-profile-handler and the deciders (llm-d-router
 * pkg/epp/framework/plugins/scheduling/profilehandler/disagg/, mirror commit ebab68792): the decider table is
 * upstream's prefix_based_pd_decider_test.go TestPrefixBasedPDDecider_disaggregate row for row; the handler
 * and header tables follow the paths of disagg_profile_handler.go (Pick, ProcessResults, PreRequest) and
 * disagg_headers_handler.go; then the handler loaded from config, through the scheduler and the director,
 * and upstream's P/D sample configs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSchedulerConfig, ConfigError } from '../../../../config/loader.ts';
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  INFLIGHT_LOAD_KEY,
  INFLIGHT_LOAD_PRODUCER_TYPE,
  PREFIX_CACHE_MATCH_INFO_KEY,
  type InflightLoad,
  type PrefixCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { ProfileRunResult, SchedulerProfile, SchedulingResult } from '../../../../framework/scheduling.ts';
import { inTreePluginRegistry } from '../../../registry.ts';
import { RequestContext } from '../../../../requestcontrol/request-context.ts';
import type { RequestDecision, RouteDecision } from '../../../../requestcontrol/decision.ts';
import { isConditionalDecode } from '../../../../requestcontrol/conditional-decode.ts';
import { directorFixture } from '../../../../../test/support/director-fixture.ts';
import { labelledEndpoints, makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { AlwaysDisaggMultimodalDecider, AlwaysDisaggPDDecider, PrefixBasedPDDecider, type Decider } from './deciders.ts';
import {
  DisaggProfileHandler,
  parseDisaggParams,
  parseStageOrder,
  PREFILL_ENDPOINT_HEADER,
  ENCODER_ENDPOINTS_HEADER,
  setDisaggHeaders,
} from './disagg.ts';

const KEY = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, APPROX_PREFIX_CACHE_PRODUCER_TYPE);

/** A request of `tokens` prompt tokens (4 chars each) whose prefix info says `cached` tokens hit (block size 1). */
function requestWith(tokens: number, cached: number): LLMRequest {
  const r = makeRequest({ promptText: 'x'.repeat(tokens * 4) });
  const info: PrefixCacheMatchInfo = { request: r, totalBlocks: tokens, blockSizeTokens: 1, matchBlocks: () => cached, matchRatio: () => (tokens ? cached / tokens : 0) };
  r.data.set(KEY, info);
  return r;
}

// prefix_based_pd_decider_test.go TestPrefixBasedPDDecider_disaggregate (input 10 tokens, block size 1).
describe('prefix-based-pd-decider (upstream table)', () => {
  const cases: { name: string; nonCached: number; prompt?: number; cached: number | null; want: boolean }[] = [
    { name: 'threshold zero disables disaggregation', nonCached: 0, cached: 5, want: false },
    { name: 'threshold zero with nil endpoint disables disaggregation', nonCached: 0, cached: null, want: false },
    { name: 'nil endpoint returns false', nonCached: 5, cached: null, want: false },
    { name: 'input shorter than promptTokens threshold', nonCached: 5, prompt: 20, cached: 0, want: false },
    { name: 'input shorter than threshold', nonCached: 20, cached: 0, want: false },
    { name: 'input equals promptTokens threshold', nonCached: 5, prompt: 10, cached: 5, want: true },
    { name: 'non-cached suffix below threshold', nonCached: 5, cached: 8, want: false },
    { name: 'non-cached suffix equals threshold', nonCached: 5, cached: 5, want: true },
    { name: 'non-cached suffix above threshold', nonCached: 3, cached: 2, want: true },
    { name: 'fully cached prompt', nonCached: 1, cached: 10, want: false },
    { name: 'no cache hit at all', nonCached: 5, cached: 0, want: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = new PrefixBasedPDDecider('d', c.nonCached, c.prompt ?? 0);
      assert.equal(d.disaggregate(requestWith(10, c.cached ?? 0), c.cached === null ? null : makeEndpoint(1)), c.want);
    });
  }
  test('no prefix-cache state for the request: no disaggregation (upstream: unable to read prefix cache state)', () => {
    assert.equal(new PrefixBasedPDDecider('d', 5, 0).disaggregate(makeRequest({ promptText: 'x'.repeat(400) }), makeEndpoint(1)), false);
  });
  test('parameters: negative values are rejected, unknown ones too', () => {
    const reg = inTreePluginRegistry();
    const f = reg.factory('prefix-based-pd-decider')!;
    assert.throws(() => f('d', { nonCachedTokens: -1 }, testHandle()), /nonCachedTokens/);
    assert.throws(() => f('d', { promptTokens: -1 }, testHandle()), /promptTokens/);
    const d = f('d', { nonCachedTokens: 100 }, testHandle()) as PrefixBasedPDDecider;
    assert.deepEqual([d.nonCachedTokens, d.promptTokens], [100, 0]);
    assert.equal((f('d', undefined, testHandle()) as PrefixBasedPDDecider).nonCachedTokens, 0);
  });
});

test('always-disagg-pd-decider always; always-disagg-multimodal-decider on image/video/audio content', () => {
  assert.equal(new AlwaysDisaggPDDecider('a').disaggregate(), true);
  const mm = new AlwaysDisaggMultimodalDecider('m');
  assert.equal(mm.disaggregate(makeRequest({ promptText: '[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]' })), true);
  assert.equal(mm.disaggregate(makeRequest({ promptText: '[{"role":"user","content":"hi"}]' })), false);
});

// disagg_profile_handler_test.go: ParseStageOrder and the config parser.
test('stageOrder parsing as upstream ParseStageOrder', () => {
  for (const [s, want] of [['', 'decode-first'], ['decode-first', 'decode-first'], ['DecodeFirst', 'decode-first'], ['decode', 'decode-first'], ['prefill_first', 'prefill-first'], ['PREFILL', 'prefill-first'], ['bogus', null]] as const) {
    assert.equal(parseStageOrder(s), want, s);
  }
});

test('disagg-profile-handler parameters: nested, deprecated flat, defaults, invalid', () => {
  const d = parseDisaggParams('h', undefined, null);
  assert.deepEqual([d.stageOrder, d.decode, d.prefill, d.encode, d.prefillDecider], ['decode-first', 'decode', 'prefill', 'encode', '']);
  const n = parseDisaggParams('h', { profiles: { decode: 'D', prefill: 'P' }, deciders: { prefill: 'dec' } }, null);
  assert.deepEqual([n.decode, n.prefill, n.prefillDecider], ['D', 'P', 'dec']);
  const l = parseDisaggParams('h', { decodeProfile: 'D', prefillProfile: 'P', deciderPluginName: 'old', encodeDeciderPluginName: 'e' }, null);
  assert.deepEqual([l.decode, l.prefill, l.prefillDecider, l.encodeDecider], ['D', 'P', 'old', 'e']);
  assert.equal(parseDisaggParams('h', { prefillDeciderPluginName: 'new', deciderPluginName: 'old' }, null).prefillDecider, 'new');
  assert.throws(() => parseDisaggParams('h', { stageOrder: 'sideways' }, null), /invalid stage order/);
  assert.throws(() => parseDisaggParams('h', { stageOrder: 'prefill-first', deciders: { prefill: 'x' } }, null), /not supported in prefill-first/);
  assert.throws(() => parseDisaggParams('h', { profiles: { decode: 'D' }, decodeProfile: 'X' }, null), /unknown parameter/);
});

// ------------------------------------------------------------ the handler's rounds

function fakeProfile(name: string, ep: Endpoint | null): SchedulerProfile & { runs: number } {
  const result: ProfileRunResult | null = ep === null ? null : { endpoints: [ep], count: 1 };
  return { name, runs: 0, run() { this.runs++; return result; } };
}

/** Runs the handler's rounds as the engine does; returns the profile names in run order and the outcome. */
function cycle(h: DisaggProfileHandler, profiles: SchedulerProfile[], req: LLMRequest = makeRequest()) {
  const results = new Map<string, ProfileRunResult | null>();
  const order: string[] = [];
  for (let round = 0; round < 10; round++) {
    const picked = h.pick(req, profiles, results);
    if (picked.length === 0) break;
    for (const p of [...picked]) {
      order.push(p.name);
      results.set(p.name, p.run(req, []));
    }
  }
  return { order, results, outcome: h.processResults(req, results) };
}

const yes: Decider = { type: 't', name: 'yes', disaggregate: () => true };
const no: Decider = { type: 't', name: 'no', disaggregate: () => false };

describe('disagg-profile-handler rounds (the paths of upstream Handler.Pick / ProcessResults)', () => {
  const D = makeEndpoint(1);
  const P = makeEndpoint(2);
  const E = makeEndpoint(3);
  const params = (o: Partial<ReturnType<typeof parseDisaggParams>> = {}) => ({ ...parseDisaggParams('h', undefined, null), ...o });
  const cases: { name: string; stage?: 'decode-first' | 'prefill-first'; prefill?: Decider; encode?: Decider; profiles: [string, Endpoint | null][]; order: string[]; ok: boolean; decision?: string }[] = [
    { name: 'decode only: no prefill profile', profiles: [['decode', D]], order: ['decode'], ok: true, decision: 'decode-only' },
    { name: 'decider says no: prefill not run', prefill: no, profiles: [['decode', D], ['prefill', P]], order: ['decode'], ok: true, decision: 'decode-only' },
    { name: 'no decider configured: P/D disabled', profiles: [['decode', D], ['prefill', P]], order: ['decode'], ok: true, decision: 'decode-only' },
    { name: 'decider says yes: decode then prefill', prefill: yes, profiles: [['decode', D], ['prefill', P]], order: ['decode', 'prefill'], ok: true, decision: 'prefill-decode' },
    { name: 'decode fails: prefill not run, cycle fails', prefill: yes, profiles: [['decode', null], ['prefill', P]], order: ['decode'], ok: false },
    { name: 'prefill finds nothing: still routed to decode', prefill: yes, profiles: [['decode', D], ['prefill', null]], order: ['decode', 'prefill'], ok: true, decision: 'decode-only' },
    { name: 'E/P/D decode-first: decode, encode, prefill', prefill: yes, encode: yes, profiles: [['decode', D], ['prefill', P], ['encode', E]], order: ['decode', 'encode', 'prefill'], ok: true, decision: 'encode-prefill-decode' },
    { name: 'E/D: encode decider yes, prefill no', prefill: no, encode: yes, profiles: [['decode', D], ['prefill', P], ['encode', E]], order: ['decode', 'encode'], ok: true, decision: 'encode-decode' },
    { name: 'prefill-first: prefill then decode', stage: 'prefill-first', profiles: [['decode', D], ['prefill', P]], order: ['prefill', 'decode'], ok: true, decision: 'prefill-decode' },
    { name: 'prefill-first, E/P/D: prefill, encode, decode', stage: 'prefill-first', encode: yes, profiles: [['decode', D], ['prefill', P], ['encode', E]], order: ['prefill', 'encode', 'decode'], ok: true, decision: 'encode-prefill-decode' },
    { name: 'missing decode profile: nothing runs', prefill: yes, profiles: [['prefill', P]], order: [], ok: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const h = new DisaggProfileHandler('disagg-profile-handler', 'h', params({ stageOrder: c.stage ?? 'decode-first' })).setDeciders(c.prefill ?? null, c.encode ?? null);
      const { order, outcome } = cycle(h, c.profiles.map(([n, ep]) => fakeProfile(n, ep)));
      assert.deepEqual(order, c.order);
      assert.equal(outcome.ok, c.ok);
      if (outcome.ok) assert.equal(outcome.primaryProfileName, 'decode');
      if (c.decision !== undefined) assert.equal(h.lastDecision, c.decision);
    });
  }
});

// disagg_headers_handler_test.go: the header is the prefill pick's host:port; absent without one; cleared first.
test('headers: x-prefiller-host-port from the prefill pick, x-encoder-hosts-ports from the encode picks', () => {
  const D = makeEndpoint(1);
  const P = makeEndpoint(2);
  const r = makeRequest();
  const res = (m: [string, ProfileRunResult | null][]): SchedulingResult => {
    const profileResults = new Map(m);
    return { ok: true, profileResults, primaryProfileName: 'decode', primary: profileResults.get('decode')! };
  };
  setDisaggHeaders(r, res([['decode', { endpoints: [D], count: 1 }]]), 'prefill', 'encode');
  assert.equal(r.outHeaders, null, 'decode-only allocates nothing');
  setDisaggHeaders(r, res([['decode', { endpoints: [D], count: 1 }], ['prefill', { endpoints: [P], count: 1 }], ['encode', { endpoints: [makeEndpoint(3), makeEndpoint(4)], count: 2 }]]), 'prefill', 'encode');
  const out = (): Map<string, string> | null => r.outHeaders;
  assert.equal(out()?.get(PREFILL_ENDPOINT_HEADER), '10.0.0.2:8000');
  assert.equal(out()?.get(ENCODER_ENDPOINTS_HEADER), '10.0.0.3:8000,10.0.0.4:8000');
  setDisaggHeaders(r, res([['decode', { endpoints: [D], count: 1 }], ['prefill', null]]), 'prefill', 'encode');
  assert.equal(out()?.has(PREFILL_ENDPOINT_HEADER), false, 'a previous value is cleared');
});

test('Prefer: if-available parsing as upstream IsConditionalDecode', () => {
  for (const [v, want] of [['if-available', true], ['IF-AVAILABLE', true], [' respond-async, if-available; x=1', true], ['wait=10', false], ['', false], [undefined, false], ['if-availablex', false]] as const) {
    assert.equal(isConditionalDecode(v), want, String(v));
  }
});

// ------------------------------------------------------------ loaded from config

const PD_CONFIG = (decider: string) => `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefill-filter
- type: decode-filter
- type: prefix-cache-scorer
- type: queue-scorer
- type: max-score-picker
- ${decider}
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: pd-decider
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: prefix-cache-scorer
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
`;

const ROLES = [{ 'llm-d.ai/role': 'prefill' }, { 'llm-d.ai/role': 'prefill' }, { 'llm-d.ai/role': 'decode' }, { 'llm-d.ai/role': 'decode' }];

test('config: an unknown decider name and a non-decider are load errors', () => {
  const bad = (text: string) => assert.throws(() => loadSchedulerConfig(text, testHandle(), { registry: inTreePluginRegistry() }), ConfigError);
  bad(PD_CONFIG('type: always-disagg-pd-decider\n  name: other'));
  bad(PD_CONFIG('type: queue-scorer\n  name: pd-decider'));
});

function send(f: ReturnType<typeof directorFixture>, prompt: string, headers: Record<string, string> = {}): { ctx: RequestContext; decision: RequestDecision } {
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  for (const [k, v] of Object.entries(headers)) ctx.request.headers.set(k, v);
  f.director.handleRequestHeaders(ctx);
  const b = Buffer.from(JSON.stringify({ model: 'm', prompt }));
  return { ctx, decision: f.director.handleRequest(ctx, { chunks: [b], bytes: b.length }) };
}
const routed = (d: RequestDecision): RouteDecision => {
  assert.ok(d.ok, d.ok ? '' : `${d.status} ${d.error.code}: ${d.error.message}`);
  return d;
};
const header = (d: RouteDecision, name: string) => d.headers.find((h) => h.name === name)?.value;

describe('director end to end with a P/D config (upstream sample shape)', () => {
  test('always-disagg: destination is a decode pod, x-prefiller-host-port a prefill pod', () => {
    const f = directorFixture({ pods: 4, podLabels: ROLES, configText: PD_CONFIG('type: always-disagg-pd-decider\n  name: pd-decider') });
    const d = routed(send(f, 'hello '.repeat(50)).decision);
    assert.match(d.destination, /^10\.0\.0\.[34]:8000/);
    assert.match(header(d, PREFILL_ENDPOINT_HEADER) ?? '', /^10\.0\.0\.[12]:8000$/);
  });
  test('prefix-based: a short prompt is decode-only (no header), a long uncached one is disaggregated, its repeat is not', () => {
    const f = directorFixture({ pods: 4, podLabels: ROLES, configText: PD_CONFIG('type: prefix-based-pd-decider\n  name: pd-decider\n  parameters:\n    nonCachedTokens: 256') });
    const short = routed(send(f, 'hi').decision);
    assert.equal(header(short, PREFILL_ENDPOINT_HEADER), undefined);
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(200); // ~2250 tokens
    const first = routed(send(f, long).decision);
    assert.ok(header(first, PREFILL_ENDPOINT_HEADER), 'uncached long prompt: P/D');
    const again = routed(send(f, long).decision);
    assert.equal(again.destination, first.destination, 'the repeat goes to the decode pod that holds the prefix');
    assert.equal(header(again, PREFILL_ENDPOINT_HEADER), undefined, 'cached on the decode pod: decode only');
  });
  test('Prefer: if-available: 412 when the decode pick holds none of the prompt, routed when it does', () => {
    const f = directorFixture({ pods: 4, podLabels: ROLES, configText: PD_CONFIG('type: always-disagg-pd-decider\n  name: pd-decider') });
    const long = 'lorem ipsum dolor sit amet '.repeat(100);
    const miss = send(f, long, { prefer: 'if-available' }).decision;
    assert.ok(!miss.ok);
    assert.deepEqual([miss.status, miss.error.code], [412, 'PRECONDITION_FAILED']);
    routed(send(f, long).decision);
    routed(send(f, long, { prefer: 'if-available' }).decision);
  });
  test('in-flight load on both endpoints: the prefill pod is charged until the decode response starts', () => {
    const text = PD_CONFIG('type: always-disagg-pd-decider\n  name: pd-decider').replace('- type: max-score-picker\n', '- type: max-score-picker\n- type: inflight-load-producer\n');
    const f = directorFixture({ pods: 4, podLabels: ROLES, configText: text });
    const long = 'prefill me once, decode me twice. '.repeat(80);
    const { ctx, decision } = send(f, long);
    const d = routed(decision);
    const prefillKey = header(d, PREFILL_ENDPOINT_HEADER)!;
    const prefillEp = f.datastore.endpoints().find((e) => e.key === prefillKey)!;
    const load = () => prefillEp.attributes.get(dataKey(INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE)) as InflightLoad | undefined;
    assert.equal(load()?.requests, 1, 'prefill endpoint charged');
    assert.ok((load()?.tokens ?? 0) > 0);
    f.director.handleResponseHeaders(ctx, new Map([[':status', '200']]), d.destination.split(',')[0]!);
    assert.deepEqual([load()?.requests, load()?.tokens], [0, 0], 'released when the decode response starts');
  });
  test('a prefill profile with another name is still the prefill stage: its pod is charged and holds the prefix', () => {
    const text = PD_CONFIG('type: always-disagg-pd-decider\n  name: pd-decider')
      .replace('- type: max-score-picker\n', '- type: max-score-picker\n- type: inflight-load-producer\n')
      .replace('    deciders:\n', '    profiles:\n      prefill: warm-up\n      decode: decode\n    deciders:\n')
      .replace('- name: prefill\n', '- name: warm-up\n');
    const f = directorFixture({ pods: 4, podLabels: ROLES, configText: text });
    const long = 'a prompt for a renamed prefill profile. '.repeat(80);
    const d = routed(send(f, long).decision);
    const prefillKey = header(d, PREFILL_ENDPOINT_HEADER)!;
    assert.match(prefillKey, /^10\.0\.0\.[12]:8000$/);
    const prefillEp = f.datastore.endpoints().find((e) => e.key === prefillKey)!;
    const load = prefillEp.attributes.get(dataKey(INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE)) as InflightLoad | undefined;
    assert.equal(load?.requests, 1, "the renamed prefill profile's pick is charged");
    // The prefix index learned the prompt on the prefill pod too: the same prompt's prefix info matches there.
    const again = send(f, long);
    const info = again.ctx.request.data.get(KEY) as PrefixCacheMatchInfo;
    assert.ok(info.matchBlocks(prefillEp) > 0, 'prefix recorded on the prefill pod');
  });
  test('pd-profile-handler (deprecated) with its default decider name and the old threshold parameter', () => {
    const text = PD_CONFIG('type: queue-scorer\n  name: unused-scorer').replace(
      '- type: disagg-profile-handler\n  parameters:\n    deciders:\n      prefill: pd-decider\n',
      '- type: pd-profile-handler\n  parameters:\n    threshold: 10\n    hashBlockSize: 5\n',
    );
    const f = directorFixture({ pods: 4, podLabels: ROLES, configText: text });
    const d = routed(send(f, 'x'.repeat(400)).decision);
    assert.match(d.destination, /^10\.0\.0\.[34]:8000/);
    assert.ok(header(d, PREFILL_ENDPOINT_HEADER));
  });
});

test('loaded through the scheduler: both profiles in the result, decode primary', () => {
  const loaded = loadSchedulerConfig(PD_CONFIG('type: always-disagg-pd-decider\n  name: pd-decider'), testHandle(), { registry: inTreePluginRegistry() });
  const { eps } = labelledEndpoints(ROLES.map((l, i) => [`p${i}`, l] as const));
  const out = loaded.scheduler.schedule(makeRequest({ promptText: 'abc' }), eps);
  assert.ok(out.ok);
  assert.equal(out.primaryProfileName, 'decode');
  assert.deepEqual([...out.profileResults.keys()].sort(), ['decode', 'prefill']);
  assert.equal(out.profileResults.get('prefill')?.endpoints[0]?.labels['llm-d.ai/role'], 'prefill');
});

test('metrics: llm_d_epp_disagg_decision_total counts each cycle by model and decision', async () => {
  const { PickerMetrics } = await import('../../../../observability/metrics.ts');
  const { Datastore } = await import('../../../../datastore/datastore.ts');
  const h = new DisaggProfileHandler('disagg-profile-handler', 'h', parseDisaggParams('h', undefined, null)).setDeciders(yes);
  const req = makeRequest({ model: 'llama' });
  cycle(h, [fakeProfile('decode', makeEndpoint(1)), fakeProfile('prefill', makeEndpoint(2))], req);
  cycle(h, [fakeProfile('decode', makeEndpoint(1))], req);
  const m = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'd' }), {
    stalenessMs: 1000,
    now: () => 0,
    disaggDecisions: function* () {
      for (const [model, d, n] of h.disaggDecisionCounts()) yield [h.name, h.type, model, d, n] as const;
    },
  });
  const text = await m.registry.metrics();
  assert.match(text, /llm_d_epp_disagg_decision_total\{plugin_name="h",plugin_type="disagg-profile-handler",model_name="llama",decision_type="prefill-decode"\} 1/);
  assert.match(text, /llm_d_epp_disagg_decision_total\{[^}]*decision_type="decode-only"\} 1/);
  assert.match(text, /llm_d_inference_scheduler_disagg_decision_total\{model_name="llama",decision_type="prefill-decode"\} 1/);
});

// Upstream's own P/D sample configs (test/data/upstream/configs/, sources in SOURCES.md there): every one that
// loads with in-tree plugins routes a long uncached prompt to a decode pod with a prefill pod in the header.
describe('upstream P/D sample configs route as upstream', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(import.meta.dirname, '../../../../../test/data/upstream/configs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && /(disagg|pd)-profile-handler/.test(readFileSync(join(dir, f), 'utf8')));
  let routedCount = 0;
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    let loads = true;
    try {
      loadSchedulerConfig(text, testHandle(), { registry: inTreePluginRegistry() });
    } catch {
      loads = false; // names plugins of other issues, or a sketch: test/upstream-configs.test.ts classifies it
    }
    if (!loads) continue;
    routedCount++;
    test(file, () => {
      // Roles as upstream's P/D deployments label them; an encode pod for the E/P/D samples.
      const roles = [...ROLES, { 'llm-d.ai/role': 'encode' }].map((l) => ({ ...l, role: l['llm-d.ai/role']! })); // some samples select on `role`
      const f = directorFixture({ pods: 5, podLabels: roles, configText: text });
      const d = routed(send(f, 'an uncached prompt long enough for any threshold '.repeat(200)).decision);
      assert.match(d.destination, /^10\.0\.0\.[34]:8000/, 'a decode pod');
      const positive = (re: RegExp) => [...text.matchAll(re)].some((m) => Number(m[1]) > 0);
      const wantPD =
        /- name: "?prefill"?\s/.test(text) &&
        (/always-disagg-pd-decider/.test(text) || positive(/nonCachedTokens:\s*(\d+)/g) || (/pd-profile-handler/.test(text) && positive(/threshold:\s*(\d+)/g)));
      const got = header(d, PREFILL_ENDPOINT_HEADER);
      if (wantPD) assert.match(got ?? '', /^10\.0\.0\.[12]:8000$/, 'a prefill pod in x-prefiller-host-port');
      else assert.equal(got, undefined, 'decode only');
    });
  }
  test('most samples load', () => assert.ok(routedCount >= 15, `${routedCount} of ${files.length}`));
});
