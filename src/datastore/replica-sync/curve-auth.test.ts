/**
 * The replica sync over CURVE: peers sharing the key exchange batches and snapshots; a process with another key
 * (even one that knows the replicas' public key) receives nothing, gets no snapshot, and cannot inject batches.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as zmq from 'zeromq';
import { freePortPair } from '../../../bench/dev-stack/procs.ts';
import { newCurveKeys, readCurveKeys, z85Encode, type CurveKeys } from './curve-auth.ts';
import { ZmqTransport } from './zmq-transport.ts';

const body = (n: number): Uint8Array => new Uint8Array([n & 0xff, 1, 2, 3]);

/** Publishes from `pub` every 5 ms until `done()` holds (the PUB/SUB handshake takes a few ms); bounded. */
async function publishUntil(pub: ZmqTransport, done: () => boolean, what: string): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 1000) throw new Error(`timed out: ${what}`);
    pub.publish('a', body(i));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('z85Encode matches the ZMQ RFC 32 test vector', () => {
  assert.equal(z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld');
});

test('readCurveKeys reads a mounted Secret and rejects a malformed key', () => {
  const k = newCurveKeys();
  const extra = newCurveKeys().publicKey;
  const dir = mkdtempSync(join(tmpdir(), 'curve-'));
  writeFileSync(join(dir, 'public.key'), `${k.publicKey}\n`);
  writeFileSync(join(dir, 'secret.key'), k.secretKey);
  writeFileSync(join(dir, 'allowed-peers'), `# rotation\n${extra}\n`);
  const read = readCurveKeys(dir);
  assert.equal(read.publicKey, k.publicKey);
  assert.equal(read.secretKey, k.secretKey);
  assert.deepEqual([...read.allowedPeers].sort(), [k.publicKey, extra].sort());
  writeFileSync(join(dir, 'public.key'), 'short');
  assert.throws(() => readCurveKeys(dir), /Z85/);
});

test('CURVE replica sync: peers with the key sync; a peer without it gets nothing and injects nothing', { timeout: 30_000 }, async () => {
  const keys = newCurveKeys();
  const intruderKeys: CurveKeys = newCurveKeys();
  const [pa, pb, pi, pp] = [await freePortPair(), await freePortPair(), await freePortPair(), await freePortPair()];
  const a = await ZmqTransport.bind('127.0.0.1', pa, keys);
  const b = await ZmqTransport.bind('127.0.0.1', pb, keys);
  // A replica of another picker (its own Secret).
  const intruder = await ZmqTransport.bind('127.0.0.1', pi, intruderKeys);
  const plaintext = await ZmqTransport.bind('127.0.0.1', pp, null);
  try {
    const atB: string[] = [];
    const atA: string[] = [];
    let atIntruder = 0;
    b.onBatch((from) => atB.push(from));
    a.onBatch((from) => atA.push(from));
    intruder.onBatch(() => atIntruder++);
    a.serveSnapshots(() => new Uint8Array([42]));

    // Reading: a SUB with the intruder's own keypair, pointed at A with A's public key as the server key.
    const spy = new zmq.Subscriber({ linger: 0, curveServerKey: keys.publicKey, curvePublicKey: intruderKeys.publicKey, curveSecretKey: intruderKeys.secretKey });
    spy.subscribe();
    const rejected = new Promise<string>((resolve) => {
      void (async () => {
        for await (const ev of spy.events) if (ev.type.startsWith('handshake:error')) return resolve(ev.type);
      })();
    });
    spy.connect(`tcp://127.0.0.1:${pa}`);
    let spied = 0;
    void (async () => {
      try {
        for await (const _ of spy) spied++;
      } catch {
        // closed
      }
    })();
    intruder.setPeers([`127.0.0.1:${pa}`]);
    b.setPeers([`127.0.0.1:${pa}`]);
    await publishUntil(a, () => atB.length >= 20, 'B receives A');
    assert.match(await rejected, /handshake:error/, 'A refuses the spy at the CURVE handshake');
    assert.equal(spied, 0, 'a client with another key reads nothing');
    assert.equal(atIntruder, 0, 'an intruder transport with another key reads nothing');

    // Snapshots: B gets one; the intruder times out.
    assert.deepEqual([...(await b.requestSnapshot(`127.0.0.1:${pa}`, 2000))], [42]);
    await assert.rejects(intruder.requestSnapshot(`127.0.0.1:${pa}`, 300));

    // Injecting: A follows the intruder's and a plaintext publisher's addresses as if they were peers, and B.
    a.setPeers([`127.0.0.1:${pi}`, `127.0.0.1:${pp}`, `127.0.0.1:${pb}`]);
    for (let i = 0; atA.length < 20; i++) {
      if (i > 1000) throw new Error('timed out: A receives B');
      intruder.publish('intruder', body(i));
      plaintext.publish('plaintext', body(i));
      b.publish('b', body(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual([...new Set(atA)], ['b'], 'only the peer with the key is heard');
    spy.close();
  } finally {
    await Promise.all([a.close(), b.close(), intruder.close(), plaintext.close()]);
  }
});
