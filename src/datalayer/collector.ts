/**
 * Keeps one scrape loop per endpoint of the datastore: starts loops for the endpoints present at start()
 * and for every 'endpointAdded', stops a loop (and closes its connection) on 'endpointRemoved'.
 * Owns the bookkeeping of outcomes: failure counters on the Endpoint, totals for the observability layer,
 * rate-limited failure logs, and the onScrape hook.
 */
import type { Logger } from 'pino';
import type { Endpoint } from '../framework/endpoint.ts';
import type { DatastoreEvents } from '../datastore/datastore.ts';
import type { Clock } from '../framework/clock.ts';
import { EndpointScraper, type ScraperConfig } from './scraper.ts';
import type { PageTls } from './page-client.ts';
import type { EngineTable } from './engines.ts';

/** Called after every scrape; `error` is the failure reason. */
export type ScrapeHook = (endpoint: Endpoint, ok: boolean, durationMs: number, error?: string) => void;

/** What the collector needs from the datastore (the Datastore class satisfies it). */
export interface EndpointSource {
  endpoints(): readonly Endpoint[];
  on<K extends 'endpointAdded' | 'endpointRemoved'>(event: K, listener: (...args: DatastoreEvents[K]) => void): unknown;
  off<K extends 'endpointAdded' | 'endpointRemoved'>(event: K, listener: (...args: DatastoreEvents[K]) => void): unknown;
}

export interface MetricsCollectorOptions {
  datastore: EndpointSource;
  clock: Clock;
  logger: Logger;
  /** Scrape period per endpoint (--refresh-metrics-interval). Default 50 ms. */
  intervalMs?: number;
  /** Abort a scrape after this long. Default 1000 ms. */
  timeoutMs?: number;
  /** Scrape this port instead of each endpoint's own (--model-server-metrics-port). */
  metricsPort?: number;
  /** Scrape this path instead of the engine's default. */
  metricsPath?: string;
  /** Scrape over https with these TLS settings (metrics-data-source scheme https); absent = plain HTTP. */
  tls?: PageTls;
  /** The engines' metric names (core-metrics-extractor engineConfigs); absent = the built-in ones. */
  engines?: EngineTable;
  /** At most one failure log line per endpoint per this period; the rest are counted. Default 10 s. */
  failureLogIntervalMs?: number;
  onScrape?: ScrapeHook;
}

export const DEFAULT_SCRAPE_INTERVAL_MS = 50;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 1000;
export const DEFAULT_FAILURE_LOG_INTERVAL_MS = 10_000;

export class MetricsCollector {
  readonly #datastore: EndpointSource;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #config: ScraperConfig;
  readonly #failureLogIntervalMs: number;
  readonly #hook: ScrapeHook | undefined;
  readonly #scrapers = new Map<Endpoint, EndpointScraper>();
  /** Loops of removed endpoints whose connections are still closing. */
  readonly #closing = new Set<Promise<void>>();
  /** Datastore listeners, bound once so off() finds them. */
  readonly #onAdded: (endpoint: Endpoint) => void;
  readonly #onRemoved: (endpoint: Endpoint) => void;
  #started = false;
  #totalScrapes = 0;
  #totalFailures = 0;
  #lastScrapeDurationMs = 0;

