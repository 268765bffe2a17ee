/**
 * Turns one engine's metrics page into a ScrapedMetrics, following its EngineSpec.
 *
 * Aggregation across schedulers in one server (vLLM data-parallel `engine="0"`, `"1"`; SGLang `dp_rank`):
 * - queued and running are summed across ranks (each rank is an independent queue feeding the same pod);
 *   within one rank the max is taken, because SGLang's tensor-parallel ranks of a dp rank repeat one value;
 * - KV usage is the max over all series: the most loaded engine is the one that refuses admission first,
 *   so an average would report headroom the next request may not get;
 * - cache geometry describes one engine's pool: the first block size, the smallest block count.
 * A page without the queued, running or KV series (or with a non-finite value in one) is a failure,
 * never zeros: zeros would make a broken endpoint look idle.
 */
import { moreMatchers, selectorText, type EngineSpec, type SeriesSelector } from './engine-spec.ts';
import { labelValue, findLabel, PromScanner, type SampleSink } from './prom-text.ts';
import type { ScrapedMetrics } from './scraped-metrics.ts';

// Role of a selector; small ints so `sample` dispatches with a switch.
const QUEUED = 0;
const RUNNING = 1;
const KV = 2;
const BLOCK_SIZE = 3;
const NUM_BLOCKS = 4;
const LORA = 5;
const CACHE_INFO = 6;
const CUSTOM = 7;
const LORA_LOADED = 8;

interface Role {
  readonly kind: number;
  readonly label: string;
  readonly value: string;
  /** Position among the KV fallbacks (0 = preferred); for CUSTOM, the custom metric's index. */
  readonly kvRank: number;
  /** Further label matchers (engineConfigs specs with several); usually none. */
  readonly more: readonly (readonly [string, string])[];
}

const NONE: readonly (readonly [string, string])[] = [];

/** Whether the series' labels page[ls, le) hold every [label, value] of `more`. */
export function matchesMore(page: string, ls: number, le: number, more: readonly (readonly [string, string])[]): boolean {
  for (let i = 0; i < more.length; i++) if (labelValue(page, ls, le, more[i]![0]) !== more[i]![1]) return false;
  return true;
}

export class MetricsExtractor implements SampleSink {
  readonly spec: EngineSpec;
  readonly #scanner: PromScanner;
  /** Roles per scanner name index. */
  readonly #roles: readonly (readonly Role[])[];

  // Scratch state of the extraction in progress (reset by extract()).
  readonly #queued = new RankSum();
  readonly #running = new RankSum();
  readonly #kvMax: number[];
  readonly #kvSeries: number[];
  #blockSize = 0;
  #numBlocks = 0;
  #nonFinite = '';
  #loraBest = -Infinity;
  #loraRunning = '';
  #loraWaiting = '';
  #loraMax = 0;
  /** max_lora of any series, for a server whose only series has empty adapter lists. */
  #loraAnyMax = 0;
  /** Adapter names of the residency series read so far ("a,b"). */
  #loaded = '';
  #loadedSeries = 0;
  /** The last cache-config label text read (a copy) and its two values. */
  #cacheLine = '';
  #cacheLineBlockSize = 0;
  #cacheLineNumBlocks = 0;
  /** Custom metric values by index; NaN until a matching series is read. */
  readonly #custom: number[];
  readonly #customKeys: readonly string[];

  constructor(spec: EngineSpec) {
    this.spec = spec;
    const names: string[] = [];
    const roles: Role[][] = [];
    const add = (name: string, role: Role): void => {
      let i = names.indexOf(name);
      if (i < 0) {
        i = names.push(name) - 1;
        roles.push([]);
      }
      roles[i]!.push(role);
    };
    const addSeries = (kind: number, s: SeriesSelector | undefined, kvRank = 0): void => {
      if (s) add(s.name, { kind, label: s.label, value: s.value, kvRank, more: moreMatchers(s) });
    };
    addSeries(QUEUED, spec.queued);
    addSeries(RUNNING, spec.running);
    spec.kvUsage.forEach((s, rank) => addSeries(KV, s, rank));
    addSeries(BLOCK_SIZE, spec.blockSize);
    addSeries(NUM_BLOCKS, spec.numBlocks);
    if (spec.loraInfo !== '') add(spec.loraInfo, { kind: LORA, label: '', value: '', kvRank: 0, more: NONE });
    if (spec.loraLoaded) add(spec.loraLoaded, { kind: LORA_LOADED, label: '', value: '', kvRank: 0, more: NONE });
    if (spec.cacheInfo) add(spec.cacheInfo.name, { kind: CACHE_INFO, label: '', value: '', kvRank: 0, more: NONE });
    spec.custom.forEach((c, i) => addSeries(CUSTOM, c.selector, i));
    this.#custom = spec.custom.map(() => NaN);
    this.#customKeys = spec.custom.map((c) => c.key);
    this.#scanner = new PromScanner(names);
    this.#roles = roles;
    this.#kvMax = spec.kvUsage.map(() => 0);
    this.#kvSeries = spec.kvUsage.map(() => 0);
  }

