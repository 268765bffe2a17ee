import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, SimRequest, type EngineListener } from './engine.ts';
import type { EngineConfig } from './profile.ts';
import { blockHashes } from './tokens.ts';

/** Round constants so step times are easy to compute by hand. */
function config(over: Partial<EngineConfig> = {}): EngineConfig {
  return {
    modelName: 'm',
    maxNumSeqs: 16,
    maxNumBatchedTokens: 4096,
    blockSize: 16,
    numGpuBlocks: 1000,
    maxModelLen: 16000,
    maxLoras: 0,
    loraLoadMs: 5,
    maxWaiting: 0,
    stepBaseMs: 10,
    prefillTokenMs: 0.1,
    decodeRequestMs: 1,
    contextTokenMs: 0,
    queueBaseMs: 0,
    queueTokenMs: 0,
    ...over,
  };
}

interface Log {
  tokens: Map<string, number[]>;
  finished: Map<string, { t: number; reason: string }>;
}

function recorder(): { log: Log; listener: EngineListener } {
  const log: Log = { tokens: new Map(), finished: new Map() };
  return {
    log,
    listener: {
      onToken(r, t) {
        const list = log.tokens.get(r.id) ?? [];
        list.push(t);
        log.tokens.set(r.id, list);
      },
      onFinish(r, t) {
        log.finished.set(r.id, { t, reason: r.finishReason });
      },
    },
  };
}

function req(id: string, prompt: number, output: number, hashes: number[] = [], lora = ''): SimRequest {
  return new SimRequest(id, prompt, output, hashes, lora);
}

test('a known batch gives the documented step times', () => {
  const { log, listener } = recorder();
  const e = new Engine(config(), listener);
  e.add(req('a', 100, 3), 0);
  e.add(req('b', 100, 3), 0);
  e.advance(1000);
  // Step 1 prefills both: 10 + 0.1 * 200 = 30 ms. Steps 2, 3 decode both: 10 + 1 * 2 = 12 ms each.
  assert.deepEqual(log.tokens.get('a'), [30, 42, 54]);
  assert.deepEqual(log.tokens.get('b'), [30, 42, 54]);
  assert.equal(log.finished.get('a')?.t, 54);
  assert.equal(e.steps, 3);
});

test('a request arriving mid-step waits for the next step, and its prefill stretches the others', () => {
  const { log, listener } = recorder();
  const e = new Engine(config(), listener);
  e.add(req('a', 100, 4), 0);
  e.advance(5);
  e.add(req('b', 200, 1), 5);
  e.advance(1000);
  // a: prefill 0->20; step 20->51 decodes a (1 ms) and prefills b (0.1 * 200): 10 + 1 + 20; then 51->62, 62->73.
  assert.deepEqual(log.tokens.get('a'), [20, 51, 62, 73]);
  assert.deepEqual(log.tokens.get('b'), [51]);
});

test('chunked prefill splits a long prompt over steps within the token budget', () => {
  const { log, listener } = recorder();
  const e = new Engine(config({ maxNumBatchedTokens: 64 }), listener);
  e.add(req('a', 100, 2), 0);
  e.advance(1000);
  // 64 tokens (16.4 ms, no token yet), then 36 tokens (13.6 ms) -> first token at 30, then a decode step.
  const t = log.tokens.get('a') ?? [];
  assert.equal(t.length, 2);
  assert.ok(Math.abs((t[0] as number) - 30) < 1e-9);
  assert.ok(Math.abs((t[1] as number) - 41) < 1e-9);
});

test('max_num_seqs bounds the batch; the next request starts when one finishes', () => {
  const { log, listener } = recorder();
  const e = new Engine(config({ maxNumSeqs: 2 }), listener);
  for (const id of ['a', 'b', 'c']) e.add(req(id, 10, 2), 0);
  e.advance(0);
  assert.equal(e.numWaiting, 1);
  assert.equal(e.numRunning, 2);
  e.advance(1000);
  const aDone = log.finished.get('a')?.t as number;
  assert.ok((log.tokens.get('c')?.[0] as number) > aDone, 'c is scheduled only after a or b finished');
});

