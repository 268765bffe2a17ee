/**
 * ext_proc cost: the picker's CPU per request against a no-op ext_proc server, measured in the same run.
 *
 * Processes: this one is the Envoy-like load driver (bench/overhead/extproc-cost/driver.ts); the picker
 * (startPicker, default scheduler, 100 endpoints with fresh metrics from a metric-farm child, scraped every
 * 50 ms) and the no-op server (grpc-js + proto-loader, same protos) each run in their own child, so each
 * server's CPU time comes from its own process.cpuUsage(). The driver shares the 2 cores, so CPU per request,
 * not req/s, is the figure that compares the servers.
 *
 * For each case (FULL_DUPLEX_STREAMED / BUFFERED x 200 B / 32 KB request body) and each round, alternating
 * no-op and picker:
 *   saturation  closed loop, `concurrency` streams over `connections` HTTP/2 connections: req/s, CPU/request,
 *               request-phase latency p50/p99;
 *   1000 req/s  open loop at --rate: request-phase latency p50/p99 (the latency the picker adds) and CPU.
 * The picker also scrapes while idle; its idle CPU rate is measured after the warm-up and reported, and "net"
 * CPU per request subtracts it. Ratio = no-op CPU per request / picker CPU per request (>= 0.8 is the target).
 * Every picker response must carry its routing decision (an error path would flatter the figures).
 *
 * Run: npm exec -- node bench/overhead/extproc.bench.ts [--seconds 2.5] [--rounds 2] [--concurrency 64]
 *        [--connections 4] [--rate 1000] [--endpoints 100] [--page small|vllm] [--cases fd-200,fd-32k,buf-200,buf-32k]
 *        [--servers noop,picker[,floor]] [--close reset|graceful] [--profile DIR] [--json FILE]
 *        [--pin] [--picker-node-flags=--max-semi-space-size=8]
 * --pin puts the servers on CPU 1 and the driver and metric farm on CPU 0 (taskset), so the latency at
 * 1000 req/s is the server's own rather than a fight for cores with the driver. `floor` adds a raw node:http2 server that decodes nothing (bench/overhead/extproc-cost/h2-floor-server.ts).
 * About 100 s with the defaults. --profile writes a .cpuprofile of each server's first saturation phase per
 * case (the profiler adds CPU: do not read costs from a profiled run).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { BodySendMode } from '../../src/extproc/codec/proto.ts';
import { PICKER_ENV, PICKER_NODE_FLAGS } from '../dev-stack/procs.ts';
import { Child } from './extproc-cost/children.ts';
import type { ChildStats } from './extproc-cost/child-stats.ts';
import { Driver, quantile, type PhaseStats } from './extproc-cost/driver.ts';
import { buildWorkload, type Workload } from './extproc-cost/workload.ts';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2.5' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '64' },
    connections: { type: 'string', default: '4' },
    rate: { type: 'string', default: '1000' },
    endpoints: { type: 'string', default: '100' },
    /** Metric pages the farm serves: small (~2 KB) or vllm (the real 60 KB page). */
    page: { type: 'string', default: 'small' },
    cases: { type: 'string', default: 'fd-200,fd-32k,buf-200,buf-32k' },
    servers: { type: 'string', default: 'noop,picker' },
    json: { type: 'string', default: '' },
    close: { type: 'string', default: 'reset' },
    profile: { type: 'string', default: '' },
    /** Node/V8 flags for the picker child, comma-separated; the default is how the Dockerfile runs it. */
    'picker-node-flags': { type: 'string', default: PICKER_NODE_FLAGS.join(',') },
    /** Pin the servers to CPU 1 and the driver and metric farm to CPU 0 (taskset), so latency is the server's own. */
    pin: { type: 'boolean', default: false },
  },
});
if (opt.profile) mkdirSync(opt.profile, { recursive: true });
const phaseMs = Number(opt.seconds) * 1000;
const rounds = Number(opt.rounds);
const concurrency = Number(opt.concurrency);
const connections = Number(opt.connections);
const rate = Number(opt.rate);
const endpoints = Number(opt.endpoints);
const serverNames = opt.servers.split(',') as ('noop' | 'picker' | 'floor')[];

interface CaseSpec {
  name: string;
  mode: BodySendMode;
  bytes: number;
}
const CASES: Record<string, CaseSpec> = {
  'fd-200': { name: 'FULL_DUPLEX 200 B', mode: 'FULL_DUPLEX_STREAMED', bytes: 200 },
  'fd-32k': { name: 'FULL_DUPLEX 32 KB', mode: 'FULL_DUPLEX_STREAMED', bytes: 32_768 },
  'buf-200': { name: 'BUFFERED 200 B', mode: 'BUFFERED', bytes: 200 },
  'buf-32k': { name: 'BUFFERED 32 KB', mode: 'BUFFERED', bytes: 32_768 },
};
const cases = opt.cases.split(',').map((c) => {
  const spec = CASES[c];
  if (!spec) throw new Error(`unknown case ${c}; known: ${Object.keys(CASES).join(', ')}`);
  return { key: c, ...spec };
});

