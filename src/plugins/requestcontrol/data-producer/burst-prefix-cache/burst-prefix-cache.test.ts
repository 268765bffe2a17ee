/**
 * burst-prefix-cache-producer: upstream burstprefix/plugin_test.go's cases (commit
 * ebab687927f5331c1b39defcb579a07951bce56c) with a timer the test fires, and the director holding a window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataKey, PREFIX_CACHE_MATCH_INFO_KEY, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { makeRequest } from '../../../../../test/support/scheduling/testing.ts';
import type { RequestDecision } from '../../../../requestcontrol/decision.ts';
import type { PendingDecision } from '../../../../requestcontrol/flow-gate.ts';
import { RequestContext } from '../../../../requestcontrol/request-context.ts';
import { directorFixture } from '../../../../../test/support/director-fixture.ts';
import { BurstPrefixCacheProducer, DEFAULT_BURST_PREFIX_CACHE_CONFIG, readBurstPrefixCacheConfig, type BurstPrefixCacheConfig } from './burst-prefix-cache.ts';

const endpoints = (n: number): Endpoint[] => Array.from({ length: n }, (_, i) => new Endpoint(`10.0.0.${i + 1}`, 8000, `pod${i + 1}`, 'default', 0, 'vllm'));
const PROMPT_A = 'a'.repeat(64); // 4 blocks of 4 tokens (16 bytes)
const PROMPT_B = 'b'.repeat(64);

/** A producer whose windows seal when the test calls seal(). */
function producer(over: Partial<BurstPrefixCacheConfig> = {}): { p: BurstPrefixCacheProducer; seal: () => void } {
  const fires: (() => void)[] = [];
  const p = new BurstPrefixCacheProducer('burst', { ...DEFAULT_BURST_PREFIX_CACHE_CONFIG, blockSizeTokens: 4, maxBatchSize: -1, ...over }, (fire) => fires.push(fire));
  return { p, seal: () => fires.shift()!() };
}

const request = (prompt: string): LLMRequest => makeRequest({ promptText: prompt, model: 'm' });

/** Holds `n` requests; after the seal, the endpoint each was steered to ('' = none). */
function window(p: BurstPrefixCacheProducer, prompts: string[], eps: Endpoint[]): { assigned: () => string[] } {
  const out: string[] = [];
  const reqs = prompts.map((text, i) => {
    const r = request(text);
    assert.equal(
      p.hold(r, eps, () => {
        p.produce(r, eps);
        const info = r.data.get(p.infoKey) as PrefixCacheMatchInfo;
        out[i] = eps.find((e) => info.matchBlocks(e) > 0)?.key ?? '';
      }),
      true,
    );
    return r;
  });
  return { assigned: () => (assert.equal(out.length, reqs.length, 'every held request is released'), out) };
}

test('New_RejectsInvalidConfig', () => {
  assert.throws(() => readBurstPrefixCacheConfig('burst', { windowDurationMs: 0 }), /windowDurationMs/);
  assert.throws(() => readBurstPrefixCacheConfig('burst', { windowDurationMs: 10_001 }), /windowDurationMs/);
  assert.throws(() => readBurstPrefixCacheConfig('burst', { maxPerReplica: 0 }), /maxPerReplica/);
  assert.throws(() => readBurstPrefixCacheConfig('burst', { blockSizeTokens: 0 }), /blockSizeTokens/);
  assert.throws(() => readBurstPrefixCacheConfig('burst', { balanceBy: 'bogus' }), /balanceBy/);
  assert.throws(() => readBurstPrefixCacheConfig('burst', { maxPrefixTokensToMatch: 10 }), /maxPrefixTokensToMatch/);
  assert.throws(() => readBurstPrefixCacheConfig('burst', { maxBatchSize: 0 }), /maxBatchSize/);
  assert.deepEqual(readBurstPrefixCacheConfig('burst', undefined), DEFAULT_BURST_PREFIX_CACHE_CONFIG);
});