test('KV exhaustion preempts the newest running request, which recomputes and still finishes', () => {
  const { log, listener } = recorder();
  // 10 blocks = 160 tokens. Each request grows to 60 + 49 = 109 tokens = 7 blocks: both cannot fit.
  const e = new Engine(config({ numGpuBlocks: 10 }), listener);
  e.add(req('old', 60, 50), 0);
  e.add(req('new', 60, 50), 0);
  e.advance(100_000);
  assert.ok(e.stats.preemptions >= 1);
  assert.equal(log.tokens.get('old')?.length, 50);
  assert.equal(log.tokens.get('new')?.length, 50);
  assert.ok((log.finished.get('old')?.t as number) < (log.finished.get('new')?.t as number), 'the older request is never the victim');
  assert.equal(e.kv.freeBlocks, 10, 'all blocks are free at the end');
});

test('a repeated prefix is served from the cache and lowers TTFT', () => {
  const { log, listener } = recorder();
  const text = 'x'.repeat(1280); // 320 tokens = 20 full blocks
  const hashes = blockHashes(text, 320, 16, '');
  const e = new Engine(config(), listener);
  const first = req('first', 320, 1, hashes);
  e.add(first, 0);
  e.advance(1000);
  const second = req('second', 320, 1, hashes);
  e.add(second, 1000);
  e.advance(2000);
  assert.equal(first.cachedTokens, 0);
  // At most floor((320 - 1) / 16) = 19 blocks are reused: the last token is always computed.
  assert.equal(second.cachedTokens, 304);
  const ttft1 = (log.tokens.get('first')?.[0] as number) - 0;
  const ttft2 = (log.tokens.get('second')?.[0] as number) - 1000;
  assert.equal(ttft1, 10 + 0.1 * 320);
  assert.ok(Math.abs(ttft2 - (10 + 0.1 * 16)) < 1e-9);
  assert.equal(e.stats.prefixHits, 304);
  assert.equal(e.stats.prefixQueries, 640);
});

test('LRU eviction drops the least recently freed prefix first', () => {
  const { listener } = recorder();
  // 12 blocks; a 64-token prompt with 1 output token holds 4 blocks, all full and hashed.
  const e = new Engine(config({ numGpuBlocks: 12 }), listener);
  const h = (c: string): number[] => blockHashes(c.repeat(256), 64, 16, '');
  e.add(req('a', 64, 1, h('a')), 0);
  e.advance(100);
  e.add(req('b', 64, 1, h('b')), 100);
  e.advance(200);
  // Free queue now: 4 never-used blocks, then a's 4, then b's 4. c and d need 8: they take the unused
  // ones and a's (least recently freed), so a's prefix is evicted and b's survives.
  e.add(req('c', 64, 1, h('c')), 200);
  e.add(req('d', 64, 1, h('d')), 200);
  e.advance(300);
  assert.equal(e.kv.evictions, 4);
  const b2 = req('b2', 64, 1, h('b'));
  const a2 = req('a2', 64, 1, h('a'));
  e.add(b2, 300);
  e.add(a2, 300);
  e.advance(400);
  assert.equal(b2.cachedTokens, 48, 'b kept its blocks (3 reusable: the last token is recomputed)');
  assert.equal(a2.cachedTokens, 0, 'a was evicted');
});