const log = (s: string) => process.stderr.write(`${s}\n`);

// ---- processes
const here = (p: string) => new URL(`./extproc-cost/${p}`, import.meta.url);
log(`starting metric farm (${endpoints} endpoints), picker and no-op server ...`);
const farm = await Child.start('metric-farm', here('metric-farm.ts'), [String(endpoints), opt.page]);
const servers = new Map<string, Child>();
if (serverNames.includes('noop')) servers.set('noop', await Child.start('noop', here('noop-server.ts'), []));
if (serverNames.includes('floor')) servers.set('floor', await Child.start('floor', here('h2-floor-server.ts'), []));
if (serverNames.includes('picker')) servers.set('picker', await Child.start('picker', here('picker-server.ts'), [String(farm.info.port), String(endpoints)], opt['picker-node-flags'] ? opt['picker-node-flags'].split(',') : [], 60_000, PICKER_ENV));
if (opt.pin) {
  // -a: every thread of the process (libuv workers, V8's GC helpers) goes with it.
  const pin = (cpu: number, pid: number) => execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  try {
    pin(0, process.pid);
    pin(0, farm.pid);
    for (const child of servers.values()) pin(1, child.pid);
  } catch (e) {
    log(`--pin: taskset failed (${(e as Error).message}); running unpinned`);
  }
}
const drivers = new Map<string, Driver>();
for (const [name, child] of servers) {
  const d = await Driver.connect(child.info.address as string, connections);
  d.resetOnClose = opt.close === 'reset';
  drivers.set(name, d);
}

/** Runs `phase` and returns its driver stats and the server's CPU (and scrape counters) over it. */
async function measured(server: string, phase: (d: Driver) => Promise<PhaseStats>): Promise<{ st: PhaseStats; before: ChildStats; after: ChildStats }> {
  const child = servers.get(server)!;
  const before = await child.stats();
  const st = await phase(drivers.get(server)!);
  const after = await child.stats();
  if (st.errors > 0) throw new Error(`${server}: ${st.errors} failed streams (first: ${st.firstError})`);
  // Every picker request must carry its routing decision: a cheap error path would flatter the figures.
  if (server === 'picker' && st.routed !== st.completed) throw new Error(`picker: ${st.completed - st.routed} of ${st.completed} requests not routed`);
  return { st, before, after };
}

// ---- warm-up: JIT both servers on every workload
const workloads = new Map<string, Workload>();
for (const c of cases) workloads.set(c.key, buildWorkload(c.mode, c.bytes));
for (const c of cases) for (const name of servers.keys()) await drivers.get(name)!.closedLoop(workloads.get(c.key)!, concurrency, 800);

// ---- picker idle cost (background scraping), measured after the warm-up (JIT threads count as CPU)
let idleCpuUsPerS = 0;
const picker = servers.get('picker');
if (picker) {
  const a = await picker.stats();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const b = await picker.stats();
  idleCpuUsPerS = (b.cpuUs - a.cpuUs) / ((performance.now() - t0) / 1000);
  log(`picker idle (scraping ${endpoints} endpoints every 50 ms): ${(idleCpuUsPerS / 1e4).toFixed(1)}% of a core`);
}

// ---- measurement
interface Acc {
  requests: number;
  elapsedMs: number;
  cpuUs: number;
  routed: number;
  gcCount: number;
  latency: number[];
}
const acc = (): Acc => ({ requests: 0, elapsedMs: 0, cpuUs: 0, routed: 0, gcCount: 0, latency: [] });
const results = new Map<string, { sat: Acc; fixed: Acc }>();
for (const c of cases) for (const s of servers.keys()) results.set(`${c.key}/${s}`, { sat: acc(), fixed: acc() });

function add(a: Acc, m: { st: PhaseStats; before: ChildStats; after: ChildStats }): void {
  a.requests += m.st.completed;
  a.elapsedMs += m.st.elapsedMs;
  a.cpuUs += m.after.cpuUs - m.before.cpuUs;
  a.gcCount += m.after.gcCount - m.before.gcCount;
  a.routed += m.st.routed;
  const n = Math.min(m.st.completed, m.st.requestPhaseMs.length);
  for (let i = 0; i < n; i++) a.latency.push(m.st.requestPhaseMs[i]!);
}

