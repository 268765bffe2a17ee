/**
 * Fast mode's KV-event path: each simulated engine's cache changes go straight into a precise-prefix-cache-producer's
 * index, through the same calls its ZMQ ingestion makes (kv-event-ingest.ts applyBatch, minus msgpack), so the
 * precise policy sees exactly what the engines hold, with no transport delay.
 */
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import type { DataProducer } from '../../../src/framework/requestcontrol.ts';
import { PrecisePrefixCacheProducer } from '../../../src/plugins/requestcontrol/data-producer/precise-prefix-cache/precise-prefix-cache.ts';
import type { Engine } from '../../sim/engine.ts';
import type { KvCacheEventSink } from '../../sim/kv-cache.ts';

/** Connects the engines to the config's precise producer, if it has one; true when it did. */
export function attachPreciseEvents(producers: readonly DataProducer[], engines: readonly Engine[], endpoints: readonly Endpoint[], model: string): boolean {
  const producer = producers.find((p): p is PrecisePrefixCacheProducer => p instanceof PrecisePrefixCacheProducer);
  if (producer === undefined) return false;
  const { index, hasher } = producer;
  engines.forEach((engine, i) => {
    const pod = (endpoints[i] as Endpoint).key;
    const sink: KvCacheEventSink = {
      stored(hashes, parent, tokens, _blockSize, lora) {
        let parentKey: bigint | null = null;
        if (parent !== null) {
          parentKey = index.requestKeyOf(pod, BigInt(parent));
          if (parentKey === null) return;
        }
        index.add(pod, 'gpu', hashes.map((h) => BigInt(h)), hasher.keys(tokens, lora || model, parentKey));
      },
      removed(hashes) {
        for (const h of hashes) index.evict(pod, 'gpu', BigInt(h));
      },
      cleared() {
        index.clearPod(pod);
      },
    };
    engine.kv.events = sink;
  });
  return true;
}