test('metrics gauges reflect queue, batch and KV state', () => {
  const { listener } = recorder();
  const e = new Engine(config({ maxNumSeqs: 1, numGpuBlocks: 100 }), listener);
  e.add(req('a', 160, 5), 0);
  e.add(req('b', 160, 5), 0);
  e.advance(0);
  assert.equal(e.numRunning, 1);
  assert.equal(e.numWaiting, 1);
  assert.ok(Math.abs(e.kvUsage() - 10 / 100) < 1e-12); // 160 prompt tokens = 10 blocks while prefilling
  e.advance(10_000);
  assert.equal(e.numRunning, 0);
  assert.equal(e.numWaiting, 0);
  assert.equal(e.kvUsage(), 0);
  assert.equal(e.stats.generationTokens, 10);
  assert.equal(e.stats.finishedLength, 2);
});

test('LoRA: max_loras distinct adapters per batch, others wait; loading costs a step surcharge', () => {
  const { log, listener } = recorder();
  const e = new Engine(config({ maxLoras: 1 }), listener);
  e.add(req('a', 10, 3, [], 'ad-1'), 0);
  e.add(req('b', 10, 3, [], 'ad-2'), 0);
  e.add(req('c', 10, 3, [], 'ad-1'), 0);
  e.advance(0);
  assert.deepEqual(e.runningAdapters(), ['ad-1']);
  assert.deepEqual(e.waitingAdapters(), ['ad-2']);
  e.advance(10_000);
  // a and c ran together (same adapter, one load: 10 + 0.1 * 20 + 5); b only after both finished.
  assert.equal(log.tokens.get('a')?.[0], 17);
  assert.equal(log.tokens.get('c')?.[0], 17);
  assert.ok((log.tokens.get('b')?.[0] as number) > (log.finished.get('a')?.t as number));
});

test('abort frees the blocks at once and reports finish reason abort', () => {
  const { log, listener } = recorder();
  const e = new Engine(config(), listener);
  const a = req('a', 100, 1000);
  e.add(a, 0);
  e.advance(50);
  assert.ok(e.kv.freeBlocks < 1000);
  e.abort(a, 50);
  assert.equal(e.kv.freeBlocks, 1000);
  assert.equal(log.finished.get('a')?.reason, 'abort');
  e.advance(1000);
  assert.equal(e.nextEventTime(), Infinity);
});

test('requests longer than max_model_len or the whole KV pool are refused; a full waiting queue too', () => {
  const { listener } = recorder();
  const e = new Engine(config({ maxModelLen: 100, numGpuBlocks: 4, maxWaiting: 1, maxNumSeqs: 1 }), listener);
  assert.equal(e.add(req('long', 90, 20), 0), 'too-long');
  assert.equal(e.add(req('kv', 60, 10), 0), 'too-long'); // 70 tokens > 64 tokens of KV
  assert.equal(e.add(req('a', 10, 5), 0), 'ok');
  assert.equal(e.add(req('b', 10, 5), 0), 'queue-full');
});

test('P/D decode leg: transferred KV counts as computed, only the last prompt token runs; preemption drops it', () => {
  const { log, listener } = recorder();
  const e = new Engine(config(), listener);
  const remote = req('remote', 1000, 2);
  remote.remoteTokens = 999;
  e.add(remote, 0);
  e.advance(1000);
  // The first step computes the one prompt token left, costed as a decode slot: 10 + 1 = 11 ms (a local prefill
  // would take 10 + 0.1 * 1000 = 110 ms).
  assert.equal(log.tokens.get('remote')?.[0], 11);
  assert.equal(e.kv.usage(), 0, 'its blocks were allocated and freed like any request');

  // With too few blocks for both, the newer request is preempted and recomputes its prompt locally.
  const small = new Engine(config({ numGpuBlocks: 80, maxNumBatchedTokens: 2000 }), recorder().listener);
  const a = req('a', 600, 200);
  const b = req('b', 600, 200);
  b.remoteTokens = 599;
  small.add(a, 0);
  small.add(b, 0);
  small.advance(100_000);
  assert.ok(b.preemptions > 0, 'b was preempted');
  assert.equal(b.remoteTokens, 0, 'its transferred KV is gone after preemption');
});
