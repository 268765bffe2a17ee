/**
 * Child process: the real picker (startPicker: ext_proc server, datastore, scraper, default scheduler,
 * Prometheus metrics) over `count` endpoints served by the metric farm, plaintext h2c, logs off. Ready once
 * every endpoint has been scraped, i.e. the scheduler sees fresh metrics.
 *
 * Run by the benchmarks: node bench/overhead/extproc-cost/picker-server.ts <farmPort> <count> [extra picker flags...]
 * `--kubernetes` among the extra flags: Kubernetes mode instead of a resources file, against the API server in
 * KUBECONFIG (pool "pool" in namespace "inference", whose pods the parent has put there; memory benchmark).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseFlags } from '../../../src/cli/flags.ts';
import { systemClock } from '../../../src/framework/clock.ts';
import { LLMRequest } from '../../../src/framework/request.ts';
import { createPrefixCacheScorer } from '../../../src/plugins/scheduling/scorer/prefix-cache/prefix-cache.ts';
import { startPicker } from '../../../src/runner.ts';
import { resourcesYaml } from '../../../test/support/picker-fixture.ts';
import { ready, serveStats } from './child-stats.ts';

const farmPort = Number(process.argv[2]);
const count = Number(process.argv[3] ?? 100);
const kubernetes = process.argv.includes('--kubernetes');
const extraFlags = process.argv.slice(4).filter((f) => f !== '--kubernetes');
const hostOf = (i: number) => `127.0.${(i + 2) >> 8}.${(i + 2) & 255}`;
const hosts = Array.from({ length: count }, (_, i) => hostOf(i));

const dir = mkdtempSync(join(tmpdir(), 'epp-bench-'));
const resources = join(dir, 'resources.yaml');
if (!kubernetes) writeFileSync(resources, resourcesYaml(hosts, farmPort));
const flags = parseFlags([
  ...(kubernetes ? ['--pool-name=pool', '--pool-namespace=inference'] : ['--resources', resources]),
  '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false',
  ...extraFlags,
]);
const picker = await startPicker(flags, pino({ level: 'silent' }));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// Fresh metrics everywhere before the first request.
for (let i = 0; i < 600; i++) {
  if (picker.datastore.endpoints().length === count && picker.datastore.endpoints().every((e) => e.metricsUpdatedAt >= 0)) break;
  await new Promise((r) => setTimeout(r, 50));
}

async function scrapeCounts(): Promise<Record<string, number>> {
  const m = await picker.metrics.scrapes.get();
  const out: Record<string, number> = { scrapesOk: 0, scrapesFailed: 0, endpoints: picker.datastore.endpoints().length };
  for (const v of m.values) {
    if (v.labels.result === 'success') out.scrapesOk! += v.value;
    else out.scrapesFailed! += v.value;
  }
  return out;
}

/**
 * fill-prefix (memory benchmark): a default prefix-cache scorer filled until every endpoint's LRU holds
 * `capacity` blocks, through its own preRequest path (16 KB prompts, 256 blocks each). The picker's own scorer
 * is not reachable from here; this one lives in the same process, so RSS is that of a picker holding a full
 * index. Returns the entries held.
 */
const filled: unknown[] = [];
function fillPrefix(arg: unknown): { entries: number; endpoints: number; capacity: number } {
  const capacity = Number((arg as { capacity: number }).capacity);
  const handle = { endpoints: picker.datastore, clock: systemClock, logger: pino({ level: 'silent' }), metricsStalenessMs: flags.metricsStalenessThresholdMs };
  const scorer = createPrefixCacheScorer('prefix-cache-memory', { autoTune: false, lruCapacityPerServer: capacity }, handle);
  filled.push(scorer);
  const eps = picker.datastore.endpoints();
  const req = new LLMRequest();
  req.model = req.targetModel = 'meta-llama/Llama-3.1-8B-Instruct';
  // One long pseudo-random text; prompts are 16 KB windows of it at distinct offsets (distinct block chains).
  // Built in a Buffer and decoded once: a million `+=` left ~30 MB of old-space pages in the RSS after GC,
  // which the index measurement then counted.
  const bytes = Buffer.allocUnsafe((1 << 20) + 16_384);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = 32 + (x >>> 16) % 95;
  }
  const text = bytes.toString('latin1');
  let offset = 0;
  const perEndpoint = Math.ceil(capacity / 256) + 1;
  for (const ep of eps) {
    const single = { ok: true as const, profileResults: new Map(), primaryProfileName: 'default', primary: { endpoints: [ep], count: 1 } };
    for (let k = 0; k < perEndpoint; k++) {
      req.promptText = text.slice(offset, offset + 16_384);
      offset = (offset + 4099) % (1 << 20);
      scorer.preRequest(req, single);
    }
  }
  return { entries: scorer.indexEntries(), endpoints: eps.length, capacity };
}

/**
 * set-endpoints (soak benchmark): the resources file rewritten with the farm's hosts first..first+count-1, as a
 * rollout would (pods leave, new ones join); resolves once the picker has every one of them.
 */
async function setEndpoints(arg: unknown): Promise<{ endpoints: number }> {
  const { first, count: n } = arg as { first: number; count: number };
  const want = Array.from({ length: n }, (_, i) => hostOf(first + i));
  writeFileSync(resources, resourcesYaml(want, farmPort));
  for (let i = 0; i < 200; i++) {
    const have = new Set(picker.datastore.endpoints().map((e) => e.address));
    if (have.size === n && want.every((h) => have.has(h))) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { endpoints: picker.datastore.endpoints().length };
}

serveStats(scrapeCounts, { 'fill-prefix': fillPrefix, 'set-endpoints': setEndpoints });
ready({ port: picker.grpcPort, address: `127.0.0.1:${picker.grpcPort}`, endpoints: picker.datastore.endpoints().length, fresh: picker.datastore.endpoints().filter((e) => e.metricsUpdatedAt >= 0).length });
