/**
 * One request through the picker's request path in-process, without gRPC: ExtProcStream (FULL_DUPLEX_STREAMED,
 * 200 B completions body, response headers and one body chunk with usage) + Director + the default scheduler
 * over 100 fresh endpoints, with the Prometheus per-model metrics on. Prints microseconds per request; under
 * callgrind the instruction count per request is repeatable whatever else the machine does:
 *
 *   npm exec -- node bench/overhead/request-cycle.bench.ts [N=20000]
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node_modules/.bin/node bench/overhead/request-cycle.bench.ts 12000
 *   (and again with N=0: the difference / N is the cost of one request)
 */
import pino from 'pino';
import { Datastore } from '../../src/datastore/datastore.ts';
import { ExtProcStream } from '../../src/extproc/stream.ts';
import { inTreePluginRegistry } from '../../src/plugins/registry.ts';
import { Director } from '../../src/requestcontrol/director.ts';
import { loadSchedulerConfig } from '../../src/config/loader.ts';
import { testHandle } from '../../test/support/scheduling/testing.ts';
import { PickerMetrics } from '../../src/observability/metrics.ts';
const N = Number(process.argv[2] ?? 20000);
const datastore = new Datastore({ poolName: 'pool', poolNamespace: 'default' });
const pods = Array.from({ length: 100 }, (_, i) => ({ name: `p${i}`, namespace: 'default', labels: { app: 'm' }, annotations: {}, ip: `10.0.${i >> 8}.${(i & 255) + 1}`, ready: true, terminating: false }));
datastore.replaceAll({ pools: [{ name: 'pool', namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'm' }, targetPorts: [8000], appProtocol: 'http', failureMode: 'FailClose' }], models: [], objectives: [], rewrites: [], pods } as any);
datastore.markSynced();
const handle = testHandle();
for (const ep of datastore.endpoints()) ep.metricsUpdatedAt = handle.clock.now();
const logger = pino({ level: 'silent' });
const loaded = loadSchedulerConfig(undefined, { ...handle, endpoints: datastore }, { registry: inTreePluginRegistry() });
const metrics = new PickerMetrics(datastore, { stalenessMs: 60_000, now: () => handle.clock.now() });
const director = new Director({ datastore, scheduler: loaded.scheduler, saturation: loaded.saturationDetector, plugins: loaded.requestControl, parsers: loaded.parsers, metrics, logger, strictModels: false, disableSubsetFilter: false });
const call = { write() {}, writeStreamedBody() {}, end() {}, fail() {} };
const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const body = Buffer.from(JSON.stringify({ model: 'm', prompt: 'x'.repeat(160) }));
const opts = { director, logger, metrics, maxBodyBytes: 1 << 20, requestBodyMode: 'FULL_DUPLEX_STREAMED' as const, responseBodyMode: 'FULL_DUPLEX_STREAMED' as const };
const msgs = [
  { request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions', 'x-request-id': 'r' }), end_of_stream: false } },
  { request: 'request_body', request_body: { body, end_of_stream: true } },
  { request: 'response_headers', response_headers: { headers: hb({ ':status': '200' }), end_of_stream: false } },
  { request: 'response_body', response_body: { body: Buffer.from('{"usage":{"prompt_tokens":40,"completion_tokens":10}}'), end_of_stream: true } },
] as any[];
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const s = new ExtProcStream(call as any, opts as any);
  for (const m of msgs) s.onMessage(m);
  s.onEnd();
}
console.log(`${N} requests, ${(((performance.now() - t0) * 1000) / N).toFixed(2)} us/request`);
