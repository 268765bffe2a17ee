import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../sim/rng.ts';
import { randomText } from '../../loadgen/text.ts';
import { DynamoKv } from './dynamo-kv.ts';
import type { PeerRequest, PeerRouter } from './peer.ts';
import { ProductionStackPrefixAware } from './production-stack.ts';
import { SglangCacheAware } from './sglang-cache-aware.ts';
import { AibrixPrefixCache } from './aibrix-prefix-cache.ts';
import { ProductionStackLoadAware } from './production-stack-loadaware.ts';

const req = (text: string): PeerRequest => ({ text, tokens: Math.ceil(text.length / 4) });

for (const [name, make] of [
  ['sglang-cache-aware', (r: () => number) => new SglangCacheAware(r)],
  ['dynamo-kv', (r: () => number) => new DynamoKv(r)],
  ['production-stack-prefixaware', (r: () => number) => new ProductionStackPrefixAware(r)],
  ['aibrix-prefix-cache', (r: () => number) => new AibrixPrefixCache(r)],
  ['production-stack-loadaware', (r: () => number) => new ProductionStackLoadAware(r)],
] as [string, (r: () => number) => PeerRouter][]) {
  test(`${name}: a prompt sharing a long prefix goes where the prefix went; different prompts spread`, () => {
    const rng = new Rng(3);
    const p = make(() => rng.next());
    const prefix = randomText(rng, 2000);
    const a = req(prefix + randomText(rng, 50));
    const w = p.pick(a, 4, 0);
    p.firstToken(w, a);
    p.finish(w, a);
    assert.equal(p.pick(req(prefix + randomText(rng, 50)), 4, 10), w);
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const r = req(randomText(rng, 300));
      const x = p.pick(r, 4, 20 + i);
      seen.add(x);
    }
    assert.ok(seen.size >= 3, `${name} used ${seen.size} of 4 endpoints`);
  });
}

test('sglang-cache-aware: imbalance (max - min > 64 and > 1.5x) sends to the least-loaded worker', () => {
  const rng = new Rng(1);
  const p = new SglangCacheAware(() => rng.next());
  const prefix = randomText(rng, 500);
  const w = p.pick(req(prefix), 2);
  for (let i = 0; i < 70; i++) p.pick(req(prefix + randomText(rng, 10)), 2);
  assert.notEqual(p.pick(req(prefix), 2), w);
});

test('aibrix-prefix-cache: a matching pod above mean + 1 stddev of running requests loses to least-request', () => {
  const rng = new Rng(5);
  const p = new AibrixPrefixCache(() => rng.next());
  const prefix = randomText(rng, 400);
  const w = p.pick(req(prefix), 4, 0);
  // Counts [1,0,0,0] (w unfinished): mean 0.25 + stddev 0.43 < 1, so the full match on w does not qualify.
  assert.notEqual(p.pick(req(prefix + randomText(rng, 20)), 4, 1), w);
  // Once w's request finished, the match wins again.
  p.finish(w, req(prefix));
  const q = new AibrixPrefixCache(() => rng.next());
  const w2 = q.pick(req(prefix), 4, 0);
  q.finish(w2, req(prefix));
  assert.equal(q.pick(req(prefix + randomText(rng, 20)), 4, 1), w2);
});

test('production-stack-loadaware: the prefix holder wins until its load above the mean outweighs the match share', () => {
  const rng = new Rng(6);
  const p = new ProductionStackLoadAware(() => rng.next());
  // Background: two unfinished requests per endpoint (no match: the least loaded each time).
  for (let i = 0; i < 8; i++) p.pick(req(randomText(rng, 100)), 4, 0);
  const prefix = randomText(rng, 1000);
  const w = p.pick(req(prefix), 4, 1);
  const picks: number[] = [];
  for (let i = 0; i < 4; i++) picks.push(p.pick(req(prefix + randomText(rng, 10)), 4, 2 + i));
  // Loads w = 3, 4 (then 5): score 0.99 - (3 - 2.25) / 2.25 = 0.66 and 0.99 - 0.6 = 0.39 beat the others'
  // 0.11 and 0.2; at 5, 0.99 - 0.82 = 0.17 < 0.27.
  assert.deepEqual(picks.slice(0, 2), [w, w]);
  assert.notEqual(picks[3], w);
});

test('dynamo-kv with engine KV state: overlap comes from the engines, not from its own past decisions', () => {
  const rng = new Rng(7);
  const resident = [0, 0, 0, 0];
  const p = new DynamoKv(() => rng.next(), { resident: (w) => resident[w]! });
  const text = randomText(rng, 2000);
  const blocks = Array.from({ length: 125 }, (_, i) => i);
  // Engine 2 holds 100 of the prompt's blocks: it wins although the router never sent anything there.
  resident[2] = 100;
  const r = { ...req(text), blockHashes: blocks };
  assert.equal(p.pick(r, 4, 0), 2);
  p.firstToken(2, r);
  p.finish(2, r);
  // The engine evicted them: the router's own record no longer counts, and the next pick goes elsewhere.
  resident[2] = 0;
  const again = { ...req(text), blockHashes: blocks };
  const seen = new Set<number>();
  for (let i = 0; i < 4; i++) seen.add(p.pick({ ...again }, 4, 1 + i));
  assert.ok(seen.size > 1, 'without resident blocks the load spreads the requests');
});
