/**
 * The picker's own /metrics under hostile label values (issue 14, finding 1): clients choose model names and
 * fairness ids, every new one admitted by the label caps adds series. Drives `--names` model names of `--length`
 * characters (each with `--tenants` fairness ids) through the metric path as the director does, then renders the
 * exposition the metrics server serves and reports its size, the longest event-loop block while rendering, and
 * the series kept.
 *
 * Run: node bench/overhead/exposition.bench.ts [--names 100] [--length 128] [--tenants 1] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Datastore } from '../../src/datastore/datastore.ts';
import { Endpoint } from '../../src/framework/endpoint.ts';
import { PickerMetrics, type ServedRequest } from '../../src/observability/metrics.ts';
import { metricsChunks } from '../../src/observability/render-metrics.ts';

const { values: opt } = parseArgs({ options: { names: { type: 'string', default: '100' }, length: { type: 'string', default: '128' }, tenants: { type: 'string', default: '1' }, rounds: { type: 'string', default: '3' } } });
const NAMES = Number(opt.names);
const LEN = Number(opt.length);
const TENANTS = Number(opt.tenants);

const metrics = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'default' }), { stalenessMs: 1000, now: () => 0 });
const ep = new Endpoint('10.0.0.1', 8000, 'pod-0', 'default', 0, 'vllm');
const served: ServedRequest = { seconds: 1.2, bytes: 2048, promptTokens: 300, completionTokens: 120, cachedTokens: 64, ttftSeconds: 0.08, streaming: true, usage: true };
const streamed: ServedRequest = { ...served, streaming: false };
const name = (i: number, len: number, tag: string) => `${tag}${i}-`.padEnd(len, 'x');

for (let i = 0; i < NAMES; i++) {
  const model = name(i, LEN, 'm');
  for (let t = 0; t < TENANTS; t++) {
    const fairness = TENANTS === 1 ? '' : name(t, LEN, 't');
    for (const priority of [0, 1]) {
      const m = metrics.forRequest(model, model, fairness, priority);
      m.routed(100);
      m.released();
      m.served(served);
      m.served(streamed);
      metrics.schedulingAttempt(model, ep);
      metrics.schedulingAttempt(model, null);
      metrics.requestError(model, model, fairness, priority, 'BadRequest');
    }
  }
}

/** Renders with `render` while a ticker measures the longest gap between event-loop turns (the stall routing sees). */
async function measure(render: () => Promise<number>): Promise<{ bytes: number; ms: number; blockMs: number }> {
  let last = performance.now();
  let blockMs = 0;
  let ticking = true;
  const ticker = (async () => {
    while (ticking) {
      await nextTurn();
      const now = performance.now();
      blockMs = Math.max(blockMs, now - last);
      last = now;
    }
  })();
  const t0 = performance.now();
  const bytes = await render();
  const ms = performance.now() - t0;
  ticking = false;
  await ticker;
  return { bytes, ms, blockMs };
}

const text = await metrics.registry.metrics();
const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
console.log(`${NAMES} names x ${LEN} chars x ${TENANTS} fairness ids: /metrics ${(text.length / 1e6).toFixed(2)} MB, ${series} series`);
/** What the metrics server does: writes each piece as it comes (here: counts it). */
async function rendered(): Promise<number> {
  let n = 0;
  for await (const piece of metricsChunks(metrics.registry)) n += piece.length;
  return n;
}
for (let r = 0; r < Number(opt.rounds); r++) {
  for (const [how, render] of [['registry.metrics() (before)', async () => (await metrics.registry.metrics()).length], ['metricsChunks (now)', rendered]] as const) {
    const { bytes, ms, blockMs } = await measure(render);
    console.log(`round ${r + 1} ${how}: ${(bytes / 1e6).toFixed(2)} MB, render ${ms.toFixed(0)} ms, longest event-loop block ${blockMs.toFixed(1)} ms`);
  }
}
