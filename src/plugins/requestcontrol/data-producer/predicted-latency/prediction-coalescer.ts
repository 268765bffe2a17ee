/**
 * Upstream's coalescer (latencypredictorclient/coalescer.go): concurrent callers' bulk predictions wait up to
 * `windowMs` from the first one (or until `maxRows` rows, when > 0) and go as one /predict/bulk/strict call,
 * at most `maxConcurrent` calls in flight; each caller gets its slice back. A caller that aborts is answered at
 * once; the shared call is aborted only when every caller in it has gone. windowMs 0 = one call per caller.
 */
import type { LatencyPredictorSidecarClient, SidecarPrediction, SidecarPredictionRequest } from './sidecar-client.ts';

export interface CoalescerOptions {
  /** LATENCY_COALESCE_WINDOW_MS (1). */
  readonly windowMs: number;
  /** LATENCY_MAX_COALESCED_ROWS (0 = no cap). */
  readonly maxRows: number;
  /** LATENCY_MAX_CONCURRENT_DISPATCHES (36). */
  readonly maxConcurrent: number;
}

export const DEFAULT_COALESCER: CoalescerOptions = { windowMs: 1, maxRows: 0, maxConcurrent: 36 };

interface Caller {
  readonly rows: readonly SidecarPredictionRequest[];
  readonly resolve: (p: SidecarPrediction[]) => void;
  readonly reject: (err: unknown) => void;
  gone: boolean;
}

interface Batch {
  readonly callers: Caller[];
  rows: number;
  /** Aborts the shared call; set once it is dispatched. */
  stop: AbortController | null;
}

export class PredictionCoalescer {
  readonly #client: LatencyPredictorSidecarClient;
  readonly #o: CoalescerOptions;
  #open: Batch | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlight = 0;
  readonly #waiting: Batch[] = [];

  constructor(client: LatencyPredictorSidecarClient, options: CoalescerOptions = DEFAULT_COALESCER) {
    this.#client = client;
    this.#o = options;
  }

  predict(rows: readonly SidecarPredictionRequest[], signal: AbortSignal): Promise<SidecarPrediction[]> {
    if (this.#o.windowMs <= 0) return this.#client.predictBulk(rows, signal);
    this.#client.checkBulk(rows);
    if (signal.aborted) return Promise.reject(signal.reason);
    const batch = (this.#open ??= { callers: [], rows: 0, stop: null });
    return new Promise<SidecarPrediction[]>((resolve, reject) => {
      const caller: Caller = { rows, resolve, reject, gone: false };
      batch.callers.push(caller);
      batch.rows += rows.length;
      signal.addEventListener(
        'abort',
        () => {
          caller.gone = true;
          reject(signal.reason);
          if (batch.stop !== null && batch.callers.every((c) => c.gone)) batch.stop.abort();
        },
        { once: true },
      );
      if (this.#o.maxRows > 0 && batch.rows >= this.#o.maxRows) this.#close();
      else this.#timer ??= setTimeout(() => this.#close(), this.#o.windowMs);
    });
  }

  /** The open batch stops taking callers and goes (or waits for a dispatch slot). */
  #close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#open;
    this.#open = null;
    if (batch === null) return;
    if (this.#inFlight < this.#o.maxConcurrent) this.#dispatch(batch);
    else this.#waiting.push(batch);
  }

  #dispatch(batch: Batch): void {
    const callers = batch.callers.filter((c) => !c.gone);
    if (callers.length === 0) return this.#next();
    this.#inFlight++;
    const stop = (batch.stop = new AbortController());
    const rows = callers.length === 1 ? callers[0]!.rows : callers.flatMap((c) => c.rows);
    this.#client.postBulkStrict(rows, stop.signal).then(
      (preds) => {
        let at = 0;
        for (const c of callers) {
          c.resolve(preds.slice(at, at + c.rows.length));
          at += c.rows.length;
        }
      },
      (err: unknown) => {
        for (const c of callers) c.reject(err);
      },
    ).finally(() => {
      this.#inFlight--;
      this.#next();
    });
  }

  #next(): void {
    const b = this.#waiting.shift();
    if (b !== undefined) this.#dispatch(b);
  }
}