test('Produce_ColocatesIdenticalPromptBurst', () => {
  const { p, seal } = producer();
  const w = window(p, Array(8).fill(PROMPT_A), endpoints(4));
  assert.equal(p.waiting, 8);
  seal();
  const names = w.assigned();
  assert.notEqual(names[0], '');
  for (const n of names) assert.equal(n, names[0], 'all samples of one prompt co-locate');
});

test('Produce_SingletonHasNoAffinity', () => {
  const { p, seal } = producer();
  const w = window(p, [PROMPT_A], endpoints(2));
  seal();
  assert.deepEqual(w.assigned(), ['']);
});

test('Produce_CancelledBeforeSeal: the request leaves the window and is never released', () => {
  const { p, seal } = producer();
  const eps = endpoints(2);
  const r = request(PROMPT_A);
  let released = false;
  p.hold(r, eps, () => (released = true));
  p.unhold(r);
  assert.equal(p.waiting, 0);
  seal();
  assert.equal(released, false);
  p.produce(r, eps);
  const info = r.data.get(p.infoKey) as PrefixCacheMatchInfo;
  for (const e of eps) assert.equal(info.matchBlocks(e), 0, 'a cancelled request has no affinity');
});

test('Produce_SecondWindowAfterSeal', () => {
  const { p, seal } = producer();
  const eps = endpoints(3);
  const first = window(p, Array(4).fill(PROMPT_A), eps);
  seal();
  assert.equal(p.waiting, 0, 'sealing detaches the window');
  const second = window(p, Array(4).fill(PROMPT_B), eps);
  seal();
  for (const names of [first.assigned(), second.assigned()]) {
    assert.notEqual(names[0], '');
    for (const n of names) assert.equal(n, names[0]);
  }
});

test('a full window lets the request go on at once (no affinity)', () => {
  const { p } = producer({ maxBatchSize: 1 });
  const eps = endpoints(2);
  assert.equal(p.hold(request(PROMPT_A), eps, () => {}), true);
  assert.equal(p.hold(request(PROMPT_A), eps, () => {}), false);
});

const CONFIG = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: burst-prefix-cache-producer
  parameters:
    windowDurationMs: 1
    blockSizeTokens: 4
- type: prefix-cache-scorer
  parameters:
    prefixMatchInfoProducerName: burst-prefix-cache-producer
- type: active-request-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: active-request-scorer
  - pluginRef: max-score-picker
`;

test('the director holds a burst for the window, then routes every sample to one endpoint', async () => {
  const f = directorFixture({ configText: CONFIG, pods: 4 });
  const body = Buffer.from(JSON.stringify({ model: 'm', prompt: PROMPT_A }));
  const pending: PendingDecision[] = [];
  for (let i = 0; i < 6; i++) {
    const ctx = new RequestContext();
    f.director.handleRequestHeaders(ctx);
    const d = f.director.admit(ctx, { chunks: [body], bytes: body.length });
    assert.equal(d.ok, 'queued', 'held for the window');
    pending.push(d as PendingDecision);
  }
  const cancelled = pending.pop()!;
  cancelled.cancel();
  let lateDecision = false;
  cancelled.onDecided(() => (lateDecision = true));
  const decisions = await Promise.all(pending.map((p) => new Promise<RequestDecision>((resolve) => p.onDecided(resolve))));
  const dest = decisions.map((d) => (d.ok === true ? d.destination : `error ${d.ok}`));
  for (const d of dest) assert.equal(d, dest[0], 'the whole burst lands on one endpoint');
  assert.equal(lateDecision, false, 'a cancelled request gets no decision');
  assert.equal(dataKey(PREFIX_CACHE_MATCH_INFO_KEY, 'burst-prefix-cache-producer'), 'prefix-cache-match-info/burst-prefix-cache-producer');
});
