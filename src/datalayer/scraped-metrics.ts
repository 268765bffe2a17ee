/**
 * One scrape's result, and how it lands on an Endpoint. The extractor fills a ScrapedMetrics (reused per
 * endpoint); only a complete, valid page is written, so a failed scrape leaves every field, including
 * metricsUpdatedAt, as the last good scrape left it.
 */
import type { Endpoint } from '../framework/endpoint.ts';

export class ScrapedMetrics {
  waitingQueue = 0;
  runningRequests = 0;
  /** In [0,1]. */
  kvCacheUsage = 0;
  /** 0 when the engine exposes no LoRA info. */
  maxLora = 0;
  /** Raw comma-separated adapter lists of the chosen LoRA series ('' = none). */
  runningAdapters = '';
  waitingAdapters = '';
  /** Adapters resident on the server ("a,b"), from the engine's residency series. */
  loadedAdapters = '';
  /** The engine reported residency series (else loadedAdapters says nothing). */
  residencyKnown = false;
  /** 0 when unknown. */
  cacheBlockSize = 0;
  cacheNumBlocks = 0;
  /** engineConfigs custom metrics by index (NaN = absent from the page), and their endpoint attribute keys. */
  custom: readonly number[] = [];
  customKeys: readonly string[] = [];
}

const NO_ADAPTERS: ReadonlySet<string> = Object.freeze(new Set<string>());
/** Never equal to a real label value, so the first write always compares against the endpoint. */
const UNSEEN = '\u0000';

/**
 * Writes scrapes of one endpoint. Remembers the raw adapter lists so that an unchanged list (every
 * scrape of a steady server) costs one string compare, and the endpoint's Set object is replaced only
 * when its membership changes (readers may cache by identity).
 */
export class MetricsWriter {
  #running = UNSEEN;
  #waiting = UNSEEN;
  #loaded = UNSEEN;

  write(endpoint: Endpoint, m: ScrapedMetrics, now: number): void {
    endpoint.waitingQueue = m.waitingQueue;
    endpoint.runningRequests = m.runningRequests;
    endpoint.kvCacheUsage = m.kvCacheUsage;
    endpoint.maxLora = m.maxLora;
    if (m.runningAdapters !== this.#running) {
      endpoint.activeAdapters = adapterSet(endpoint.activeAdapters, m.runningAdapters);
      this.#running = m.runningAdapters;
    }
    if (m.waitingAdapters !== this.#waiting) {
      endpoint.waitingAdapters = adapterSet(endpoint.waitingAdapters, m.waitingAdapters);
      this.#waiting = m.waitingAdapters;
    }
    if (m.loadedAdapters !== this.#loaded) {
      endpoint.loadedAdapters = adapterSet(endpoint.loadedAdapters, m.loadedAdapters);
      this.#loaded = m.loadedAdapters;
    }
    endpoint.residencyKnown = m.residencyKnown;
    endpoint.cacheBlockSize = m.cacheBlockSize;
    endpoint.cacheNumBlocks = m.cacheNumBlocks;
    // Custom metrics absent from this page keep their last value, as upstream.
    for (let i = 0; i < m.custom.length; i++) if (!Number.isNaN(m.custom[i]!)) endpoint.attributes.set(m.customKeys[i]!, m.custom[i]!);
    endpoint.metricsUpdatedAt = now;
  }
}

/** The adapters in `raw` ("a1,a2"), reusing `current` when it holds exactly the same names. */
export function adapterSet(current: ReadonlySet<string>, raw: string): ReadonlySet<string> {
  const next = new Set<string>();
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (name !== '') next.add(name);
  }
  if (next.size === current.size) {
    let same = true;
    for (const name of next) {
      if (!current.has(name)) {
        same = false;
        break;
      }
    }
    if (same) return current;
  }
  return next.size === 0 ? NO_ADAPTERS : next;
}
