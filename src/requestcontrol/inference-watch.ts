/**
 * Detects a pod whose /metrics answers while its inference hangs (issue 14, finding 2), from the picker's own
 * view: requests it dispatched there that get no response headers. O(1) per event, no timers: the endpoint
 * holds the count awaiting headers and the clock time past which it counts as hung (Endpoint.inferenceStallAt),
 * which isAnswering reads, so answeringCandidates takes it out (and fails open when none answers).
 * Any response headers from the endpoint give it a fresh deadline; so does the last waiting request ending.
 */
import type { Endpoint } from '../framework/endpoint.ts';

/** Default stall timeout: well above a loaded server's gap between first bytes, below Envoy's usual 60 s. */
export const DEFAULT_INFERENCE_STALL_MS = 30_000;

/** A request was dispatched to `ep` at `now`. */
export function dispatched(ep: Endpoint, now: number, stallMs: number): void {
  if (ep.awaitingHeaders++ === 0) ep.inferenceStallAt = now + stallMs;
}

/** Response headers for one of its requests arrived at `now`: the endpoint answers. */
export function answered(ep: Endpoint, now: number, stallMs: number): void {
  if (ep.awaitingHeaders > 0) ep.awaitingHeaders--;
  ep.inferenceStallAt = ep.awaitingHeaders === 0 ? Infinity : now + stallMs;
}

/**
 * A request ended without response headers (cancelled, reset): it no longer waits. When the last one goes
 * while the endpoint is stalled, nothing is left to answer, so it stays out for one more stall timeout and then
 * gets traffic again (half-open: the next dispatch starts a fresh deadline). Envoy cancelling first is evidence
 * too, else a route timeout shorter than the stall timeout would hide every hang.
 */
export function abandoned(ep: Endpoint, now: number, stallMs: number): void {
  if (ep.awaitingHeaders > 0) ep.awaitingHeaders--;
  if (ep.awaitingHeaders > 0) return;
  if (now > ep.inferenceStallAt) ep.inferenceRetryAt = now + stallMs;
  ep.inferenceStallAt = Infinity;
}
