/**
 * Soak (issue 14): 1,000,000 requests through the picker's request path in-process (ExtProcStream in
 * FULL_DUPLEX_STREAMED, the Director, the default scheduler with its prefix index, the Prometheus metrics),
 * without gRPC, with churning endpoints: every 10,000 requests 10 of the 100 pods leave and 10 with new IPs
 * join. Prompts are distinct (the prefix index fills to its capacity and evicts), models are drawn from 50
 * names plus a stream of new ones (the label cap folds them). Heap used and RSS are sampled every 10,000
 * requests; the goal is flat memory: the last quarter's mean within 5% of the second quarter's.
 *
 * Run: npm exec -- node --max-semi-space-size=8 [--expose-gc] bench/overhead/soak.bench.ts [--requests 1000000] [--every 10000] [--churn 10] [--unknown-every 97]
 * (--expose-gc: a full GC before each sample, so the heap figure is what is live)
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Datastore } from '../../src/datastore/datastore.ts';
import type { PodSpec } from '../../src/datastore/resources.ts';
import { ExtProcStream } from '../../src/extproc/stream.ts';
import { inTreePluginRegistry } from '../../src/plugins/registry.ts';
import { Director } from '../../src/requestcontrol/director.ts';
import { loadSchedulerConfig } from '../../src/config/loader.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';
import { PickerMetrics } from '../../src/observability/metrics.ts';

const { values: opt } = parseArgs({ options: { requests: { type: 'string', default: '1000000' }, every: { type: 'string', default: '10000' }, churn: { type: 'string', default: '10' }, 'unknown-every': { type: 'string', default: '97' } } });
const CHURN = Number(opt.churn);
const UNKNOWN_EVERY = Number(opt['unknown-every']);
const N = Number(opt.requests);
const EVERY = Number(opt.every);
const MB = 2 ** 20;

const datastore = new Datastore({ poolName: 'pool', poolNamespace: 'default' });
const POOL = { name: 'pool', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' };
let nextPod = 0;
const pod = (): PodSpec => {
  const i = nextPod++;
  return { name: `p${i}`, namespace: 'default', labels: { app: 'm' }, annotations: {}, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ready: true, terminating: false };
};
let pods = Array.from({ length: 100 }, pod);
const handle = testHandle();
const load = () => {
  datastore.replaceAll({ pools: [POOL], models: [], objectives: [], rewrites: [], pods } as never);
  for (const ep of datastore.endpoints()) {
    ep.metricsUpdatedAt = handle.clock.now();
    ep.waitingQueue = (ep.port + ep.key.length) % 3;
  }
};
load();
datastore.markSynced();
const logger = pino({ level: 'silent' });
const loaded = loadSchedulerConfig(undefined, { ...handle, endpoints: datastore }, { registry: inTreePluginRegistry() });
// As src/runner.ts wires it: plugins drop the state of endpoints that leave.
datastore.on('endpointRemoved', (ep) => loaded.removeEndpoint(ep.key));
const metrics = new PickerMetrics(datastore, { stalenessMs: 60_000, now: () => handle.clock.now() });
const director = new Director({ datastore, scheduler: loaded.scheduler, saturation: loaded.saturationDetector, plugins: loaded.requestControl, parsers: loaded.parsers, metrics, logger, strictModels: false, disableSubsetFilter: false });
const call = { write() {}, writeStreamedBody() {}, end() {}, fail() {} };
const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const opts = { director, logger, maxBodyBytes: 1 << 20, requestBodyMode: 'FULL_DUPLEX_STREAMED' as const, responseBodyMode: 'FULL_DUPLEX_STREAMED' as const };
const respHeaders = { request: 'response_headers', response_headers: { headers: hb({ ':status': '200' }), end_of_stream: false } };
const respBody = { request: 'response_body', response_body: { body: Buffer.from('{"usage":{"prompt_tokens":40,"completion_tokens":10}}'), end_of_stream: true } };
const system = 'You are a helpful assistant. '.repeat(20);

const samples: { n: number; heap: number; rss: number; external: number }[] = [];
let routed = 0;
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const model = UNKNOWN_EVERY > 0 && i % UNKNOWN_EVERY === 0 ? `unknown-${i}` : `model-${i % 50}`;
  // A shared system prompt, then a distinct user turn: prefix hits on the first blocks, new blocks after.
  const body = Buffer.from(`{"model":"${model}","messages":[{"role":"system","content":"${system}"},{"role":"user","content":"question ${i} ${'q'.repeat(i % 300)}"}]}`);
  const s = new ExtProcStream(call as never, opts as never);
  s.onMessage({ request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/chat/completions', 'x-request-id': `r${i}` }), end_of_stream: false } } as never);
  s.onMessage({ request: 'request_body', request_body: { body, end_of_stream: true } } as never);
  if (datastore.endpoints().some((e) => e.inflightRequests > 0)) routed++;
  s.onMessage(respHeaders as never);
  s.onMessage(respBody as never);
  s.onEnd();
  if ((i + 1) % EVERY === 0) {
    pods = [...pods.slice(CHURN), ...Array.from({ length: CHURN }, pod)];
    load();
    handle.clock.advance(50);
    (globalThis as { gc?: () => void }).gc?.(); // with --expose-gc: live heap, not where the GC cycle happens to be
    const m = process.memoryUsage();
    samples.push({ n: i + 1, heap: m.heapUsed / MB, rss: m.rss / MB, external: m.external / MB });
  }
}
const seconds = (performance.now() - t0) / 1000;
const q = Math.floor(samples.length / 4);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quarter = (k: number, f: (s: (typeof samples)[number]) => number) => mean(samples.slice(k * q, (k + 1) * q).map(f));
const rows = [0, 1, 2, 3].map((k) => `Q${k + 1}: heap ${quarter(k, (s) => s.heap).toFixed(1)} MB, RSS ${quarter(k, (s) => s.rss).toFixed(1)} MB`);
const drift = (f: (s: (typeof samples)[number]) => number) => (100 * (quarter(3, f) - quarter(1, f))) / quarter(1, f);
console.log(`${N} requests in ${seconds.toFixed(1)} s (${((seconds * 1e6) / N).toFixed(1)} us/request), ${routed} routed, ${nextPod} pods seen, ${datastore.endpoints().length} at the end`);
console.log(rows.join('\n'));
console.log(`last quarter vs second: heap ${drift((s) => s.heap).toFixed(1)}%, RSS ${drift((s) => s.rss).toFixed(1)}% (goal: within 5%)`);
console.log(`external (buffers outside the heap): Q2 ${quarter(1, (s) => s.external).toFixed(1)} MB, Q4 ${quarter(3, (s) => s.external).toFixed(1)} MB; V8 heap committed at the end ${(process.memoryUsage().heapTotal / MB).toFixed(1)} MB`);
console.log(`samples (every ${EVERY}): heap ${samples.filter((_, k) => k % 10 === 9).map((s) => s.heap.toFixed(0)).join(' ')}; RSS ${samples.filter((_, k) => k % 10 === 9).map((s) => s.rss.toFixed(0)).join(' ')}`);
