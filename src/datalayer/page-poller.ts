/**
 * Runs the polled data sources (framework/datalayer.ts PolledSource: dcgm-data-source, models-data-source): per
 * endpoint, one GET of the source's page every period, handed to the source's extractors. Separate from the
 * model-server metrics collector: these pages are small and polled at second-scale periods, so plain undici
 * requests do; the collector's lean client is for the 50 ms scrape of every server.
 */
import type { Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import type { PageExtractor, PollSettings, PolledSource } from '../framework/datalayer.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import { endpointKey } from '../framework/endpoint.ts';
import type { EndpointSource } from './collector.ts';

/** One configured source and the extractors its `dataLayer.sources[].extractors` name. */
export interface PolledSourceBinding {
  readonly source: PolledSource;
  readonly extractors: readonly PageExtractor[];
}

export interface PagePollerOptions {
  datastore: EndpointSource;
  logger: Logger;
  sources: readonly PolledSourceBinding[];
  /** A source's period when it names none (--refresh-metrics-interval). */
  defaultIntervalMs: number;
  timeoutMs: number;
  /** At most one failure log line per source and endpoint per this period. Default 10 s. */
  failureLogIntervalMs?: number;
}

/** Counts by source name, for tests and debugging. */
export interface PollCounts {
  polls: number;
  failures: number;
}

const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/** The URL a source polls for an endpoint; null when useNodeAddress is set and the node is unknown. */
export function pollUrl(poll: PollSettings, ep: Endpoint): string | null {
  const labelled = poll.metricsHostFromLabels === true ? ep.labels['metricsAddress'] : undefined;
  if (labelled) return `${poll.scheme}://${endpointKey(labelled, Number(ep.labels['metricsPort']) || ep.port)}${poll.path}`;
  const host = poll.useNodeAddress ? ep.nodeAddress : ep.address;
  if (host === '') return null;
  return `${poll.scheme}://${endpointKey(host, poll.port || ep.port)}${poll.path}`;
}

export class PagePoller {
  readonly #o: PagePollerOptions;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  /** Polls in flight, by source name and endpoint key: one at a time each. */
  readonly #inFlight = new Set<string>();
  readonly #lastFailureLog = new Map<string, number>();
  /** One connection pool per https source (its TLS settings); plain http uses undici's global one. */
  readonly #agents = new Map<string, Agent>();
  readonly counts = new Map<string, PollCounts>();
  #stopped = false;

  constructor(options: PagePollerOptions) {
    this.#o = options;
    for (const b of options.sources) {
      this.counts.set(b.source.name, { polls: 0, failures: 0 });
      const poll = b.source.poll;
      if (poll.scheme !== 'https') continue;
      const file = (path: string): Buffer => readFileSync(path);
      this.#agents.set(
        b.source.name,
        new Agent({
          connect: {
            rejectUnauthorized: !poll.insecureSkipVerify,
            ...(poll.caCertPath ? { ca: file(poll.caCertPath) } : {}),
            ...(poll.clientCertPath ? { cert: file(poll.clientCertPath), key: file(poll.clientKeyPath) } : {}),
          },
        }),
      );
    }
  }

  start(): void {
    for (const b of this.#o.sources) {
      // As upstream, a source's interval is rounded to a multiple of the base tick.
      const base = this.#o.defaultIntervalMs;
      const asked = b.source.poll.intervalMs;
      const period = asked === 0 ? base : Math.max(base, Math.round(asked / base) * base);
      const t = setInterval(() => this.pollAll(b), period);
      t.unref();
      this.#timers.push(t);
      void this.pollAll(b);
    }
  }

  /** One round over every endpoint for `binding`; resolves when its polls have finished. */
  async pollAll(binding: PolledSourceBinding): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const ep of this.#o.datastore.endpoints()) jobs.push(this.#pollOne(binding, ep));
    await Promise.all(jobs);
  }

  async #pollOne(b: PolledSourceBinding, ep: Endpoint): Promise<void> {
    if (this.#stopped) return;
    const url = pollUrl(b.source.poll, ep);
    const id = `${b.source.name}\u0000${ep.key}`;
    if (this.#inFlight.has(id)) return;
    const counts = this.counts.get(b.source.name)!;
    counts.polls++;
    if (url === null) {
      this.#fail(b, ep, counts, new Error('useNodeAddress is set but the pod has no status.hostIP'));
      return;
    }
    this.#inFlight.add(id);
    try {
      const agent = this.#agents.get(b.source.name);
      const res = await request(url, {
        method: 'GET',
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs,
        ...(agent !== undefined ? { dispatcher: agent } : {}),
      });
      const len = Number(res.headers['content-length'] ?? 0);
      if (len > MAX_PAGE_BYTES) {
        res.body.destroy();
        throw new Error(`page of ${len} bytes is over the ${MAX_PAGE_BYTES}-byte limit`);
      }
      const page = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} from ${url}`);
      if (ep.removed) return;
      for (const ex of b.extractors) ex.extract(ep, page);
    } catch (err) {
      this.#fail(b, ep, counts, err);
    } finally {
      this.#inFlight.delete(id);
    }
  }

  #fail(b: PolledSourceBinding, ep: Endpoint, counts: PollCounts, err: unknown): void {
    counts.failures++;
    const id = `${b.source.name}\u0000${ep.key}`;
    const now = Date.now();
    const last = this.#lastFailureLog.get(id) ?? -Infinity;
    if (now - last < (this.#o.failureLogIntervalMs ?? 10_000)) return;
    if (this.#lastFailureLog.size > 10_000) this.#lastFailureLog.clear(); // endpoints come and go
    this.#lastFailureLog.set(id, now);
    this.#o.logger.warn({ source: b.source.name, type: b.source.type, endpoint: ep.key, err: err instanceof Error ? err.message : String(err) }, 'data source poll failed');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    await Promise.all([...this.#agents.values()].map((a) => a.close()));
  }
}
