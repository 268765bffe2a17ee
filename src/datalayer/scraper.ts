/**
 * The scrape loop of one endpoint: one keep-alive connection (PageClient), a GET of the
 * engine's metrics page every interval, extraction, and the write into the Endpoint.
 *
 * Scrapes of one endpoint never overlap: the next one is scheduled when the previous finishes, at
 * `start + interval` (immediately when the scrape took longer), so the cadence holds without a backlog.
 * Each scrape is aborted after `timeoutMs`. A failed scrape writes nothing, so metricsUpdatedAt keeps
 * the time of the last good page and the endpoint's metrics age until a reader treats them as stale.
 */
import { endpointKey, type Endpoint } from '../framework/endpoint.ts';
import type { Clock } from '../framework/clock.ts';
import { BUILT_IN_ENGINES, type EngineTable } from './engines.ts';
import { detached, type MetricsExtractor } from './extractor.ts';
import { FamilyLocator } from './family-locator.ts';
import { MetricsWriter, ScrapedMetrics } from './scraped-metrics.ts';
import { PageClient, type PageTls } from './page-client.ts';

export interface ScraperConfig {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Port to scrape instead of the endpoint's own; 0 = the endpoint's port. */
  readonly metricsPort: number;
  /** Path instead of the engine's default; '' = the engine's. */
  readonly metricsPath: string;
  /** TLS settings for https scraping; absent or null = plain HTTP. */
  readonly tls?: PageTls | null;
  /** The engines' metric names (core-metrics-extractor engineConfigs); absent = the built-in ones. */
  readonly engines?: EngineTable;
  /** Told about every finished scrape; `reason` is '' on success. Not called after stop(). Must not throw. */
  readonly onResult: (scraper: EndpointScraper, ok: boolean, durationMs: number, reason: string) => void;
}

/** A metrics page is ~60 KB; anything near this is not one. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

class ScrapeTimeout extends Error {}

/**
 * A scrape in flight longer than max(interval, STALL_DURATIONS x its usual duration, STALL_FLOOR_MS) (at most the
 * timeout) marks the endpoint as not answering until it ends (Endpoint.scrapeStallAt). The floor keeps a busy
 * event loop from taking healthy endpoints out; a hung server is out within interval + 50 ms.
 */
const STALL_DURATIONS = 4;
const STALL_FLOOR_MS = 50;

export class EndpointScraper {
  readonly endpoint: Endpoint;
  /** For logs: where this endpoint is scraped. */
  readonly url: string;

  // Failure-log rate limiting, kept here so it lives and dies with the endpoint (used by the collector).
  lastFailureLogAt = -Infinity;
  suppressedFailures = 0;
  failureStreakLogged = false;

  readonly #config: ScraperConfig;
  readonly #client: PageClient;
  readonly #extractor: MetricsExtractor;
  /** Where this endpoint's page keeps the wanted families: the extractor reads only those lines. */
  readonly #locator: FamilyLocator;
  readonly #scraped = new ScrapedMetrics();
  readonly #writer = new MetricsWriter();
  /** Bound once: the page callback of every scrape. */
  readonly #onPage: (err: Error | null, status: number, body: Buffer, start: number, end: number) => void;
  #timer: NodeJS.Timeout | undefined = undefined;
  #timeout: NodeJS.Timeout | undefined = undefined;
  #startedAt = 0;
  #scraping = false;
  #stopped = false;
  /** Resolves stop() once the aborted scrape in flight has reported back. */
  #onSettled: (() => void) | null = null;
  #closed: Promise<void> | undefined = undefined;
  #runningCopy = '';
  #waitingCopy = '';
  /** Moving average of successful scrape durations (ms). */
  #usualMs = 0;

  constructor(endpoint: Endpoint, config: ScraperConfig) {
    this.endpoint = endpoint;
    this.#config = config;
    const engines = config.engines ?? BUILT_IN_ENGINES;
    const path = config.metricsPath || engines.spec(endpoint.engine).path;
    this.#extractor = engines.extractor(endpoint.engine);
    this.#locator = new FamilyLocator(this.#extractor.names);
    const host = config.metricsPort > 0 ? endpointKey(endpoint.address, config.metricsPort) : endpoint.key;
    const tls = config.tls ?? null;
    this.url = `${tls === null ? 'http' : 'https'}://${host}${path}`;
    this.#client = new PageClient(endpoint.address, config.metricsPort > 0 ? config.metricsPort : endpoint.port, host, path, MAX_PAGE_BYTES, tls);
    // The body bytes are only valid during this call: the wanted lines are cut out and decoded here.
    this.#onPage = (err, status, body, start, end) => this.#finish(status, err === null && status === 200 ? this.#locator.excerpt(body, start, end) : '', err);
    // A server that closes its idle connection is often gone (SIGKILL, crash): scrape now rather than at the next
    // tick, so a refused connection takes it out of the candidates within a millisecond instead of an interval.
    this.#client.onIdleClose = () => {
      if (this.#stopped || this.#scraping || this.#timer === undefined) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#scrape();
    };
  }