for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    const w = workloads.get(c.key)!;
    for (const s of servers.keys()) {
      const res = results.get(`${c.key}/${s}`)!;
      const profiling = opt.profile !== '' && r === 0;
      if (profiling) await servers.get(s)!.profileStart();
      const sat = await measured(s, (d) => d.closedLoop(w, concurrency, phaseMs));
      if (profiling) await servers.get(s)!.profileStop(`${opt.profile}/${c.key}-${s}.cpuprofile`);
      add(res.sat, sat);
      const fixed = await measured(s, (d) => d.openLoop(w, rate, phaseMs));
      add(res.fixed, fixed);
      log(`round ${r + 1}/${rounds} ${c.name.padEnd(18)} ${s.padEnd(6)} ${(sat.st.completed / (sat.st.elapsedMs / 1000)).toFixed(0).padStart(6)} req/s, ${((sat.after.cpuUs - sat.before.cpuUs) / sat.st.completed).toFixed(1)} us CPU/req`);
    }
  }
}

// ---- report
function summarize(a: Acc, server: string) {
  const lat = Float64Array.from(a.latency);
  const cpuPerReq = a.cpuUs / a.requests;
  const idleUs = server === 'picker' ? (idleCpuUsPerS * a.elapsedMs) / 1000 : 0;
  return {
    requests: a.requests,
    reqPerS: a.requests / (a.elapsedMs / 1000),
    cpuUsPerReq: cpuPerReq,
    netCpuUsPerReq: (a.cpuUs - idleUs) / a.requests,
    serverCoreShare: a.cpuUs / 1000 / a.elapsedMs,
    p50Ms: quantile(lat, lat.length, 0.5),
    p90Ms: quantile(lat, lat.length, 0.9),
    p99Ms: quantile(lat, lat.length, 0.99),
    p999Ms: quantile(lat, lat.length, 0.999),
    routedShare: a.routed / a.requests,
    gcPer1kReq: (a.gcCount * 1000) / a.requests,
  };
}

const report = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? '',
  config: { phaseMs, rounds, concurrency, connections, rate, endpoints },
  pickerIdleCpuShare: idleCpuUsPerS / 1e6,
  cases: cases.map((c) => {
    const per: Record<string, { saturation: ReturnType<typeof summarize>; fixedRate: ReturnType<typeof summarize> }> = {};
    for (const s of servers.keys()) {
      const r = results.get(`${c.key}/${s}`)!;
      per[s] = { saturation: summarize(r.sat, s), fixedRate: summarize(r.fixed, s) };
    }
    const noop = per.noop?.saturation;
    const pick = per.picker?.saturation;
    return {
      case: c.key,
      name: c.name,
      ...per,
      ratioNoopOverPicker: noop && pick ? noop.cpuUsPerReq / pick.cpuUsPerReq : null,
      ratioNoopOverPickerNet: noop && pick ? noop.cpuUsPerReq / pick.netCpuUsPerReq : null,
    };
  }),
};

for (const d of drivers.values()) d.close();
await Promise.all([...servers.values()].map((s) => s.stop()));
await farm.stop();

if (opt.json) writeFileSync(opt.json, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));

const f1 = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(1));
const f2 = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(2));
const lines = [
  `ext_proc cost, node ${process.version}, ${report.cpus} x ${report.cpuModel}`,
  `saturation: ${concurrency} streams over ${connections} connections; fixed: ${rate} req/s; ${rounds} rounds x ${phaseMs / 1000} s per phase`,
  `picker idle (scraping ${endpoints} endpoints / 50 ms): ${(report.pickerIdleCpuShare * 100).toFixed(1)}% of a core`,
  '',
  '| case | server | req/s (sat) | CPU us/req (sat) | net | p50 / p99 ms (sat) | CPU us/req @rate | p50 / p99 ms @rate | ratio no-op/picker |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const c of report.cases) {
  for (const s of servers.keys()) {
    const r = (c as unknown as Record<string, { saturation: ReturnType<typeof summarize>; fixedRate: ReturnType<typeof summarize> }>)[s]!;
    const ratio = s === 'picker' ? `${f2(c.ratioNoopOverPicker)} (net ${f2(c.ratioNoopOverPickerNet)})` : '';
    lines.push(
      `| ${c.name} | ${s} | ${r.saturation.reqPerS.toFixed(0)} | ${f1(r.saturation.cpuUsPerReq)} | ${s === 'picker' ? f1(r.saturation.netCpuUsPerReq) : ''} | ${f2(r.saturation.p50Ms)} / ${f2(r.saturation.p99Ms)} | ${f1(r.fixedRate.cpuUsPerReq)} | ${f2(r.fixedRate.p50Ms)} / ${f2(r.fixedRate.p99Ms)} | ${ratio} |`,
    );
  }
}
console.log(lines.join('\n'));
