/**
 * The scrape loop of one endpoint: one keep-alive undici Client (a single connection), a GET of the
 * engine's metrics page every interval, extraction, and the write into the Endpoint.
 *
 * Scrapes of one endpoint never overlap: the next one is scheduled when the previous finishes, at
 * `start + interval` (immediately when the scrape took longer), so the cadence holds without a backlog.
 * Each scrape is aborted after `timeoutMs`. A failed scrape writes nothing, so metricsUpdatedAt keeps
 * the time of the last good page and the endpoint's metrics age until a reader treats them as stale.
 */
import { Client } from 'undici';
import { endpointKey, type Endpoint } from '../datastore/endpoint.ts';
import type { Clock } from '../framework/clock.ts';
import { ENGINE_SPECS, extractorFor } from './engines.ts';
import type { MetricsExtractor } from './extractor.ts';
import { MetricsWriter, ScrapedMetrics } from './scraped-metrics.ts';

export interface ScraperConfig {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Port to scrape instead of the endpoint's own; 0 = the endpoint's port. */
  readonly metricsPort: number;
  /** Path instead of the engine's default; '' = the engine's. */
  readonly metricsPath: string;
  /** Told about every finished scrape; `reason` is '' on success. Not called after stop(). Must not throw. */
  readonly onResult: (scraper: EndpointScraper, ok: boolean, durationMs: number, reason: string) => void;
}

// prometheus_client answers OpenMetrics if asked; ask for the 0.0.4 text format explicitly.
const REQUEST_HEADERS = { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' };
/** A metrics page is ~60 KB; anything near this is not one. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

export class EndpointScraper {
  readonly endpoint: Endpoint;
  /** For logs: where this endpoint is scraped. */
  readonly url: string;

  // Failure-log rate limiting, kept here so it lives and dies with the endpoint (used by the collector).
  lastFailureLogAt = -Infinity;
  suppressedFailures = 0;
  failureStreakLogged = false;

  readonly #config: ScraperConfig;
  readonly #client: Client;
  readonly #path: string;
  readonly #extractor: MetricsExtractor;
  readonly #scraped = new ScrapedMetrics();
  readonly #writer = new MetricsWriter();
  #timer: NodeJS.Timeout | undefined = undefined;
  #abort: AbortController | undefined = undefined;
  #timedOut = false;
  #stopped = false;
  #inflight: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined = undefined;

  constructor(endpoint: Endpoint, config: ScraperConfig) {
    this.endpoint = endpoint;
    this.#config = config;
    this.#path = config.metricsPath || ENGINE_SPECS[endpoint.engine].path;
    this.#extractor = extractorFor(endpoint.engine);
    const host = config.metricsPort > 0 ? endpointKey(endpoint.address, config.metricsPort) : endpoint.key;
    const origin = `http://${host}`;
    this.url = origin + this.#path;
    this.#client = new Client(origin, {
      pipelining: 1,
      connectTimeout: config.timeoutMs,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      maxResponseSize: MAX_PAGE_BYTES,
      allowH2: false,
    });
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
    this.#abort?.abort();
    this.#closed = Promise.all([this.#client.destroy(), this.#inflight]).then(noop);
    return this.#closed;
  }

  #schedule(delayMs: number): void {
    // A static function plus an argument: no closure per scrape.
    this.#timer = setTimeout(EndpointScraper.#tick, delayMs, this);
    this.#timer.unref();
  }

  static #tick(scraper: EndpointScraper): void {
    scraper.#timer = undefined;
    if (!scraper.#stopped) scraper.#inflight = scraper.#scrape();
  }

  static #onTimeout(scraper: EndpointScraper): void {
    scraper.#timedOut = true;
    scraper.#abort?.abort();
  }

  async #scrape(): Promise<void> {
    const { clock, timeoutMs, intervalMs } = this.#config;
    const started = clock.now();
    const abort = new AbortController();
    this.#abort = abort;
    this.#timedOut = false;
    const timeout = setTimeout(EndpointScraper.#onTimeout, timeoutMs, this);
    timeout.unref();
    let reason = '';
    try {
      const res = await this.#client.request({ method: 'GET', path: this.#path, headers: REQUEST_HEADERS, signal: abort.signal });
      if (res.statusCode !== 200) {
        await res.body.dump();
        reason = `HTTP ${res.statusCode}`;
      } else {
        reason = this.#extractor.extract(await res.body.text(), this.#scraped) ?? '';
      }
    } catch (err) {
      reason = this.#timedOut ? `timeout after ${timeoutMs} ms` : describeError(err);
    } finally {
      clearTimeout(timeout);
      this.#abort = undefined;
    }
    if (this.#stopped) return;
    const now = clock.now();
    if (reason === '') this.#writer.write(this.endpoint, this.#scraped, now);
    this.#config.onResult(this, reason === '', now - started, reason);
    if (!this.#stopped) this.#schedule(Math.max(0, started + intervalMs - clock.now()));
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  // Connection errors from happy-eyeballs arrive as an AggregateError with an empty message.
  return err.message || (typeof code === 'string' ? code : err.name);
}

function noop(): void {}
