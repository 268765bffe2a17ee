/**
 * The metric work of one request on the request path, as the director does it: series lookup, scheduling
 * attempt, routed (count, size, running +1), request processing time, released (running -1) and served
 * (latency, sizes, tokens, TTFT/TPOT), canonical llm_d_epp_* and GIE families together, over a steady mix of
 * label sets (cached series, as in production). The model and fairness-id strings are made fresh for each
 * request from bytes, as the body parser and header decoder make them (their hashes are not cached yet); that
 * string making is in the figure.
 *
 * Run: node bench/overhead/request-metrics.bench.ts [--requests 2000000] [--label-sets 16]
 */
import { parseArgs } from 'node:util';
import { Datastore } from '../../src/datastore/datastore.ts';
import { Endpoint } from '../../src/framework/endpoint.ts';
import { PickerMetrics, type ServedRequest } from '../../src/observability/metrics.ts';

const { values: opt } = parseArgs({ options: { requests: { type: 'string', default: '2000000' }, 'label-sets': { type: 'string', default: '16' } } });
const N = Number(opt.requests);
const SETS = Number(opt['label-sets']);

const metrics = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'default' }), { stalenessMs: 1000, now: () => 0 });
const models = Array.from({ length: SETS }, (_, i) => Buffer.from(`meta-llama/Llama-3.1-8B-Instruct-${i}`, 'latin1'));
const tenants = Array.from({ length: SETS }, (_, i) => Buffer.from(`tenant-${i % 4}`, 'latin1'));
const endpoints = Array.from({ length: 8 }, (_, i) => new Endpoint(`10.0.0.${i + 1}`, 8000, `pod-${i}`, 'default', 0, 'vllm'));
const served: ServedRequest = { seconds: 1.2, bytes: 2048, promptTokens: 300, completionTokens: 120, cachedTokens: 64, ttftSeconds: 0.08, streaming: true, usage: true };

function run(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const k = i % SETS;
    metrics.schedulingDone(true, 0.0002);
    const model = models[k]!.toString('latin1');
    const tenant = tenants[k]!.toString('latin1');
    metrics.schedulingAttempt(model, endpoints[i & 7]!);
    const m = metrics.forRequest(model, model, tenant, 0);
    m.routed(200 + k);
    metrics.requestProcessing.observe(0.0004);
    m.released();
    m.served(served);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

run(Math.min(N, 200_000)); // warm-up: compile, create every series
const rounds = [run(N), run(N), run(N)].sort((a, b) => a - b);
console.log(`request metrics (canonical + GIE, ${SETS} label sets): ${rounds[1]!.toFixed(0)} ns/request (median of 3 x ${N}; min ${rounds[0]!.toFixed(0)}, max ${rounds[2]!.toFixed(0)})`);
