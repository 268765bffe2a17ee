/**
 * Child of test/large-body-memory.test.ts (run with --expose-gc): drives `bodies` chat bodies of `mb` MB, in 1 MB
 * FULL_DUPLEX messages, through ExtProcStream and a real Director (default scheduler, 3 endpoints), each routed,
 * answered and ended as Envoy would, and prints the live heap and array buffers (after a full GC) at the
 * baseline, halfway and at the end, as one JSON line.
 */
import pino from 'pino';
import { Datastore } from '../../../src/datastore/datastore.ts';
import { ExtProcStream } from '../../../src/extproc/stream.ts';
import { inTreePluginRegistry } from '../../../src/plugins/registry.ts';
import { Director } from '../../../src/requestcontrol/director.ts';
import { loadSchedulerConfig } from '../../../src/config/loader.ts';
import { testHandle } from '../scheduling/testing.ts';
import { PickerMetrics } from '../../../src/observability/metrics.ts';

const [bodies, mb] = process.argv.slice(2).map(Number) as [number, number];
const MB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const datastore = new Datastore({ poolName: 'pool', poolNamespace: 'default' });
const POOL = { name: 'pool', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' };
const pods = [1, 2, 3].map((i) => ({ name: `p${i}`, namespace: 'default', labels: { app: 'm' }, annotations: {}, ip: `10.0.0.${i}`, ready: true, terminating: false }));
datastore.replaceAll({ pools: [POOL], models: [], objectives: [], rewrites: [], pods } as never);
datastore.markSynced();
const handle = testHandle();
for (const ep of datastore.endpoints()) ep.metricsUpdatedAt = handle.clock.now();
const loaded = loadSchedulerConfig(undefined, { ...handle, endpoints: datastore }, { registry: inTreePluginRegistry() });
const metrics = new PickerMetrics(datastore, { stalenessMs: 60_000, now: () => handle.clock.now() });
const director = new Director({ datastore, metrics, scheduler: loaded.scheduler, saturation: loaded.saturationDetector, plugins: loaded.requestControl, parsers: loaded.parsers, logger: pino({ level: 'silent' }), strictModels: false, disableSubsetFilter: false });
let routed = 0;
const call = { write() {}, writeStreamedBody() {}, end() {}, fail() {} };
const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const opts = { director, logger: pino({ level: 'silent' }), maxBodyBytes: 64 * MB, requestBodyMode: 'FULL_DUPLEX_STREAMED' as const, responseBodyMode: 'FULL_DUPLEX_STREAMED' as const };

function one(body: Buffer, i: number): void {
  const s = new ExtProcStream(call as never, opts as never);
  s.onMessage({ request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/chat/completions', 'x-request-id': `r${i}` }), end_of_stream: false } } as never);
  for (let off = 0; off < body.length; off += MB) {
    s.onMessage({ request: 'request_body', request_body: { body: body.subarray(off, off + MB), end_of_stream: off + MB >= body.length } } as never);
  }
  if (datastore.endpoints().some((e) => e.inflightRequests > 0)) routed++;
  s.onMessage({ request: 'response_headers', response_headers: { headers: hb({ ':status': '200' }), end_of_stream: false } } as never);
  s.onMessage({ request: 'response_body', response_body: { body: Buffer.from('{"choices":[]}'), end_of_stream: true } } as never);
  s.onEnd();
}

// Array buffers are freed by a sweeper task after the GC: a turn of the event loop and a second GC settle them.
const live = async () => {
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / MB, arrayBuffersMB: m.arrayBuffers / MB };
};
const small = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello' }] }));
for (let i = 0; i < 20; i++) one(small, i);
// The driver's own copy of the text is made before the baseline: it is not the picker's.
const unit = 'the quick brown fox jumps over the lazy dog. ';
const content = unit.repeat(Math.ceil((mb * MB) / unit.length)).slice(0, mb * MB - 200);
const baseline = await live();
let half = baseline;
for (let i = 0; i < bodies; i++) {
  // A fresh buffer per body, as gRPC hands each message over; only the text is shared.
  one(Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] })), i);
  one(small, i);
  if (i === Math.floor(bodies / 2) - 1) half = await live();
}
const end = await live();
const inflight = datastore.endpoints().reduce((n, e) => n + e.inflightRequests, 0);
process.stdout.write(`${JSON.stringify({ baseline, half, end, routed, inflight, bodyMB: mb })}\n`);
