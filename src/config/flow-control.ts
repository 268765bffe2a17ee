/**
 * The flow controller a `flowControl` section describes, with upstream's defaults (registry/config.go): bands
 * of 5000 requests / 1 GB, made on first use from defaultPriorityBand (negative priorities from
 * defaultNegativePriorityBand, else the same template); fcfs ordering and global-strict fairness unless a
 * band names policies; no global limit unless maxRequests / maxBytes; request TTL 60 s unless defaultRequestTTL
 * (0 = none); noEndpointRequestTTL replaces it while the pool has no endpoints (unset = the same value).
 */
import type { Clock } from '../framework/clock.ts';
import { flowControlRole, type FairnessPolicy, type OrderingPolicy, type UsageLimitPolicy } from '../framework/flowcontrol.ts';
import type { Plugin } from '../framework/plugin.ts';
import type { FlowControlEntry, PriorityBandEntry } from './parse.ts';
import type { BandSettings } from '../flowcontrol/band.ts';
import { FlowController, type FlowControlObserver } from '../flowcontrol/controller.ts';
import type { TimerHost } from '../flowcontrol/timers.ts';
import { DEFAULT_RECLAMATION, Reclamation, type ReclamationObserver } from '../flowcontrol/reclamation.ts';

export const DEFAULT_BAND_MAX_REQUESTS = 5000;
export const DEFAULT_BAND_MAX_BYTES = 1_000_000_000;
export const DEFAULT_REQUEST_TTL_MS = 60_000;

export interface FlowControlSetup {
  readonly entry: FlowControlEntry;
  /** Plugin instances by name (the loader's), where policy refs point. */
  readonly plugins: ReadonlyMap<string, Plugin>;
  /** fcfs-ordering-policy and global-strict-fairness-policy instances (the wiring makes them). */
  readonly defaultOrdering: OrderingPolicy;
  readonly defaultFairness: FairnessPolicy;
  readonly clock: Clock;
  readonly timers: TimerHost;
  readonly observer?: FlowControlObserver | undefined;
  /**
   * enableEviction's pacing grace (ms): how long freed capacity takes to show in the saturation signal (upstream
   * runner deriveEvictionConfirmationGrace). Unset = upstream's controller default, 500 ms.
   */
  readonly evictionGraceMs?: number | undefined;
  readonly reclamationObserver?: ReclamationObserver | undefined;
}

/** Upstream runner: a concurrency detector sees a freed slot at once (10 ms of jitter)... */
export const EVICTION_LEADING_SENSOR_GRACE_MS = 10;
/** ...a scraped one after the engine frees it (250 ms) and the next fresh scrape lands. */
export const EVICTION_ENGINE_RECLAIM_BUDGET_MS = 250;

/** What the director tells the controller about the pool (beyond canDispatch). */
export interface PoolSignals {
  /** The saturation detector's figure, for the usage-limit policy. */
  saturation(): number;
  /** Whether the pool has endpoints at all (noEndpointRequestTTL applies while it has none). */
  hasEndpoints(): boolean;
}

/** Makes the controller once the director can say whether the pool has room and how saturated it is. */
export type FlowControllerFactory = (canDispatch: () => boolean, pool?: PoolSignals) => FlowController;

export function flowControllerFactory(setup: FlowControlSetup): FlowControllerFactory {
  const { entry } = setup;
  const settings = (band: PriorityBandEntry | undefined, fallback: BandSettings): BandSettings => ({
    maxRequests: band?.maxRequests || fallback.maxRequests,
    maxBytes: band?.maxBytes || fallback.maxBytes,
    ttlMs: 0,
    fairness: policy(setup, band?.fairnessPolicy?.pluginRef, 'fairness-policy') ?? fallback.fairness,
    ordering: policy(setup, band?.orderingPolicy?.pluginRef, 'ordering-policy') ?? fallback.ordering,
  });
  const base: BandSettings = { maxRequests: DEFAULT_BAND_MAX_REQUESTS, maxBytes: DEFAULT_BAND_MAX_BYTES, ttlMs: 0, fairness: setup.defaultFairness, ordering: setup.defaultOrdering };
  const positive = settings(entry.defaultPriorityBand, base);
  const negative = entry.defaultNegativePriorityBand === undefined ? positive : settings(entry.defaultNegativePriorityBand, base);
  const explicit = new Map<number, BandSettings>();
  for (const b of entry.priorityBands) explicit.set(b.priority, settings(b, b.priority < 0 ? negative : positive));
  const usageLimit = policy<UsageLimitPolicy>(setup, entry.usageLimitPolicy?.pluginRef, 'usage-limit-policy');
  const defaultTtlMs = entry.defaultRequestTTLMs ?? DEFAULT_REQUEST_TTL_MS;
  const reclamation = entry.enableEviction ? { ...DEFAULT_RECLAMATION, graceMs: setup.evictionGraceMs ?? DEFAULT_RECLAMATION.graceMs } : null;
  return (canDispatch, pool) =>
    new FlowController({
      reclamation: reclamation === null ? undefined : new Reclamation(setup.clock, reclamation, setup.reclamationObserver ?? null),
      usageLimit,
      saturation: pool && (() => pool.saturation()),
      hasEndpoints: pool && (() => pool.hasEndpoints()),
      // Unset follows defaultRequestTTL (60 s when neither is set), as upstream controller/config.go.
      noEndpointTtlMs: entry.noEndpointRequestTTLMs ?? defaultTtlMs,
      clock: setup.clock,
      timers: setup.timers,
      canDispatch,
      bandSettings: (p) => explicit.get(p) ?? (p < 0 ? negative : positive),
      maxRequests: entry.maxRequests || Infinity,
      maxBytes: entry.maxBytes || Infinity,
      defaultTtlMs,
      observer: setup.observer,
    });
}

function policy<T extends FairnessPolicy | OrderingPolicy | UsageLimitPolicy>(setup: FlowControlSetup, ref: string | undefined, role: T['flowControlRole']): T | undefined {
  if (ref === undefined) return undefined;
  const p = setup.plugins.get(ref);
  // The loader checked every ref (config/sections.ts checkFlowControl); a miss here is a programming error.
  if (p === undefined || flowControlRole(p) !== role) throw new Error(`flowControl: "${ref}" is not a ${role}`);
  return p as T;
}
