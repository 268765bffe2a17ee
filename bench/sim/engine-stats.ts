/** Counters and histograms an engine keeps for /metrics, with vLLM V1's bucket boundaries (seconds). */

export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
];
export const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
export const REQUEST_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
  7680.0,
];

export class Histogram {
  readonly bounds: readonly number[];
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    this.sum += v;
  }
}

export class EngineStats {
  promptTokens = 0;
  generationTokens = 0;
  /** Prefix cache lookups and hits, in tokens. */
  prefixQueries = 0;
  prefixHits = 0;
  preemptions = 0;
  finishedStop = 0;
  finishedLength = 0;
  finishedAbort = 0;
  readonly ttft = new Histogram(TTFT_BUCKETS);
  readonly itl = new Histogram(ITL_BUCKETS);
  readonly tpot = new Histogram(ITL_BUCKETS);
  readonly e2e = new Histogram(REQUEST_BUCKETS);
  readonly queueTime = new Histogram(REQUEST_BUCKETS);
  /** Unix seconds when the engine started (the `_created` samples). */
  readonly createdAt = Date.now() / 1000;
}
