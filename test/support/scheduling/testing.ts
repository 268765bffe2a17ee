/** Test fixtures for scheduling code: a plugin handle over a manual clock, endpoints and requests. */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { Endpoint } from '../../../src/framework/endpoint.ts';
import { ManualClock } from '../../../src/framework/clock.ts';
import type { EndpointLookup, PluginHandle } from '../../../src/framework/plugin.ts';
import { LLMRequest } from '../../../src/framework/request.ts';
import type { SchedulingResult } from '../../../src/framework/scheduling.ts';

export const TEST_STALENESS_MS = 2000;
/** Start of the test clock: far enough from 0 that "2 x staleness ago" is still a positive time. */
export const TEST_NOW = 1_000_000;

const noEndpoints: EndpointLookup = {
  endpoints: () => [],
  endpoint: () => undefined,
};

export interface TestHandle extends PluginHandle {
  readonly clock: ManualClock;
}

export function testHandle(metricsStalenessMs = TEST_STALENESS_MS): TestHandle {
  return {
    endpoints: noEndpoints,
    clock: new ManualClock(TEST_NOW),
    logger: pino({ level: 'silent' }),
    metricsStalenessMs,
  };
}

export interface EndpointMetrics {
  waitingQueue?: number;
  runningRequests?: number;
  kvCacheUsage?: number;
  maxLora?: number;
  activeAdapters?: string[];
  waitingAdapters?: string[];
  cacheBlockSize?: number;
  cacheNumBlocks?: number;
  /** Clock time of the last scrape; defaults to TEST_NOW (fresh). -1 = never scraped. */
  metricsUpdatedAt?: number;
}

/** Endpoint 10.0.0.<i>:8000 with the given metrics, scraped at TEST_NOW unless told otherwise. */
export function makeEndpoint(i: number, m: EndpointMetrics = {}): Endpoint {
  const ep = new Endpoint(`10.0.${i >> 8}.${i & 255}`, 8000, `pod-${i}`, 'default', 0, 'vllm');
  ep.waitingQueue = m.waitingQueue ?? 0;
  ep.runningRequests = m.runningRequests ?? 0;
  ep.kvCacheUsage = m.kvCacheUsage ?? 0;
  ep.maxLora = m.maxLora ?? 0;
  if (m.activeAdapters) ep.activeAdapters = new Set(m.activeAdapters);
  if (m.waitingAdapters) ep.waitingAdapters = new Set(m.waitingAdapters);
  ep.cacheBlockSize = m.cacheBlockSize ?? 0;
  ep.cacheNumBlocks = m.cacheNumBlocks ?? 0;
  ep.metricsUpdatedAt = m.metricsUpdatedAt ?? TEST_NOW;
  return ep;
}

export function makeRequest(fields: Partial<Pick<LLMRequest, 'model' | 'targetModel' | 'promptText' | 'cacheSalt'>> = {}): LLMRequest {
  const r = new LLMRequest();
  r.requestId = 'req-1';
  r.model = fields.model ?? 'base-model';
  r.targetModel = fields.targetModel ?? r.model;
  r.promptText = fields.promptText ?? '';
  r.cacheSalt = fields.cacheSalt ?? '';
  return r;
}

/**
 * Endpoints 0.. carrying the given pod labels, and `names(work, kept)`: the names of the first `kept` endpoints of
 * a filtered copy, for label filter tests.
 */
export function labelledEndpoints(pods: readonly (readonly [string, Record<string, string>])[]): {
  eps: Endpoint[];
  names: (work: readonly Endpoint[], kept: number) => string[];
} {
  const eps = pods.map(([, labels], i) => {
    const ep = makeEndpoint(i);
    ep.labels = labels;
    return ep;
  });
  return { eps, names: (work, kept) => work.slice(0, kept).map((ep) => pods[eps.indexOf(ep)]![0]) };
}

/** Small deterministic PRNG (mulberry32) for generated test data. */
export function testRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic text of `len` characters for prompts: lowercase letters, or with `printable` every printable
 * ASCII character.
 */
export function testText(len: number, seed: number, printable = false): string {
  const rnd = testRandom(seed);
  const [first, span] = printable ? [32, 95] : [97, 26];
  const chars: string[] = [];
  for (let i = 0; i < len; i++) chars.push(String.fromCharCode(first + Math.floor(rnd() * span)));
  return chars.join('');
}

/** n endpoints with varied fresh metrics. */
export function variedEndpoints(n: number, seed = 1): Endpoint[] {
  const rnd = testRandom(seed);
  const out: Endpoint[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      makeEndpoint(i, {
        waitingQueue: Math.floor(rnd() * 20),
        runningRequests: Math.floor(rnd() * 50),
        kvCacheUsage: rnd(),
        maxLora: 4,
        activeAdapters: rnd() < 0.5 ? ['adapter-a'] : [],
        waitingAdapters: rnd() < 0.3 ? ['adapter-b'] : [],
      }),
    );
  }
  return out;
}

/**
 * A forced-GC function: the global one under --expose-gc, else obtained at runtime through the V8 flag.
 * undefined when neither works.
 */
export function forcedGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Retained heap growth (bytes) across `calls` calls of fn, measured after forced GCs; undefined when GC
 * cannot be forced. Measures leaks (retained memory), not the allocation rate (that is bench/overhead/pick.bench.ts).
 */
export function retainedHeapGrowth(fn: () => void, calls: number): number | undefined {
  const gc = forcedGc();
  if (gc === undefined) return undefined;
  for (let i = 0; i < 1000; i++) fn();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < calls; i++) fn();
  gc();
  return process.memoryUsage().heapUsed - before;
}

/** A one-profile scheduling result that picked `picked` (primary first), as PreRequest hooks receive it. */
export function scheduledOn(...picked: Endpoint[]): SchedulingResult {
  const primary = { endpoints: picked, count: picked.length };
  return { ok: true, profileResults: new Map([['default', primary]]), primaryProfileName: 'default', primary };
}
