/**
 * Gives back the memory a burst of large request bodies took, once the burst is over.
 *
 * A 30 MB body passes through the picker as 30 MB of gRPC message buffers (malloc), a 30 MB joined copy, the
 * 30 MB decoded text and the 30 MB prompt string JSON.parse makes (V8's large-object space). All of it is
 * garbage once the request is answered, but nothing gives the pages back: the buffers are freed only at the
 * next GC that V8 runs for its own heap's sake, glibc keeps freed chunks of its (single, MALLOC_ARENA_MAX=1)
 * arena, and V8 pools the old-generation pages it grew into. Eight 30 MB bodies took the RSS from 98 to
 * 305-311 MB and it stayed there (bench/overhead/large-bodies.bench.ts). A memory-reducing GC after the burst
 * (runtime/heap-compaction.ts) frees the buffers, compacts and unmaps the pooled pages.
 *
 * It pauses the event loop (tens of ms), so it runs only after a quiet `delayMs` since the last large body,
 * and at most once per `minIntervalMs`: a client sending large bodies without pause gets one compaction per
 * interval, not one per body.
 */
import { compactHeap } from './heap-compaction.ts';

export interface ReclaimOptions {
  /** Bodies of at least this many bytes arm the compaction. */
  thresholdBytes: number;
  /** Quiet time after the last large body before compacting. */
  delayMs: number;
  /** Least time between two compactions. */
  minIntervalMs: number;
  /** Runs the compaction (compactHeap by default); returns its duration in ms, or null. */
  compact?: () => number | null;
  /** Told each compaction's duration and the RSS after it. */
  onCompacted?: (ms: number | null) => void;
  now?: () => number;
}

export class LargeBodyReclaimer {
  readonly #o: ReclaimOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  /** When the last compaction ran (-Infinity: never). */
  #lastRun = -Infinity;
  /** Compactions run so far. */
  runs = 0;

  constructor(options: ReclaimOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    this.noteBody = this.noteBody.bind(this);
  }

  /** A request body of `bytes` is done with (answered or rejected). */
  noteBody(bytes: number): void {
    if (bytes < this.#o.thresholdBytes) return;
    this.#arm(this.#o.delayMs);
  }

  #arm(ms: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(onReclaimTimer, ms, this);
    this.#timer.unref();
  }

  /** The timer fired: compact now, or later when the last compaction is too recent. */
  fire(): void {
    this.#timer = null;
    const wait = this.#lastRun + this.#o.minIntervalMs - this.#now();
    if (wait > 0) return this.#arm(wait);
    this.#lastRun = this.#now();
    this.runs++;
    const ms = (this.#o.compact ?? compactHeap)();
    this.#o.onCompacted?.(ms);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function onReclaimTimer(r: LargeBodyReclaimer): void {
  r.fire();
}