  constructor(options: MetricsCollectorOptions) {
    const intervalMs = options.intervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
    const timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS;
    const metricsPort = options.metricsPort ?? 0;
    if (!(intervalMs > 0 && Number.isFinite(intervalMs))) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
      throw new RangeError(`metricsPort must be a port number, got ${metricsPort}`);
    }
    this.#datastore = options.datastore;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#failureLogIntervalMs = options.failureLogIntervalMs ?? DEFAULT_FAILURE_LOG_INTERVAL_MS;
    this.#hook = options.onScrape;
    this.#config = {
      intervalMs,
      timeoutMs,
      clock: options.clock,
      metricsPort,
      metricsPath: options.metricsPath ?? '',
      tls: options.tls ?? null,
      ...(options.engines ? { engines: options.engines } : {}),
      onResult: this.#onResult.bind(this),
    };
    this.#onAdded = (ep) => this.#add(ep);
    this.#onRemoved = (ep) => this.#remove(ep);
  }

  /** Scrapes finished since start (successes and failures). */
  get totalScrapes(): number {
    return this.#totalScrapes;
  }
  get totalFailures(): number {
    return this.#totalFailures;
  }
  get lastScrapeDurationMs(): number {
    return this.#lastScrapeDurationMs;
  }
  /** Number of endpoints being scraped. */
  get size(): number {
    return this.#scrapers.size;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#datastore.on('endpointAdded', this.#onAdded);
    this.#datastore.on('endpointRemoved', this.#onRemoved);
    for (const ep of this.#datastore.endpoints()) this.#add(ep);
  }

  /** Stops every loop; resolves when all timers are cleared and all connections are closed. */
  async stop(): Promise<void> {
    if (this.#started) {
      this.#started = false;
      this.#datastore.off('endpointAdded', this.#onAdded);
      this.#datastore.off('endpointRemoved', this.#onRemoved);
    }
    for (const scraper of this.#scrapers.values()) this.#track(scraper.stop());
    this.#scrapers.clear();
    await Promise.all(this.#closing);
  }

  #add(endpoint: Endpoint): void {
    if (endpoint.removed || this.#scrapers.has(endpoint)) return;
    const scraper = new EndpointScraper(endpoint, this.#config);
    this.#scrapers.set(endpoint, scraper);
    // Loops started together scrape in step, deliberately: their requests and answers share event-loop turns.
    // Spread evenly over the interval, 200 endpoints x 60 KB pages took 25% more CPU (the idle figure of
    // bench/overhead/extproc.bench.ts --endpoints 200 --page vllm), and the latency at 1,000 req/s did not improve.
    scraper.start();
  }

  #remove(endpoint: Endpoint): void {
    const scraper = this.#scrapers.get(endpoint);
    if (!scraper) return;
    this.#scrapers.delete(endpoint);
    this.#track(scraper.stop());
  }

  #track(closing: Promise<void>): void {
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  #onResult(scraper: EndpointScraper, ok: boolean, durationMs: number, reason: string): void {
    const ep = scraper.endpoint;
    this.#totalScrapes++;
    this.#lastScrapeDurationMs = durationMs;
    if (ok) {
      if (scraper.failureStreakLogged) {
        scraper.failureStreakLogged = false;
        this.#logger.info({ endpoint: ep.key, failures: ep.consecutiveScrapeFailures }, 'metrics scrape recovered');
      }
      ep.consecutiveScrapeFailures = 0;
    } else {
      this.#totalFailures++;
      ep.scrapeFailures++;
      ep.consecutiveScrapeFailures++;
      this.#logFailure(scraper, reason);
    }
    if (this.#hook) {
      try {
        this.#hook(ep, ok, durationMs, ok ? undefined : reason);
      } catch (err) {
        this.#logger.error({ err }, 'onScrape hook threw');
      }
    }
  }

  /** One line per endpoint per failureLogIntervalMs; the lines in between are counted in `suppressed`. */
  #logFailure(scraper: EndpointScraper, reason: string): void {
    const now = this.#clock.now();
    if (now - scraper.lastFailureLogAt < this.#failureLogIntervalMs) {
      scraper.suppressedFailures++;
      return;
    }
    const ep = scraper.endpoint;
    this.#logger.warn(
      {
        endpoint: ep.key,
        pod: ep.podName,
        engine: ep.engine,
        url: scraper.url,
        reason,
        consecutiveFailures: ep.consecutiveScrapeFailures,
        suppressed: scraper.suppressedFailures,
      },
      'metrics scrape failed',
    );
    scraper.lastFailureLogAt = now;
    scraper.suppressedFailures = 0;
    scraper.failureStreakLogged = true;
  }
}
