/**
 * Memory per block of the precise prefix index (precise-prefix-cache-producer's KvBlockIndex): N blocks stored
 * through index.add as KV events would store them (one engine key per pod and one request key per block, in events
 * of 16 blocks), measured as heap growth after GC. Two shapes: every block on one pod (engines caching different
 * prefixes), and every block on two pods (a prefix replicated).
 *
 *   node --expose-gc bench/overhead/kv-index-memory.bench.ts [blocks]
 */
import { BlockKeyHasher } from '../../src/plugins/requestcontrol/data-producer/precise-prefix-cache/block-keys.ts';
import { KvBlockIndex } from '../../src/plugins/requestcontrol/data-producer/precise-prefix-cache/kv-block-index.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const blocks = Number(process.argv[2] ?? 1_000_000);
const PER_EVENT = 16;

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function measure(podsPerBlock: number): { bytesPerBlock: number; ingestNsPerBlock: number } {
  const hasher = new BlockKeyHasher({ blockSizeTokens: 16, hashSeed: '' });
  const tokens = Array.from({ length: 16 * PER_EVENT }, (_, i) => 1000 + i);
  const engineKeys: bigint[] = new Array(PER_EVENT);
  const before = heap();
  const index = new KvBlockIndex({ maxKeys: blocks * 2, tierWeights: [{ name: 'gpu', weight: 1 }] });
  const t0 = performance.now();
  // Everything the index keeps is created here, as event ingestion creates it (request and engine keys are BigInts).
  let parent: bigint | null = null;
  for (let b = 0, e = 0; b < blocks; b += PER_EVENT, e++) {
    tokens[0] = b;
    const keys = hasher.keys(tokens, 'model', b % 4096 === 0 ? null : parent);
    parent = keys[keys.length - 1] as bigint;
    for (let p = 0; p < podsPerBlock; p++) {
      for (let i = 0; i < PER_EVENT; i++) engineKeys[i] = BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 53)) * 2048n + BigInt(i));
      index.add(`10.0.0.${(e + p) % 8}:8000`, 'GPU', engineKeys, keys);
    }
  }
  const ingestNs = ((performance.now() - t0) * 1e6) / blocks;
  parent = null;
  const after = heap();
  if (index.size !== blocks) throw new Error(`index holds ${index.size} keys, expected ${blocks}`);
  return { bytesPerBlock: (after - before) / blocks, ingestNsPerBlock: ingestNs };
}

for (const pods of [1, 2]) {
  const m = measure(pods);
  console.log(
    `blocks=${blocks} pods/block=${pods}: ${m.bytesPerBlock.toFixed(0)} bytes per block, ` +
      `ingest (request keys + index.add) ${(m.ingestNsPerBlock / 1000).toFixed(2)} us per block`,
  );
}
