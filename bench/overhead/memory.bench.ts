/**
 * Memory: RSS of a picker process (startPicker: datastore, scrape loops, ext_proc server, Prometheus) with
 * 1,000 endpoints served by a metric-farm child, first with an empty prefix index, then with a full one:
 * every endpoint's LRU holding `capacity` blocks, filled through the prefix-cache scorer's own preRequest.
 * Measured after a forced GC in the picker child (process.memoryUsage: rss, heapUsed, arrayBuffers; RssFile from
 * /proc). That GC is a regular full one, which leaves V8's pooled pages mapped; the memory-reducing one the
 * picker runs after loading its initial state (src/runtime/heap-compaction.ts) is the picker's own doing.
 *
 * Capacities: the 5,623 blocks autoTune takes from the vLLM page's num_gpu_blocks, and the default
 * lruCapacityPerServer (31,250). Scrapes run every 1 s here (1,000 endpoints every 50 ms would need more CPU
 * than this 2-core machine has beside the farm); the interval does not change what is held in memory.
 *
 * The picker child runs compiled JavaScript, as the Docker image does (tsc into .bench-build/, then the
 * @kubernetes/client-node bundle of npm run build; removed afterwards); `--source` runs the .ts files with Node's type stripping instead, which holds ~20 MB more.
 *
 * `--mode kubernetes` runs the picker in Kubernetes mode instead, against a fake API server in this process
 * (test/support/k8s/fake-apiserver.ts, on loopback) holding the pool and one pod per endpoint: what
 * @kubernetes/client-node and the watches add.
 *
 * Run: npm exec -- node bench/overhead/memory.bench.ts [--endpoints 1000] [--capacities 5623,31250] [--mode standalone|kubernetes] [--source] [--unbundled] [--json FILE]
 * About 60 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleClientNode } from '../../scripts/bundle-client-node.ts';
import { PICKER_ENV, PICKER_NODE_FLAGS } from '../dev-stack/procs.ts';
import { Child } from './extproc-cost/children.ts';
import type { ChildStats } from './extproc-cost/child-stats.ts';

const { values: opt } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '1000' },
    capacities: { type: 'string', default: '5623,31250' },
    interval: { type: 'string', default: '1s' },
    mode: { type: 'string', default: 'standalone' },
    json: { type: 'string', default: '' },
    /** V8/Node flags for the picker child, comma-separated; the default is how the Dockerfile runs it. */
    'node-flags': { type: 'string', default: PICKER_NODE_FLAGS.join(',') },
    /** Run the picker child from the .ts sources (type stripping) instead of compiled JavaScript. */
    source: { type: 'boolean', default: false },
    /** Leave out the @kubernetes/client-node bundle of npm run build: the library as installed. */
    unbundled: { type: 'boolean', default: false },
  },
});
const endpoints = Number(opt.endpoints);
if (opt.mode !== 'standalone' && opt.mode !== 'kubernetes') throw new Error(`--mode: standalone or kubernetes, not ${opt.mode}`);
const capacities = opt.capacities.split(',').map(Number);
const nodeFlags = opt['node-flags'] ? opt['node-flags'].split(',') : [];
const log = (s: string) => process.stderr.write(`${s}\n`);
const MB = (b: number) => b / 2 ** 20;

const here = (p: string) => new URL(`./extproc-cost/${p}`, import.meta.url);

/**
 * The picker child's script: compiled into .bench-build/ (a child of the package root, so node_modules and
 * ../../../proto resolve as from dist/), or the .ts source with --source.
 */
async function pickerScript(): Promise<{ script: URL; cleanup: () => void }> {
  if (opt.source) return { script: here('picker-server.ts'), cleanup: () => {} };
  const root = new URL('../../', import.meta.url);
  const out = new URL('.bench-build/', root);
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  log('compiling (tsc) ...');
  execFileSync(process.execPath, [tsc, '-p', new URL('tsconfig.json', root).pathname, '--noEmit', 'false', '--sourceMap', 'false', '--outDir', out.pathname], { stdio: 'inherit' });
  if (!opt.unbundled) await bundleClientNode(out.pathname); // as npm run build does
  return { script: new URL('bench/overhead/extproc-cost/picker-server.js', out), cleanup: () => rmSync(out, { recursive: true, force: true }) };
}
const { script: pickerJs, cleanup } = await pickerScript();
process.on('exit', cleanup);
interface Row {
  state: string;
  capacity: number;
  entries: number;
  rssMB: number;
  /** Of rssMB, the node binary's and libraries' code pages (file-backed: shared, and reclaimable by the kernel). */
  rssFileMB: number;
  heapUsedMB: number;
  arrayBuffersMB: number;
  bytesPerEntry: number | null;
}
const rows: Row[] = [];
const row = (state: string, capacity: number, entries: number, s: ChildStats, base: ChildStats | null): Row => ({
  state,
  capacity,
  entries,
  rssMB: MB(s.rss),
  rssFileMB: MB(s.rssFile),
  heapUsedMB: MB(s.heapUsed),
  arrayBuffersMB: MB(s.arrayBuffers),
  bytesPerEntry: base && entries > 0 ? (s.rss - base.rss) / entries : null,
});

