/**
 * What upstream's prefix_indexer_hit_bytes / hit_ratio histograms observe (approximateprefix/metrics.go), kept
 * as plain bucket counts on the request path and copied into the metric families at scrape time: per PreRequest,
 * the pick's matched prefix and the prompt's hashed length, both as a byte estimate (blocks x block size x 4).
 */

/** Upstream's buckets for prefix_indexer_hit_bytes. */
export const HIT_BYTES_BUCKETS: readonly number[] = [0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
/** Upstream's buckets for prefix_indexer_hit_ratio. */
export const HIT_RATIO_BUCKETS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** Observations per bucket (not cumulative; the last slot is +Inf), their sum and count. */
export class BucketCounts {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class PrefixHitStats {
  readonly bytes = new BucketCounts(HIT_BYTES_BUCKETS);
  readonly ratio = new BucketCounts(HIT_RATIO_BUCKETS);

  /** As upstream's recordPrefixCacheMatch: the ratio only when something was hashed. */
  observe(matchedBytes: number, totalBytes: number): void {
    this.bytes.observe(matchedBytes);
    if (totalBytes > 0) this.ratio.observe(matchedBytes / totalBytes);
  }
}
