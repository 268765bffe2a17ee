/**
 * Inference watch (issue 14, finding 2): a server whose /metrics answers while its inference hangs keeps
 * scraping as idle, so without this it drew most of the traffic. Seen from the picker's own view: requests
 * routed to an endpoint that get no response headers for longer than a deadline derived from its recent
 * dispatch-to-headers times, while nothing else it serves answers either; the more requests wait unanswered
 * (in flight growing with no answer), the shorter the deadline. Such an endpoint is hung: left out of the
 * candidates (answeringCandidates) until it answers again; after a backoff (250 ms doubling to 30 s) it takes
 * one new request at a time, a probe, until it answers or the probe's deadline passes. Off for an endpoint that never answered headers (the
 * gateway may not send response phases); a request that ends without headers does not count as an answer.
 */
import type { Endpoint } from '../framework/endpoint.ts';

/** The shortest silence that counts as hung (ms): a few scrape intervals, well under any client timeout. */
export const MIN_SILENCE_MS = 150;
/** Silence past this many times the recent answer time counts as hung. */
const SILENCE_FACTOR = 4;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** How fast the recent answer time falls back after a slow answer (it rises at once). */
const DECAY = 0.1;

/** A request was routed to `ep` at `now`. */
export function dispatched(ep: Endpoint, now: number): void {
  // A probe restarts the silence clock: it gets a full deadline of its own.
  if (ep.unanswered++ === 0 || ep.hungBackoffMs > 0) ep.silentSince = Math.max(now, ep.hungUntil);
}

/** Response headers for a request routed to `ep` `latencyMs` after its dispatch. */
export function answered(ep: Endpoint, now: number, latencyMs: number): void {
  if (ep.unanswered > 0) ep.unanswered--;
  const l = Math.max(latencyMs, 1);
  ep.answerLatencyMs = l >= ep.answerLatencyMs ? l : ep.answerLatencyMs + (l - ep.answerLatencyMs) * DECAY;
  ep.silentSince = ep.unanswered > 0 ? now : -1;
  ep.hungUntil = 0;
  ep.hungBackoffMs = 0;
  ep.probeBase = -1;
}

/** A request routed to `ep` ended without response headers (cancelled, failed, or response phases not sent). */
export function abandoned(ep: Endpoint): void {
  if (ep.unanswered > 0) ep.unanswered--;
  if (ep.unanswered === 0) ep.silentSince = -1;
  if (ep.probeBase > ep.unanswered) ep.probeBase = ep.unanswered;
}

/** The silence (ms) past which `ep` counts as hung: a third of it once three requests wait unanswered. */
export function silenceDeadline(ep: Endpoint): number {
  return Math.max(MIN_SILENCE_MS, SILENCE_FACTOR * ep.answerLatencyMs) / Math.min(Math.max(ep.unanswered - Math.max(ep.probeBase, 0), 1), 3);
}

/**
 * Whether `ep` counts as hung at `now`. Marks it (hungUntil) when its silence passes the deadline; the silence
 * clock of a marked endpoint restarts when its exclusion ends, so the probe gets a full deadline.
 */
export function isHung(ep: Endpoint, now: number): boolean {
  if (now < ep.hungUntil) return true;
  if (ep.hungBackoffMs > 0) {
    // Probing: one new request beyond those still waiting from the hang.
    if (ep.probeBase < 0) ep.probeBase = ep.unanswered;
    else if (ep.unanswered > ep.probeBase) {
      silent(ep, now);
      return true;
    }
  }
  return silent(ep, now);
}

function silent(ep: Endpoint, now: number): boolean {
  if (ep.unanswered === 0 || ep.answerLatencyMs === 0 || now - ep.silentSince <= silenceDeadline(ep)) return false;
  ep.hungBackoffMs = ep.hungBackoffMs === 0 ? FIRST_BACKOFF_MS : Math.min(ep.hungBackoffMs * 2, MAX_BACKOFF_MS);
  ep.hungUntil = now + ep.hungBackoffMs;
  ep.silentSince = ep.hungUntil;
  ep.probeBase = -1;
  return true;
}
