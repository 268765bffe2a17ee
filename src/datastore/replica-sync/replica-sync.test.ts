/**
 * The replica sync service over the in-process bus, with the real prefix and in-flight producers on each
 * replica: learning crosses replicas, a joiner bootstraps from a snapshot (batches sent meanwhile are not
 * lost), a silent replica's in-flight load expires, and a replica ignores its own batches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../framework/clock.ts';
import type { Endpoint } from '../../framework/endpoint.ts';
import type { EndpointLookup } from '../../framework/plugin.ts';
import { LLMResponse } from '../../framework/requestcontrol.ts';
import { createApproxPrefixCacheProducer, type ApproxPrefixCacheProducer } from '../../plugins/requestcontrol/data-producer/approx-prefix-cache/approx-prefix-cache.ts';
import { createInflightLoadProducer, type InflightLoadProducer } from '../../plugins/requestcontrol/data-producer/inflight-load/inflight-load.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle, testText } from '../../../test/support/scheduling/testing.ts';
import { MemoryBus } from '../../../test/support/memory-bus.ts';
import { ReplicaSync } from './replica-sync.ts';
import { decodeBatch, encodeBatch } from './wire.ts';

interface Replica {
  sync: ReplicaSync;
  prefix: ApproxPrefixCacheProducer;
  inflight: InflightLoadProducer;
  eps: Endpoint[];
}

/** A replica with its own Endpoint objects (as a separate process has) for the same three servers. */
function replica(bus: MemoryBus, clock: ManualClock, id: string): Replica {
  const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  const lookup: EndpointLookup = { endpoints: () => eps, endpoint: (key) => eps.find((e) => e.key === key) };
  const handle = { ...testHandle(), endpoints: lookup };
  const prefix = createApproxPrefixCacheProducer('approx', undefined, handle);
  const inflight = createInflightLoadProducer('load', undefined, handle);
  const sync = new ReplicaSync({ id, transport: bus.transport(id), clock, heartbeatMs: 100, peerTtlMs: 300 });
  sync.register(prefix.syncedState());
  sync.register(inflight.syncedState()!);
  return { sync, prefix, inflight, eps };
}

const PROMPT = testText(64 * 4 * 8, 7); // 8 blocks of 64 tokens

function matchesOn(r: Replica, prompt: string): number[] {
  const req = makeRequest({ promptText: prompt });
  const info = r.prefix.produceFor(req, r.eps, r.eps.length);
  return r.eps.map((ep) => info.matchBlocks(ep));
}

/** Routes a request to eps[i] on replica r through both producers; returns it (to complete later). */
function route(r: Replica, prompt: string, i: number) {
  const req = makeRequest({ promptText: prompt });
  r.prefix.produce(req, r.eps);
  r.inflight.produce(req, r.eps);
  const result = scheduledOn(r.eps[i]!);
  r.prefix.preRequest(req, result);
  r.inflight.preRequest(req, result);
  return req;
}

function round(bus: MemoryBus, ...rs: Replica[]): void {
  for (const r of rs) r.sync.flush();
  bus.deliver();
}

test('replica sync: a prefix learned on one replica matches on the other after one batch', () => {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const a = replica(bus, clock, 'a');
  const b = replica(bus, clock, 'b');
  route(a, PROMPT, 2);
  assert.deepEqual(matchesOn(b, PROMPT), [0, 0, 0], 'nothing before the batch is delivered');
  round(bus, a, b);
  assert.deepEqual(matchesOn(b, PROMPT), [0, 0, 8]);
  assert.equal(a.sync.stats.batchesSent, 1);
  assert.equal(b.sync.stats.batchesReceived, 1);
  // Applied entries are not re-published: b has nothing of its own to send.
  round(bus, a, b);
  assert.equal(b.sync.stats.batchesSent, 0);
});