  /** Starts the loop with an immediate first scrape. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule(0);
  }

  /** Stops the loop, aborts a scrape in flight and closes the connection; resolves when all is done. */
  stop(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#timeout);
    const settled = this.#scraping ? new Promise<void>((resolve) => (this.#onSettled = resolve)) : undefined;
    this.#closed = Promise.all([this.#client.close(), settled]).then(noop);
    return this.#closed;
  }

  #schedule(delayMs: number): void {
    // A static function plus an argument: no closure per scrape.
    this.#timer = setTimeout(EndpointScraper.#tick, delayMs, this);
    this.#timer.unref();
  }

  static #tick(scraper: EndpointScraper): void {
    scraper.#timer = undefined;
    if (!scraper.#stopped) scraper.#scrape();
  }

  static #onTimeout(scraper: EndpointScraper): void {
    if (scraper.#scraping) scraper.#client.abort(new ScrapeTimeout());
  }

  #scrape(): void {
    this.#startedAt = this.#config.clock.now();
    this.#scraping = true;
    const { intervalMs, timeoutMs } = this.#config;
    this.endpoint.scrapeStallAt = this.#startedAt + Math.min(timeoutMs, Math.max(intervalMs, STALL_DURATIONS * this.#usualMs, STALL_FLOOR_MS));
    // One timeout timer per endpoint, re-armed by refresh() at each scrape and never cleared in between: it
    // only fires when a scrape outlives timeoutMs (or, harmlessly, when idle longer than that). Saves a
    // setTimeout + clearTimeout pair per scrape.
    if (this.#timeout) {
      this.#timeout.refresh();
    } else {
      this.#timeout = setTimeout(EndpointScraper.#onTimeout, this.#config.timeoutMs, this);
      this.#timeout.unref();
    }
    this.#client.get(this.#onPage);
  }

  /**
   * The adapter lists are slices of the page text, and a slice keeps all of it alive (the excerpt, or a whole
   * 60 KB page when the locator is off). Held until the next scrape, every page would outlive a scavenge and
   * be promoted, and promoted pages cost major GCs.
   * Copies are made only when a list changes; an unchanged list reuses the previous copy.
   */
  #detachAdapterLists(): void {
    const m = this.#scraped;
    if (m.runningAdapters === this.#runningCopy) m.runningAdapters = this.#runningCopy;
    else m.runningAdapters = this.#runningCopy = detached(m.runningAdapters);
    if (m.waitingAdapters === this.#waitingCopy) m.waitingAdapters = this.#waitingCopy;
    else m.waitingAdapters = this.#waitingCopy = detached(m.waitingAdapters);
  }

  /** '' when the page was read into #scraped, else why not (a malformed wanted line throws PromParseError). */
  #extract(page: string): string {
    try {
      return this.#extractor.extract(page, this.#scraped) ?? '';
    } catch (err) {
      return describeError(err);
    }
  }

  /** The end of one scrape, whatever ended it (called once per #scrape). */
  #finish(status: number, page: string, err: Error | null): void {
    this.#scraping = false;
    this.endpoint.scrapeStallAt = Infinity;
    if (this.#stopped) {
      this.#onSettled?.();
      return;
    }
    const { clock, timeoutMs, intervalMs } = this.#config;
    let reason: string;
    if (err) reason = err instanceof ScrapeTimeout ? `timeout after ${timeoutMs} ms` : describeError(err);
    else if (status !== 200) reason = `HTTP ${status}`;
    else reason = this.#extract(page);
    const now = clock.now();
    if (reason === '') {
      const ms = now - this.#startedAt;
      this.#usualMs = this.#usualMs === 0 ? ms : this.#usualMs + (ms - this.#usualMs) / 8;
      this.#detachAdapterLists();
      this.#writer.write(this.endpoint, this.#scraped, now);
    } else {
      this.#locator.invalidate(); // e.g. a family that was absent may be back: search the next page whole
    }
    this.#config.onResult(this, reason === '', now - this.#startedAt, reason);
    if (!this.#stopped) this.#schedule(Math.max(0, this.#startedAt + intervalMs - clock.now()));
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  // Connection errors from happy-eyeballs arrive as an AggregateError with an empty message.
  return err.message || (typeof code === 'string' ? code : err.name);
}

function noop(): void {}
