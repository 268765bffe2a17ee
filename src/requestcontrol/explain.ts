/**
 * Decision explain on the request path: which requests are explained (the debug header when
 * --enable-explain-header is set, the live page's sampling) and how the scheduler's record becomes an
 * Explanation (framework/explain.ts).
 */
import type { ExplainRecorder, Explanation } from '../framework/explain.ts';
import type { LLMRequest } from '../framework/request.ts';
import type { SchedulingResult } from '../framework/scheduling.ts';

/** A request carrying this header (any value) gets its explanation back in EXPLAIN_RESPONSE_HEADER. */
export const EXPLAIN_REQUEST_HEADER = 'x-epp-explain';
/** The explanation as one line of JSON, on the response to the client. */
export const EXPLAIN_RESPONSE_HEADER = 'x-epp-explanation';

/** Where sampled explanations go (the live page's ring). want() is asked once per request: keep it cheap. */
export interface DecisionSink {
  want(): boolean;
  add(explanation: Explanation): void;
}

/** Envoy's default limit on all response headers is 60 KiB: the explanation stays well under it. */
const MAX_HEADER_CHARS = 16 * 1024;
/** Endpoints kept per profile when the whole explanation is too large for a header: the picks, then the best. */
const HEADER_ENDPOINTS = 12;

/** The explanation as the response header's value: whole when small, else each profile's best endpoints. */
export function explanationHeader(e: Explanation): string {
  const whole = JSON.stringify(e);
  if (whole.length <= MAX_HEADER_CHARS) return whole;
  const profiles = e.profiles.map((p) => {
    const best = [...p.endpoints].sort((a, b) => rankOrder(a.rank) - rankOrder(b.rank) || b.total - a.total).slice(0, HEADER_ENDPOINTS);
    return { ...p, endpoints: best, omittedEndpoints: p.endpoints.length - best.length };
  });
  return JSON.stringify({ ...e, profiles });
}

const rankOrder = (rank: number): number => (rank < 0 ? Infinity : rank);

export function newRecorder(dryRun = false): ExplainRecorder {
  return { profiles: [], dryRun };
}

export function explanationOf(req: LLMRequest, rec: ExplainRecorder, outcome: string, reason: string, primaryProfile: string, destination: string): Explanation {
  const e = { requestId: req.requestId, model: req.model, targetModel: req.targetModel, at: Date.now(), outcome, reason, primaryProfile, destination };
  return rec.screeners === undefined ? { ...e, profiles: rec.profiles } : { ...e, screeners: rec.screeners, profiles: rec.profiles };
}

/** "ip:port" -> score over the primary profile's scored candidates (upstream prepareRequest TargetEndpointScores). */
export function scoresOf(result: SchedulingResult): Record<string, number> | null {
  const p = result.primary;
  const n = p.scoredCount ?? 0;
  if (n === 0 || !p.scored || !p.scores) return null;
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) out[p.scored[i]!.key] = p.scores[i]!;
  return out;
}