test('replica sync: in-flight load is the sum over replicas; completing releases it everywhere', () => {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const a = replica(bus, clock, 'a');
  const b = replica(bus, clock, 'b');
  const r1 = route(a, PROMPT, 1);
  route(a, testText(400, 3), 1);
  route(b, testText(400, 4), 1);
  round(bus, a, b);
  assert.equal(a.inflight.loadOf(a.eps[1]!).requests, 3);
  assert.equal(b.inflight.loadOf(b.eps[1]!).requests, 3);
  a.inflight.responseComplete(r1, new LLMResponse(), a.eps[1]!);
  round(bus, a, b);
  assert.equal(b.inflight.loadOf(b.eps[1]!).requests, 2);
  assert.equal(a.inflight.loadOf(a.eps[1]!).requests, 2);
});

test('replica sync: a joiner bootstraps from a snapshot and keeps the batches sent meanwhile', async () => {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const a = replica(bus, clock, 'a');
  route(a, PROMPT, 0);
  route(a, testText(400, 5), 2);
  round(bus, a);
  const c = replica(bus, clock, 'c');
  // A batch a sends while c's snapshot request is under way is held and applied after the snapshot.
  const joining = c.sync.bootstrap(['a']);
  const late = testText(64 * 4 * 3, 9);
  route(a, late, 1);
  round(bus, a);
  assert.equal(await joining, 'a');
  assert.deepEqual(matchesOn(c, PROMPT), [8, 0, 0]);
  assert.deepEqual(matchesOn(c, late), [0, 3, 0]);
  assert.equal(c.inflight.loadOf(c.eps[2]!).requests, 1);
  assert.deepEqual(c.sync.peers(), ['a']);
});

test('replica sync: a silent replica is dropped after its TTL with its in-flight load, not its prefixes', () => {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const a = replica(bus, clock, 'a');
  const b = replica(bus, clock, 'b');
  route(a, PROMPT, 1);
  round(bus, a, b);
  assert.equal(b.inflight.loadOf(b.eps[1]!).requests, 1);
  // b keeps heartbeating; a dies (sends nothing more).
  for (let t = 0; t < 3; t++) {
    clock.advance(100);
    b.sync.tick();
    bus.deliver();
  }
  assert.equal(b.inflight.loadOf(b.eps[1]!).requests, 1, 'within the TTL');
  clock.advance(250);
  b.sync.tick();
  assert.equal(b.inflight.loadOf(b.eps[1]!).requests, 0);
  assert.equal(b.sync.stats.peersExpired, 1);
  assert.deepEqual(matchesOn(b, PROMPT), [0, 8, 0], 'the server still caches the blocks');
});

test('replica sync: heartbeats keep a quiet peer alive; a replica ignores its own batches', () => {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const a = replica(bus, clock, 'a');
  const b = replica(bus, clock, 'b');
  for (let t = 0; t < 10; t++) {
    clock.advance(100);
    round(bus, a, b);
    a.sync.expire();
    b.sync.expire();
  }
  assert.deepEqual(a.sync.peers(), ['b']);
  assert.deepEqual(b.sync.peers(), ['a']);
  assert.equal(a.sync.stats.bytesSent, 0, 'heartbeats are not counted as sync traffic');
});

test('replica sync wire: batch records round-trip; a truncated one throws', () => {
  const body = encodeBatch([{ key: 'x/y', bytes: new Uint8Array([1, 2, 3]) }, { key: 'é', bytes: new Uint8Array(0) }]);
  assert.deepEqual(decodeBatch(body).map((r) => [r.key, [...r.bytes]]), [['x/y', [1, 2, 3]], ['é', []]]);
  assert.throws(() => decodeBatch(body.subarray(0, 8)), RangeError);
});

test('replica sync: prefix entries for an endpoint this replica does not know are not applied', () => {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const a = replica(bus, clock, 'a');
  const b = replica(bus, clock, 'b');
  b.eps.splice(2, 1); // server 2 left b's pool (a has not seen it go yet)
  route(a, PROMPT, 2);
  route(a, testText(64 * 4 * 2, 11), 1);
  round(bus, a, b);
  assert.equal(b.prefix.indexEntries(), 2, 'only the two blocks on server 1');
});
