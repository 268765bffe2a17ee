import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../sim/rng.ts';
import { randomText } from '../../loadgen/text.ts';
import { DynamoKv } from './dynamo-kv.ts';
import type { PeerRequest, PeerRouter } from './peer.ts';
import { ProductionStackPrefixAware } from './production-stack.ts';
import { SglangCacheAware } from './sglang-cache-aware.ts';

const req = (text: string): PeerRequest => ({ text, tokens: Math.ceil(text.length / 4) });

for (const [name, make] of [
  ['sglang-cache-aware', (r: () => number) => new SglangCacheAware(r)],
  ['dynamo-kv', (r: () => number) => new DynamoKv(r)],
  ['production-stack-prefixaware', (r: () => number) => new ProductionStackPrefixAware(r)],
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
