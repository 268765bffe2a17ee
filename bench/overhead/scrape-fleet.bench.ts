/**
 * Scrape cost: (1) parse cost of the real 61,798-byte vLLM 0.30.0 page, bytes to metrics (family locator and
 * extractor, as every scrape runs them; also the whole page decoded and scanned),
 * in-process; (2) the CPU share of a picker process (startPicker, logs off, Prometheus hooks on) scraping a
 * fleet of fake model servers (default 200 endpoints serving that page, every 50 ms). The fleet runs in a
 * metric-farm child on 127.0.0.2.. and the picker in its own child, so the share is the picker's own CPU
 * time (user + system, every thread) over the window, from process.cpuUsage() in the child.
 *
 * Run: npm exec -- node bench/overhead/scrape-fleet.bench.ts [--endpoints 200] [--interval 50ms] [--page vllm|small]
 *        [--windows 4] [--seconds 3] [--picker-node-flags=--max-semi-space-size=8] [--json FILE]
 * About 25 s with the defaults (5 s warm-up, then the windows; the median window is reported).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { extractorFor } from '../../src/datalayer/engines.ts';
import { FamilyLocator } from '../../src/datalayer/family-locator.ts';
import { ScrapedMetrics } from '../../src/datalayer/scraped-metrics.ts';
import { PICKER_ENV, PICKER_NODE_FLAGS } from '../dev-stack/procs.ts';
import { Child } from './extproc-cost/children.ts';

const { values: opt } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '200' },
    interval: { type: 'string', default: '50ms' },
    page: { type: 'string', default: 'vllm' },
    windows: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '3' },
    json: { type: 'string', default: '' },
    /** V8/Node flags for the picker child, comma-separated; the default is how the Dockerfile runs it. */
    'picker-node-flags': { type: 'string', default: PICKER_NODE_FLAGS.join(',') },
  },
});
const endpoints = Number(opt.endpoints);
const windows = Number(opt.windows);
const windowMs = Number(opt.seconds) * 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);

// ---- (1) parse cost, in this process: page bytes -> metrics, as a scrape gets them from the socket
const pageBytes = readFileSync(new URL('../../src/datalayer/testdata/vllm-metrics-v0.30.0-qwen2.5-7b-lora.txt', import.meta.url));
const extractor = extractorFor('vllm');
const locator = new FamilyLocator(extractor.names);
const out = new ScrapedMetrics();
const whole = () => extractor.extract(pageBytes.toString('utf8'), out);
const located = () => extractor.extract(locator.excerpt(pageBytes, 0, pageBytes.length), out);
function nsPerPage(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn();
  const batches: number[] = [];
  for (let b = 0; b < 41; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) fn();
    batches.push(Number(process.hrtime.bigint() - t0) / 100);
  }
  return batches.sort((a, b) => a - b)[batches.length >> 1]!;
}
const wholeNs = nsPerPage(whole);
const parseNs = nsPerPage(located);
log(`parse: ${(parseNs / 1000).toFixed(1)} us per ${pageBytes.length}-byte vLLM page (family locator + extract; decoding and scanning the whole page: ${(wholeNs / 1000).toFixed(1)} us)`);

// ---- (2) fleet
const here = (p: string) => new URL(`./extproc-cost/${p}`, import.meta.url);
log(`starting metric farm (${endpoints} x ${opt.page}) and picker (scrape every ${opt.interval}) ...`);
const farm = await Child.start('metric-farm', here('metric-farm.ts'), [String(endpoints), opt.page]);
// The picker runs with the flags and environment it ships with (Dockerfile).
const picker = await Child.start('picker', here('picker-server.ts'), [String(farm.info.port), String(endpoints), `--refresh-metrics-interval=${opt.interval}`], opt['picker-node-flags'] ? opt['picker-node-flags'].split(',') : [], 60_000, PICKER_ENV);
await new Promise((r) => setTimeout(r, 5000)); // JIT warm-up; its compile threads would count as picker CPU

interface Window {
  pickerCpuShare: number;
  userShare: number;
  systemShare: number;
  farmCpuShare: number;
  scrapesPerS: number;
  failures: number;
  gcs: number;
  gcMs: number;
  cpuUsPerScrape: number;
  rssMB: number;
}
const results: Window[] = [];
for (let w = 0; w < windows; w++) {
  const [a, fa] = [await picker.stats(), await farm.stats()];
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const [b, fb] = [await picker.stats(), await farm.stats()];
  const us = (performance.now() - t0) * 1000;
  const scrapes = b.extra.scrapesOk! - a.extra.scrapesOk!;
  const win: Window = {
    pickerCpuShare: (b.cpuUs - a.cpuUs) / us,
    userShare: (b.userUs - a.userUs) / us,
    systemShare: (b.systemUs - a.systemUs) / us,
    farmCpuShare: (fb.cpuUs - fa.cpuUs) / us,
    scrapesPerS: scrapes / (us / 1e6),
    failures: b.extra.scrapesFailed! - a.extra.scrapesFailed!,
    gcs: b.gcCount - a.gcCount,
    gcMs: b.gcMs - a.gcMs,
    cpuUsPerScrape: (b.cpuUs - a.cpuUs) / scrapes,
    rssMB: b.rss / 2 ** 20,
  };
  results.push(win);
  log(`window ${w + 1}/${windows}: picker ${(win.pickerCpuShare * 100).toFixed(1)}% of a core (user ${(win.userShare * 100).toFixed(1)}%, sys ${(win.systemShare * 100).toFixed(1)}%), ${win.scrapesPerS.toFixed(0)} scrapes/s, ${win.cpuUsPerScrape.toFixed(1)} us/scrape, ${win.gcs} GCs, ${win.failures} failures`);
}
await picker.stop();
await farm.stop();

const median = [...results].sort((x, y) => x.pickerCpuShare - y.pickerCpuShare)[results.length >> 1]!;
const report = {
  node: process.version,
  pageBytes: pageBytes.length,
  parseUsPerPage: parseNs / 1000,
  parseWholePageUs: wholeNs / 1000,
  fleet: { endpoints, interval: opt.interval, page: opt.page, farmPageBytes: farm.info.pageBytes, windowMs, median, windows: results },
};
if (opt.json) writeFileSync(opt.json, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
console.log(
  [
    `parse: ${report.parseUsPerPage.toFixed(1)} us per ${pageBytes.length}-byte vLLM page (target <= 100 us; whole page decoded and scanned: ${report.parseWholePageUs.toFixed(1)} us)`,
    `fleet: ${endpoints} endpoints x ${farm.info.pageBytes} B every ${opt.interval}: picker ${(median.pickerCpuShare * 100).toFixed(1)}% of one core (target < 25%), ${median.scrapesPerS.toFixed(0)} scrapes/s, ${median.cpuUsPerScrape.toFixed(1)} us CPU per scrape, ${median.gcs} GCs per ${windowMs / 1000} s, RSS ${median.rssMB.toFixed(0)} MB`,
  ].join('\n'),
);
