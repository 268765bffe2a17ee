/**
 * Out-of-process soak (issue 14): the real picker as a child process (startPicker as the image runs it: node flags
 * and malloc settings of bench/dev-stack/procs.ts), scraping a metric farm of real HTTP servers every 50 ms, driven
 * over gRPC from this process by `--concurrency` Envoy-like streams (FULL_DUPLEX chat requests, a response with
 * usage, the stream reset as Envoy does), for a bounded `--seconds`. Endpoints churn: every `--churn-s` seconds the
 * resources file moves its window of `--endpoints` over the farm's hosts by `--churn` (pods leave, new ones join).
 * Model names: 50 known and a new unknown one every 97 requests. RSS is read from /proc/<pid>/status (VmRSS, no GC
 * forced), the live heap after a GC the child runs; goal flat: the last quarter within 5% of the second. A new
 * gRPC connection every 10,000 requests (see PER_CONNECTION).
 *
 * Run: npm exec -- node bench/overhead/soak-process.bench.ts [--seconds 120] [--concurrency 16] [--endpoints 30]
 *        [--churn 3] [--churn-s 2] [--sample-s 1]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PICKER_ENV, PICKER_NODE_FLAGS } from '../dev-stack/procs.ts';
import { EnvoyDriver } from '../../test/support/envoy-driver.ts';
import { Child } from './extproc-cost/children.ts';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '16' },
    endpoints: { type: 'string', default: '30' },
    churn: { type: 'string', default: '3' },
    'churn-s': { type: 'string', default: '2' },
    'sample-s': { type: 'string', default: '1' },
  },
});
const SECONDS = Number(opt.seconds);
const ENDPOINTS = Number(opt.endpoints);
const CHURN = Number(opt.churn);
const FARM = ENDPOINTS * 3;
const MB = 2 ** 20;
const here = (p: string) => new URL(`./extproc-cost/${p}`, import.meta.url);

const farm = await Child.start('metric-farm', here('metric-farm.ts'), [String(FARM), 'vllm']);
const picker = await Child.start('picker', here('picker-server.ts'), [String(farm.info.port), String(ENDPOINTS)], [...PICKER_NODE_FLAGS, '--expose-gc'], 60_000, PICKER_ENV);
/**
 * A new connection every PER_CONNECTION requests: grpc-js's client (this driver) fails every later stream with
 * "RST_STREAM with code 2 triggered by internal client error: Protocol error" after 22,000-34,000 streams on one
 * connection, against its own grpc-js no-op server (extproc-cost/noop-server.ts) as against the picker: a client
 * limit, not the picker's. The connection two generations back is closed (its requests are done).
 */
const PER_CONNECTION = 10_000;
const drivers: EnvoyDriver[] = [];
function driverFor(i: number): EnvoyDriver {
  const k = Math.floor(i / PER_CONNECTION);
  while (drivers.length <= k) {
    // Its own subchannel pool: otherwise grpc-js hands every client the same shared connection.
    drivers.push(new EnvoyDriver(picker.info.address as string, undefined, { 'grpc.use_local_subchannel_pool': 1 }));
    drivers[drivers.length - 3]?.close();
  }
  return drivers[k]!;
}

/** VmRSS of the picker from /proc, in MB. */
function rssMB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${picker.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const system = 'You are a helpful assistant. '.repeat(20);
let sent = 0;
let failed = 0;
let rejected = 0;
let firstError = '';
async function one(i: number): Promise<void> {
  const model = i % 97 === 0 ? `unknown-${i}` : `model-${i % 50}`;
  const body = { model, messages: [{ role: 'system', content: system }, { role: 'user', content: `question ${i} ${'q'.repeat(i % 300)}` }] };
  const envoy = driverFor(i);
  const { session, responses } = await envoy.request({ path: '/v1/chat/completions', body });
  if (responses[0]?.immediate_response) rejected++;
  else await envoy.respond(session, { status: 200, headers: { 'content-type': 'application/json' }, chunks: [`{"model":"${model}","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":10}}`] });
  session.close();
}

const t0 = performance.now();
const deadline = t0 + SECONDS * 1000;
const workers = Array.from({ length: Number(opt.concurrency) }, async () => {
  while (performance.now() < deadline) {
    const i = sent++;
    await one(i).catch((err: Error) => {
      failed++;
      firstError ||= `request ${i} at ${((performance.now() - t0) / 1000).toFixed(1)} s: ${err.message}`;
    });
  }
});

const samples: { t: number; rss: number; heap: number; sent: number }[] = [];
let window = 0;
let nextChurn = t0 + Number(opt['churn-s']) * 1000;
const sampler = (async () => {
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, Number(opt['sample-s']) * 1000));
    const rss = rssMB();
    const st = await picker.stats('gc');
    samples.push({ t: (performance.now() - t0) / 1000, rss, heap: st.heapUsed / MB, sent });
    if (performance.now() >= nextChurn) {
      window = (window + CHURN) % (FARM - ENDPOINTS);
      await picker.run('set-endpoints', { first: window, count: ENDPOINTS });
      nextChurn += Number(opt['churn-s']) * 1000;
    }
  }
})();
await Promise.all([...workers, sampler]);
const end = await picker.stats();
const seconds = (performance.now() - t0) / 1000;

const q = Math.floor(samples.length / 4);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quarter = (k: number, f: (s: (typeof samples)[number]) => number) => mean(samples.slice(k * q, (k + 1) * q).map(f));
const drift = (f: (s: (typeof samples)[number]) => number) => (100 * (quarter(3, f) - quarter(1, f))) / quarter(1, f);
if (firstError) console.log(`first failure: ${firstError}`);
console.log(`${sent} requests in ${seconds.toFixed(0)} s (${Math.round(sent / seconds)}/s, concurrency ${opt.concurrency}), ${failed} failed, ${rejected} rejected; ${ENDPOINTS} endpoints, window moved by ${CHURN} every ${opt['churn-s']} s over ${FARM} hosts; scrapes ok ${end.extra.scrapesOk}, failed ${end.extra.scrapesFailed}`);
for (let k = 0; k < 4; k++) console.log(`Q${k + 1}: RSS ${quarter(k, (s) => s.rss).toFixed(1)} MB, live heap ${quarter(k, (s) => s.heap).toFixed(1)} MB`);
console.log(`last quarter vs second: RSS ${drift((s) => s.rss).toFixed(1)}%, live heap ${drift((s) => s.heap).toFixed(1)}% (goal: within 5%)`);
const every = Math.max(1, Math.floor(samples.length / 12));
console.log(`RSS MB over time: ${samples.filter((_, k) => k % every === 0).map((s) => `${s.t.toFixed(0)}s ${s.rss.toFixed(0)}`).join(', ')}`);
for (const d of drivers.slice(-2)) d.close();
await picker.stop();
await farm.stop();
