import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Publisher, Router } from 'zeromq';
import { KvEventSubscriber, type KvEventSink } from './kv-event-subscriber.ts';

const seqBytes = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

/** A sink that resolves waiters on each call. */
function recorder(): { sink: KvEventSink; seqs: bigint[]; resets: string[]; next: () => Promise<void> } {
  const seqs: bigint[] = [];
  const resets: string[] = [];
  let wake: (() => void) | null = null;
  const poke = (): void => {
    wake?.();
    wake = null;
  };
  return {
    seqs,
    resets,
    sink: { onBatch: (_t, seq) => (seqs.push(seq), poke()), onReset: (r) => (resets.push(r), poke()) },
    next: () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event; seqs ${seqs.join(',')} resets ${resets.length}`)), 5000);
        wake = () => (clearTimeout(timer), resolve());
      }),
  };
}

async function bindAny(sock: Publisher | Router): Promise<string> {
  await sock.bind('tcp://127.0.0.1:*');
  return sock.lastEndpoint as string;
}

test('without a replay socket: a restarted engine (sequence back to 0) drops its blocks', async () => {
  const pub = new Publisher({ linger: 0 });
  const endpoint = await bindAny(pub);
  const r = recorder();
  const sub = new KvEventSubscriber({ endpoint, replayEndpoint: '', topicFilter: 'kv@', replayTimeoutMs: 1000, sink: r.sink });
  try {
    // Slow joiner: publish until the first batch arrives.
    let first = r.next();
    for (let i = 0; r.seqs.length === 0 && i < 100; i++) {
      await pub.send(['kv@a@m', seqBytes(i), Buffer.from([0x92, 0x00, 0x90])]);
      await Promise.race([first, new Promise((res) => setTimeout(res, 20))]);
    }
    const last = Number(r.seqs.at(-1));
    first = r.next();
    await pub.send(['kv@a@m', seqBytes(0), Buffer.from([0x92, 0x00, 0x90])]); // new process
    await first;
    if (r.resets.length === 0) await r.next();
    assert.equal(r.resets.length, 1);
    assert.ok(last >= 0);
    assert.equal(r.seqs.at(-1), 0n, 'the restarted engine\'s batch is applied after the reset');
  } finally {
    sub.close();
    pub.close();
    await sub.done;
  }
});

test('replay in SGLang layout ([seq, payload] frames): a new subscriber gets the engine\'s buffered batches in order', async () => {
  const pub = new Publisher({ linger: 0 });
  const router = new Router({ linger: 0 });
  const endpoint = await bindAny(pub);
  const replayEndpoint = await bindAny(router);
  const payload = Buffer.from([0x92, 0x00, 0x90]);
  const served: number[] = [];
  void (async () => {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await router.receive();
      } catch {
        return;
      }
      const [id, , start] = frames as [Buffer, Buffer, Buffer];
      const from = Number(start.readBigUInt64BE(0));
      served.push(from);
      try {
        for (let s = from; s <= 3; s++) await router.send([id, Buffer.alloc(0), seqBytes(s), payload]);
        await router.send([id, Buffer.alloc(0), Buffer.alloc(8, 0xff), Buffer.alloc(0)]);
      } catch {
        return; // closed at the end of the test
      }
    }
  })();
  const r = recorder();
  const sub = new KvEventSubscriber({ endpoint, replayEndpoint, topicFilter: 'kv@', replayTimeoutMs: 5000, sink: r.sink });
  try {
    // Connecting replays 0..3 from the buffer; live 3 is then skipped as already applied.
    for (let i = 0; r.seqs.length < 4 && i < 100; i++) {
      await pub.send(['kv@a@m', seqBytes(3), payload]);
      await Promise.race([r.next().catch(() => undefined), new Promise((res) => setTimeout(res, 20))]);
    }
    assert.deepEqual(r.seqs.slice(0, 4), [0n, 1n, 2n, 3n]);
    assert.ok(served.includes(0));
    // Not asserted: no reset. On a machine loaded by 16 test processes the first replay attempt sometimes gets no
    // answer within its timeout; the subscriber then resets and replays again on the next live batch.
  } finally {
    sub.close();
    pub.close();
    router.close();
    await sub.done;
  }
});
