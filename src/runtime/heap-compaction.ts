/**
 * One memory-reducing full GC, for the end of startup.
 *
 * V8 keeps the pages that a shrinking old generation gives back in a pool for reuse, and unmaps them only in a
 * memory-reducing GC. Its memory reducer runs one only while the allocation rate is low, which a picker
 * scraping hundreds of endpoints never has. So whatever a startup burst made V8 commit (module loading, a
 * resources file or informer list of a thousand pods) would stay in the RSS for good: 20-35 MB at 1,000
 * endpoints in bench/overhead/memory.bench.ts, depending on whether incremental marking overlapped the burst.
 * A "last resort" GC collects until nothing more is freed, compacts, shrinks the young generation and empties
 * the pool; 40-60 ms, run once the initial state is loaded (before the ports open in standalone mode, when the
 * first lists are in in Kubernetes mode).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

/**
 * V8's gc(), which only contexts created while --expose-gc is set receive: one is made, and the flag is reset
 * so that no later context (vm, workers) gets it. `globalThis.gc` when the process already runs with it.
 */
export function exposedGc(): GcFunction | null {
  const own = (globalThis as { gc?: GcFunction }).gc;
  if (typeof own === 'function') return own;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    return typeof gc === 'function' ? (gc as GcFunction) : null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Runs the memory-reducing GC; its duration in ms, or null when V8 offers no gc(). */
export function compactHeap(): number | null {
  const gc = exposedGc();
  if (!gc) return null;
  const t0 = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return performance.now() - t0;
}
