/**
 * Decodes one KV-event message payload as vLLM publishes it (vllm/distributed/kv_events.py): a msgspec
 * `KVEventBatch` encoded as a msgpack array [ts, events, data_parallel_rank?], each event a tagged array
 * ["BlockStored", block_hashes, parent_block_hash, token_ids, block_size, lora_id, medium, lora_name,
 * extra_keys, ...], ["BlockRemoved", block_hashes, medium, ...] or ["AllBlocksCleared"]. Trailing fields may be
 * omitted (msgspec omit_defaults; SGLang's older layout), and a map-encoded event ({type: ...}) is accepted.
 * Block hashes are ints or bytes (vLLM's sha256 digests): bytes count by their last 8 bytes, big-endian,
 * as upstream's getHashAsUint64 does.
 */
import { decode } from '@msgpack/msgpack';

export interface BlockStored {
  readonly type: 'BlockStored';
  readonly blockHashes: bigint[];
  readonly parentHash: bigint | null;
  readonly tokens: number[];
  readonly blockSize: number;
  readonly medium: string;
  readonly loraName: string | null;
}
export interface BlockRemoved {
  readonly type: 'BlockRemoved';
  readonly blockHashes: bigint[];
  readonly medium: string;
}
export interface AllBlocksCleared {
  readonly type: 'AllBlocksCleared';
}
export type KvEvent = BlockStored | BlockRemoved | AllBlocksCleared;

export interface KvEventBatch {
  readonly ts: number;
  readonly events: KvEvent[];
  readonly dataParallelRank: number | null;
}

export class KvEventDecodeError extends Error {}

const STORED_FIELDS = ['block_hashes', 'parent_block_hash', 'token_ids', 'block_size', 'lora_id', 'medium', 'lora_name', 'extra_keys'];
const REMOVED_FIELDS = ['block_hashes', 'medium'];

/** Decodes a payload; throws KvEventDecodeError on anything not in the layout above. */
export function decodeKvEventBatch(payload: Uint8Array): KvEventBatch {
  let raw: unknown;
  try {
    raw = decode(payload, { useBigInt64: true });
  } catch (err) {
    throw new KvEventDecodeError(`not msgpack: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length < 2) throw new KvEventDecodeError('batch is not an array [ts, events, ...]');
  const [ts, events, rank] = raw as [unknown, unknown, unknown];
  if (!Array.isArray(events)) throw new KvEventDecodeError('batch events is not an array');
  return {
    ts: typeof ts === 'number' ? ts : Number(ts),
    events: events.map(decodeEvent),
    dataParallelRank: rank === undefined || rank === null ? null : Number(rank),
  };
}

function decodeEvent(raw: unknown): KvEvent {
  const fields = Array.isArray(raw) ? raw : mapToFields(raw);
  const tag = fields[0];
  switch (tag) {
    case 'BlockStored': {
      if (fields.length < 5) throw new KvEventDecodeError(`BlockStored: need at least 5 fields, got ${fields.length}`);
      const tokens = fields[3];
      if (!Array.isArray(tokens)) throw new KvEventDecodeError('BlockStored: token_ids is not an array');
      return {
        type: 'BlockStored',
        blockHashes: hashes(fields[1], 'BlockStored'),
        parentHash: fields[2] === null || fields[2] === undefined ? null : hashOf(fields[2]),
        tokens: tokens.map((t) => Number(t)),
        blockSize: Number(fields[4]),
        medium: optString(fields[6], 'medium'),
        loraName: fields[7] === null || fields[7] === undefined ? null : optString(fields[7], 'lora_name'),
      };
    }
    case 'BlockRemoved':
      if (fields.length < 2) throw new KvEventDecodeError('BlockRemoved: no block_hashes');
      return { type: 'BlockRemoved', blockHashes: hashes(fields[1], 'BlockRemoved'), medium: optString(fields[2], 'medium') };
    case 'AllBlocksCleared':
      return { type: 'AllBlocksCleared' };
    default:
      throw new KvEventDecodeError(`unknown event tag ${JSON.stringify(tag)}`);
  }
}

function mapToFields(raw: unknown): unknown[] {
  if (raw === null || typeof raw !== 'object') throw new KvEventDecodeError('event is neither an array nor a map');
  const m = raw as Record<string, unknown>;
  const tag = m['type'];
  const order = tag === 'BlockStored' ? STORED_FIELDS : tag === 'BlockRemoved' ? REMOVED_FIELDS : [];
  return [tag, ...order.map((k) => m[k])];
}

function hashes(raw: unknown, what: string): bigint[] {
  if (!Array.isArray(raw)) throw new KvEventDecodeError(`${what}: block_hashes is not an array`);
  return raw.map(hashOf);
}

/** An engine block hash as an unsigned 64-bit key. */
export function hashOf(raw: unknown): bigint {
  if (typeof raw === 'bigint') return BigInt.asUintN(64, raw);
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt.asUintN(64, BigInt(raw));
  if (raw instanceof Uint8Array) {
    if (raw.length === 0) throw new KvEventDecodeError('empty hash bytes');
    let v = 0n;
    for (let i = Math.max(0, raw.length - 8); i < raw.length; i++) v = (v << 8n) | BigInt(raw[i] as number);
    return v;
  }
  throw new KvEventDecodeError(`unsupported hash type ${typeof raw}`);
}

function optString(raw: unknown, what: string): string {
  if (raw === null || raw === undefined) return '';
  if (typeof raw !== 'string') throw new KvEventDecodeError(`${what} is not a string`);
  return raw;
}
