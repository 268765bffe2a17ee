/**
 * upstream's prefix_indexer_hit_bytes / hit_ratio histograms (approximateprefix/metrics.go), llm-d names by
 * {plugin_name, plugin_type} and their unlabelled GIE aliases, rendered from the counts each approx prefix
 * producer keeps on the request path (copied at scrape time, as encoder-cache-metrics).
 */
import type client from 'prom-client';
import { LeanHistogram } from './lean-histogram.ts';

/** One producer's counts (structural: observability imports no plugin). Counts per bucket, last slot +Inf. */
export interface PrefixHitCounts {
  readonly bytes: { readonly counts: Float64Array; readonly sum: number; readonly count: number };
  readonly ratio: { readonly counts: Float64Array; readonly sum: number; readonly count: number };
}

export const PREFIX_HIT_BYTES_BUCKETS: readonly number[] = [0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
export const PREFIX_HIT_RATIO_BUCKETS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** `source` yields [plugin name, plugin type, counts] for every producer configured. */
export function registerPrefixHitMetrics(registry: client.Registry, source: () => Iterable<readonly [string, string, PrefixHitCounts]>): void {
  const registers = [registry];
  const family = (which: 'bytes' | 'ratio', buckets: readonly number[], help: string) => {
    const canonical = `llm_d_epp_prefix_indexer_hit_${which}`;
    new LeanHistogram({
      name: canonical,
      help,
      labelNames: ['plugin_name', 'plugin_type'],
      buckets,
      registers,
      collect(h) {
        for (const [name, type, c] of source()) {
          const child = h.labels(name, type);
          child.counts.set(c[which].counts);
          child.sum = c[which].sum;
          child.count = c[which].count;
        }
      },
    });
    new LeanHistogram({
      name: `inference_extension_prefix_indexer_hit_${which}`,
      help: `[Deprecated: Use ${canonical}] ${help}`,
      buckets,
      registers,
      collect(h) {
        const plain = h.labels();
        plain.counts.fill(0);
        plain.sum = 0;
        plain.count = 0;
        for (const [, , c] of source()) {
          for (let i = 0; i < plain.counts.length; i++) plain.counts[i]! += c[which].counts[i]!;
          plain.sum += c[which].sum;
          plain.count += c[which].count;
        }
      },
    });
  };
  family('bytes', PREFIX_HIT_BYTES_BUCKETS, 'Length of the prefix match in number of bytes in the cache lookup.');
  family('ratio', PREFIX_HIT_RATIO_BUCKETS, 'Ratio of prefix length matched to total prefix length in the cache lookup.');
}