  /** The metric names this extractor reads (a page excerpt holding their lines is enough). */
  get names(): readonly string[] {
    return this.#scanner.names;
  }

  /**
   * Fills `out` from `page` and returns undefined, or returns why the page is unusable (then `out` is
   * partly written and must not be applied). Throws PromParseError on a malformed wanted line.
   */
  extract(page: string, out: ScrapedMetrics): string | undefined {
    this.#reset();
    this.#scanner.scan(page, this);
    if (this.#nonFinite !== '') return `non-finite value for ${this.#nonFinite}`;
    const kvRank = this.#kvSeries.findIndex((n) => n > 0);
    // Only the figures the engine exposes are required (engineConfigs may leave a spec empty).
    const spec = this.spec;
    const noKv = kvRank < 0 && spec.kvUsage.length > 0;
    if ((spec.queued !== undefined && this.#queued.series === 0) || (spec.running !== undefined && this.#running.series === 0) || noKv) return this.#missing(kvRank);
    out.waitingQueue = this.#queued.total();
    out.runningRequests = this.#running.total();
    out.kvCacheUsage = kvRank < 0 ? 0 : Math.min(1, Math.max(0, this.#kvMax[kvRank]!));
    out.maxLora = this.#loraBest > -Infinity ? this.#loraMax : this.#loraAnyMax;
    out.runningAdapters = this.#loraRunning;
    out.waitingAdapters = this.#loraWaiting;
    out.loadedAdapters = this.#loaded;
    out.residencyKnown = this.#loadedSeries > 0;
    out.cacheBlockSize = this.#blockSize;
    out.cacheNumBlocks = this.#numBlocks;
    out.custom = this.#custom;
    out.customKeys = this.#customKeys;
    return undefined;
  }

  sample(nameIndex: number, page: string, ls: number, le: number, value: number): void {
    const roles = this.#roles[nameIndex]!;
    // Roles of one name select on the same label (Triton: request_type=waiting|scheduled): read it once.
    let selectorLabel = '';
    let selectorValue: string | undefined;
    for (let r = 0; r < roles.length; r++) {
      const role = roles[r]!;
      if (role.label !== '') {
        if (role.label !== selectorLabel) {
          selectorLabel = role.label;
          selectorValue = labelValue(page, ls, le, role.label);
        }
        if (selectorValue !== role.value) continue;
        if (role.more.length > 0 && !matchesMore(page, ls, le, role.more)) continue;
      }
      switch (role.kind) {
        case QUEUED:
        case RUNNING:
        case KV:
          this.#core(role, page, ls, le, value);
          break;
        case BLOCK_SIZE:
          if (this.#blockSize === 0 && isCount(value)) this.#blockSize = Math.trunc(value);
          break;
        case NUM_BLOCKS:
          if (isCount(value)) this.#numBlocks = minPositive(this.#numBlocks, Math.trunc(value));
          break;
        case LORA:
          this.#lora(page, ls, le, value);
          break;
        case CACHE_INFO:
          this.#cacheInfo(page, ls, le);
          break;
        case CUSTOM:
          // The first matching series, as upstream's getLatestMetric on a page without timestamps.
          if (Number.isNaN(this.#custom[role.kvRank]!) && Number.isFinite(value)) this.#custom[role.kvRank] = value;
          break;
        case LORA_LOADED:
          this.#loadedAdapter(page, ls, le, value);
          break;
      }
    }
  }

  #core(role: Role, page: string, ls: number, le: number, value: number): void {
    if (!Number.isFinite(value)) {
      if (this.#nonFinite === '') this.#nonFinite = selectorText(this.#selectorOf(role));
      return;
    }
    if (role.kind === KV) {
      const n = this.#kvSeries[role.kvRank]!;
      this.#kvMax[role.kvRank] = n === 0 ? value : Math.max(this.#kvMax[role.kvRank]!, value);
      this.#kvSeries[role.kvRank] = n + 1;
      return;
    }
    const sum = role.kind === QUEUED ? this.#queued : this.#running;
    const rankLabel = this.spec.rankLabel;
    if (rankLabel === '') sum.addSeries(value);
    else sum.addRanked(labelValue(page, ls, le, rankLabel) ?? '', value);
  }

  #lora(page: string, ls: number, le: number, value: number): void {
    if (this.#loraAnyMax === 0) this.#loraAnyMax = intLabel(page, ls, le, 'max_lora');
    // The value is the series' last-update time; only a newer series can replace the best so far, so
    // labels are read for a handful of the (often dozens of) historical series.
    if (!(value > this.#loraBest)) return;
    const running = labelValue(page, ls, le, 'running_lora_adapters') ?? '';
    const waiting = labelValue(page, ls, le, 'waiting_lora_adapters') ?? '';
    // Upstream (GIE getLatestLoraMetric) skips series with both lists empty: an idle server's newest series.
    if (running === '' && waiting === '') return;
    this.#loraBest = value;
    this.#loraRunning = running;
    this.#loraWaiting = waiting;
    this.#loraMax = intLabel(page, ls, le, 'max_lora');
  }

  /** One `lora_adapter_loaded` series: its adapter is resident (GPU or CPU cache) while the value is 1. */
  #loadedAdapter(page: string, ls: number, le: number, value: number): void {
    this.#loadedSeries++;
    if (!(value > 0)) return;
    const name = labelValue(page, ls, le, 'adapter_name') ?? '';
    if (name !== '') this.#loaded = this.#loaded === '' ? name : `${this.#loaded},${name}`;
  }

  /**
   * The cache-config line is long (vLLM: ~1 KB of labels, the two wanted ones far in) and the same at every
   * scrape, and usually on every pod of a pool: the last line read is remembered with its two values, and an
   * identical line costs one compare instead of two label walks (~3 us per scrape).
   */
  #cacheInfo(page: string, ls: number, le: number): void {
    // slice + ===, not startsWith: V8 compares equal-length strings with memcmp, startsWith char by char
    // (1.7 us on this 1 KB line).
    if (le - ls !== this.#cacheLine.length || page.slice(ls, le) !== this.#cacheLine) {
      const info = this.spec.cacheInfo!;
      this.#cacheLineBlockSize = intLabel(page, ls, le, info.blockSizeLabel);
      this.#cacheLineNumBlocks = intLabel(page, ls, le, info.numBlocksLabel);
      this.#cacheLine = detached(page.slice(ls, le));
    }
    const blockSize = this.#cacheLineBlockSize;
    if (blockSize > 0 && this.#blockSize === 0) this.#blockSize = blockSize;
    const numBlocks = this.#cacheLineNumBlocks;
    if (numBlocks > 0) this.#numBlocks = minPositive(this.#numBlocks, numBlocks);
  }

  #selectorOf(role: Role): SeriesSelector {
    if (role.kind === QUEUED) return this.spec.queued!;
    if (role.kind === RUNNING) return this.spec.running!;
    return this.spec.kvUsage[role.kvRank]!;
  }

  #missing(kvRank: number): string {
    const missing: string[] = [];
    if (this.spec.queued !== undefined && this.#queued.series === 0) missing.push(selectorText(this.spec.queued));
    if (this.spec.running !== undefined && this.#running.series === 0) missing.push(selectorText(this.spec.running));
    if (kvRank < 0 && this.spec.kvUsage.length > 0) missing.push(this.spec.kvUsage.map(selectorText).join(' or '));
    return `missing metrics: ${missing.join(', ')}`;
  }

  #reset(): void {
    this.#queued.reset();
    this.#running.reset();
    this.#kvMax.fill(0);
    this.#kvSeries.fill(0);
    this.#blockSize = 0;
    this.#numBlocks = 0;
    this.#nonFinite = '';
    this.#loraBest = -Infinity;
    this.#loraRunning = '';
    this.#loraWaiting = '';
    this.#loraMax = 0;
    this.#loraAnyMax = 0;
    this.#custom.fill(NaN);
    this.#loaded = '';
    this.#loadedSeries = 0;
  }
}

/** Sum across ranks of the max within a rank; arrays reused across scrapes (ranks are few). */
class RankSum {
  series = 0;
  #unranked = 0;
  #ranks: string[] = [];
  #max: number[] = [];
  #n = 0;

  reset(): void {
    this.series = 0;
    this.#unranked = 0;
    this.#n = 0;
  }

  addSeries(value: number): void {
    this.series++;
    this.#unranked += value;
  }

  addRanked(rank: string, value: number): void {
    this.series++;
    for (let i = 0; i < this.#n; i++) {
      if (this.#ranks[i] === rank) {
        if (value > this.#max[i]!) this.#max[i] = value;
        return;
      }
    }
    this.#ranks[this.#n] = rank;
    this.#max[this.#n] = value;
    this.#n++;
  }

  total(): number {
    let t = this.#unranked;
    for (let i = 0; i < this.#n; i++) t += this.#max[i]!;
    return t;
  }
}

function isCount(value: number): boolean {
  return value > 0 && value < Number.MAX_SAFE_INTEGER;
}

function minPositive(current: number, value: number): number {
  return current === 0 || value < current ? value : current;
}

/** A label holding a non-negative integer ("16", "5623"), read in place; 0 when absent or not an integer. */
function intLabel(page: string, ls: number, le: number, name: string): number {
  const open = findLabel(page, ls, le, name);
  if (open < 0) return 0;
  let n = 0;
  let p = open + 1;
  for (; ; p++) {
    const c = page.charCodeAt(p);
    if (c === 34 /* " */) break;
    if (c < 48 || c > 57) return 0;
    n = n * 10 + (c - 48);
  }
  return p === open + 1 ? 0 : n;
}

/** A flat copy of `s` that shares no memory with the string it was sliced from (a slice keeps its page alive). */
export function detached(s: string): string {
  return s.length === 0 ? '' : Buffer.from(s, 'utf8').toString('utf8');
}
