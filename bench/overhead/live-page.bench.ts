/**
 * What decision explain and the live page cost the request path.
 *   1. one scheduling cycle at 100 endpoints (default plugins), plain vs explained (the recorder the debug
 *      header, /debug/explain and the page's sampling use): ns per cycle;
 *   2. the real picker in-process (ext_proc over loopback, 10 fake vLLM servers) under closed-loop load, in
 *      alternating rounds with no page open and with one open (an SSE client reading /ui/events, as a
 *      browser's EventSource does): requests per second and process CPU per request. The driver runs in the
 *      same process, so CPU per request includes it; the difference between the rounds is the page's cost.
 * Run: node bench/overhead/live-page.bench.ts [--rounds 3] [--seconds 3] [--concurrency 16]
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { loadSchedulerConfig } from '../../src/config/loader.ts';
import type { ExplainRecorder } from '../../src/framework/explain.ts';
import { inTreePluginRegistry } from '../../src/plugins/registry.ts';
import { makeRequest, testHandle, variedEndpoints } from '../../test/support/scheduling/testing.ts';
import { startFixture } from '../../test/support/picker-fixture.ts';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '16' } } });
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// 1. plain vs explained cycle
function cycleNs(explain: boolean): number {
  const { scheduler } = loadSchedulerConfig(undefined, testHandle(), { registry: inTreePluginRegistry() });
  const eps = variedEndpoints(100);
  const req = makeRequest();
  let sink = 0;
  const run = () => {
    const rec: ExplainRecorder | null = explain ? { profiles: [] } : null;
    const r = scheduler.schedule(req, eps, rec);
    if (r.ok) sink += r.primary.count;
  };
  const per = explain ? 2_000 : 20_000;
  for (let i = 0; i < per; i++) run();
  const samples: number[] = [];
  for (let b = 0; b < 21; b++) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) run();
    samples.push(((performance.now() - t0) * 1e6) / per);
  }
  if (sink < 0) console.log(sink);
  return median(samples);
}
const plainNs = cycleNs(false);
const explainedNs = cycleNs(true);

// 2. the picker under load, page closed vs open
const PROMPT = { model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'You are a helpful assistant. '.repeat(40) + 'Say hi.', max_tokens: 16 };
const fx = await startFixture({ servers: 10 });
await fx.synced();

async function round(pageOpen: boolean): Promise<{ rps: number; cpuUsPerReq: number; snapshots: number }> {
  let snapshots = 0;
  let client: http.ClientRequest | null = null;
  if (pageOpen) {
    await new Promise<void>((resolve, reject) => {
      client = http.get({ host: '127.0.0.1', port: fx.picker.metricsPort, path: '/ui/events' }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (snapshots += chunk.split('data: ').length - 1));
        resolve();
      });
      client.on('error', reject);
    });
  }
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const { session } = await fx.envoy.request({ body: PROMPT, path: '/v1/completions' });
        session.close();
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  (client as http.ClientRequest | null)?.destroy();
  await fx.picker.extProc.idle();
  return { rps: done / seconds, cpuUsPerReq: (cpu.user + cpu.system) / done, snapshots };
}

await round(false); // warm-up
const closed: { rps: number; cpuUsPerReq: number }[] = [];
const open: { rps: number; cpuUsPerReq: number; snapshots: number }[] = [];
// Alternating which goes first, so that drift over the run (JIT, other load on the machine) favours neither.
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    closed.push(await round(false));
    open.push(await round(true));
  } else {
    open.push(await round(true));
    closed.push(await round(false));
  }
}
await fx.close();

const result = {
  node: process.version,
  cycle100: { plainNs, explainedNs },
  underLoad: {
    concurrency: CONCURRENCY,
    secondsPerRound: SECONDS,
    pageClosed: { rps: median(closed.map((x) => x.rps)), cpuUsPerReq: median(closed.map((x) => x.cpuUsPerReq)) },
    pageOpen: { rps: median(open.map((x) => x.rps)), cpuUsPerReq: median(open.map((x) => x.cpuUsPerReq)), snapshotsPerRound: median(open.map((x) => x.snapshots)) },
    rounds: { closed, open },
  },
};
console.log(JSON.stringify(result, null, 2));
const u = result.underLoad;
console.log(`cycle at 100 eps: plain ${(plainNs / 1000).toFixed(2)} us, explained ${(explainedNs / 1000).toFixed(2)} us`);
console.log(`under load (c=${CONCURRENCY}): page closed ${u.pageClosed.rps.toFixed(0)} req/s, ${u.pageClosed.cpuUsPerReq.toFixed(0)} us CPU/req; page open ${u.pageOpen.rps.toFixed(0)} req/s, ${u.pageOpen.cpuUsPerReq.toFixed(0)} us CPU/req (${u.pageOpen.snapshotsPerRound} snapshots per ${SECONDS} s round)`);