log(`starting metric farm (${endpoints} endpoints) ...`);
const farm = await Child.start('metric-farm', here('metric-farm.ts'), [String(endpoints), 'small'], [], 120_000);
const kube = opt.mode === 'kubernetes' ? await startApiServer(farm.info.port as number, farm.info.hosts as string[]) : null;
for (const capacity of capacities) {
  // A fresh picker per capacity: RSS does not shrink after a big index is dropped.
  const args = [String(farm.info.port), String(endpoints), `--refresh-metrics-interval=${opt.interval}`, ...(kube ? ['--kubernetes'] : [])];
  const picker = await Child.start('picker', pickerJs, args, ['--expose-gc', ...nodeFlags], 120_000, { ...PICKER_ENV, ...(kube ? { KUBECONFIG: kube.kubeconfig } : {}) });
  await new Promise((r) => setTimeout(r, 3000)); // a few scrape rounds: connections, page buffers, JIT
  const base = await picker.stats('gc');
  if (rows.length === 0) rows.push(row(`${endpoints} endpoints scraped, empty prefix index`, 0, 0, base, null));
  const t0 = performance.now();
  const { result } = await picker.run('fill-prefix', { capacity });
  const fill = result as { entries: number };
  const full = await picker.stats('gc');
  rows.push(row(`full prefix index, ${capacity.toLocaleString('en-US')} blocks per endpoint`, capacity, fill.entries, full, base));
  log(`capacity ${capacity}: ${fill.entries.toLocaleString('en-US')} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${MB(full.rss).toFixed(0)} MB`);
  await picker.stop();
}
await farm.stop();
await kube?.close();

/** The fake API server with the pool (targetPort: the farm's) and one ready pod per farm host. */
async function startApiServer(port: number, hosts: string[]): Promise<{ kubeconfig: string; close(): Promise<void> }> {
  const { FakeApiServer } = await import('../../test/support/k8s/fake-apiserver.ts');
  const { pod, pool } = await import('../../test/support/k8s/objects.ts');
  const server = await FakeApiServer.start();
  server.apply(pool('pool', { app: 'vllm' }, [port]));
  hosts.forEach((ip, i) => server.apply(pod(`vllm-${i}`, { ip })));
  const dir = mkdtempSync(join(tmpdir(), 'epp-mem-kube-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, server.kubeConfig().exportConfig());
  return {
    kubeconfig,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// With --source the picker child is a .ts file run with Node's type stripping; the Docker image runs
// compiled JS. What the stripping itself holds: RSS of an empty .ts program against an empty .mjs one.
const dir = mkdtempSync(join(tmpdir(), 'epp-mem-'));
const emptyRss = (file: string, src: string): number => {
  writeFileSync(join(dir, file), src);
  return Number(execFileSync(process.execPath, ['--expose-gc', join(dir, file)], { encoding: 'utf8' }).trim());
};
const probe = 'globalThis.gc(); console.log(process.memoryUsage().rss)';
const typeStrippingMB = MB(emptyRss('empty.ts', `const typed: number = 1; void typed; ${probe}`) - emptyRss('empty.mjs', probe));
rmSync(dir, { recursive: true, force: true });

const report = { node: process.version, mode: opt.mode, endpoints, scrapeInterval: opt.interval, nodeFlags, picker: opt.source ? 'source (.ts, type stripping)' : opt.unbundled ? 'compiled (tsc), client-node unbundled' : 'compiled (tsc + client-node bundle)', typeStrippingMB, rows };
if (opt.json) writeFileSync(opt.json, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
console.log(
  [
    `memory, ${endpoints} endpoints, ${opt.mode} mode (target: RSS <= 200 MB with a full prefix index)`,
    '| state | entries | RSS MB | of which file-backed MB | heap used MB | array buffers MB | RSS bytes per entry |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.state} | ${r.entries.toLocaleString('en-US')} | ${r.rssMB.toFixed(0)} | ${r.rssFileMB.toFixed(0)} | ${r.heapUsedMB.toFixed(1)} | ${r.arrayBuffersMB.toFixed(1)} | ${r.bytesPerEntry === null ? '' : r.bytesPerEntry.toFixed(1)} |`),
    `(picker ${report.picker}${opt.source ? `: type stripping holds ${typeStrippingMB.toFixed(0)} MB of that RSS, which the compiled build in the Docker image does not` : ''}; picker flags: ${nodeFlags.join(' ') || 'none'}, env: ${Object.entries(PICKER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})`,
  ].join('\n'),
);
