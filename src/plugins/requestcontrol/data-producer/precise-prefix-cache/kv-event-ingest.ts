/**
 * Applies decoded KV-event batches of one engine to the index, as llm-d-kv-cache's pool does:
 * BlockStored -> request keys recomputed from the event's tokens (chained from the request key of its parent
 * engine block; a parent the index does not know makes the event unusable, as upstream), then
 * index.add(engine keys, request keys); BlockRemoved -> evict by engine key; AllBlocksCleared -> drop the pod.
 * The model the keys are seeded with is the event's LoRA name, else the topic's model (kv@<pod>@<model>).
 */
import type { BlockKeyHasher } from './block-keys.ts';
import type { KvBlockIndex } from './kv-block-index.ts';
import { decodeKvEventBatch } from './kv-event-decoder.ts';

export interface IngestStats {
  batches: number;
  stored: number;
  removed: number;
  cleared: number;
  /** BlockStored events whose parent block was unknown. */
  orphans: number;
  decodeErrors: number;
}

export function newIngestStats(): IngestStats {
  return { batches: 0, stored: 0, removed: 0, cleared: 0, orphans: 0, decodeErrors: 0 };
}

/** The model part of a topic `kv@<pod>@<model>`, '' when absent. */
export function topicModel(topic: string): string {
  const parts = topic.split('@');
  return parts.length === 3 ? (parts[2] as string) : '';
}

export function applyBatch(index: KvBlockIndex, hasher: BlockKeyHasher, pod: string, topic: string, payload: Uint8Array, fallbackModel: string, stats: IngestStats): void {
  let batch;
  try {
    batch = decodeKvEventBatch(payload);
  } catch {
    stats.decodeErrors++;
    return;
  }
  stats.batches++;
  const model = topicModel(topic) || fallbackModel;
  for (const ev of batch.events) {
    switch (ev.type) {
      case 'BlockStored': {
        let parent: bigint | null = null;
        if (ev.parentHash !== null) {
          parent = index.requestKeyOf(pod, ev.parentHash);
          if (parent === null) {
            stats.orphans++;
            continue;
          }
        }
        const keys = hasher.keys(ev.tokens, ev.loraName ?? model, parent);
        index.add(pod, ev.medium, ev.blockHashes, keys);
        stats.stored += ev.blockHashes.length;
        break;
      }
      case 'BlockRemoved':
        for (const h of ev.blockHashes) index.evict(pod, ev.medium, h);
        stats.removed += ev.blockHashes.length;
        break;
      case 'AllBlocksCleared':
        index.clearPod(pod);
        stats.cleared++;
        break;
    }
  }
}
