/**
 * The revision shares of a DisaggregatedSet rollout (upstream plugin.go newRevisionDistribution): from the Ready
 * pod count per revision and role, the revisions with a pod of every required role ("covered") and the share of
 * traffic each gets. Built off the request path, whenever a pod joins, leaves or is relabelled.
 */
import type { GatingMode } from './config.ts';

/** revision -> role -> Ready pods. */
export type RoleCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface RevisionDistribution {
  /** Every observed revision, covered or not (the share gauge reports the uncovered ones as 0). */
  readonly roleCounts: RoleCounts;
  /** Covered revisions with a share > 0, sorted by name: the order of the weighted draw, as upstream. */
  readonly revisions: readonly string[];
  /** Share in (0,1] of revisions[i]; they sum to 1. */
  readonly shares: Float64Array;
  /** revision -> its index in `revisions`. */
  readonly index: ReadonlyMap<string, number>;
}

export const EMPTY_DISTRIBUTION: RevisionDistribution = { roleCounts: new Map(), revisions: [], shares: new Float64Array(0), index: new Map() };

/** The sum of the required roles' pods; undefined when one of them has none (the revision is not covered). */
export function revisionSumWeight(perRole: ReadonlyMap<string, number>, required: readonly string[]): number | undefined {
  let weight = 0;
  for (const role of required) {
    const count = perRole.get(role) ?? 0;
    if (count === 0) return undefined;
    weight += count;
  }
  return weight;
}

/** The required role with the most pods over all covered revisions; the earlier role in `required` wins a tie. */
export function dominantRole(covered: RoleCounts, required: readonly string[]): string {
  let dominant = '';
  let best = -1;
  for (const role of required) {
    let total = 0;
    for (const perRole of covered.values()) total += perRole.get(role) ?? 0;
    if (total > best) {
      dominant = role;
      best = total;
    }
  }
  return dominant;
}

export function revisionDistribution(roleCounts: RoleCounts, required: readonly string[], mode: GatingMode): RevisionDistribution {
  const covered = new Map<string, ReadonlyMap<string, number>>();
  for (const [revision, perRole] of roleCounts) if (revisionSumWeight(perRole, required) !== undefined) covered.set(revision, perRole);
  const weights = new Map<string, number>();
  const role = mode === 'max-role' ? dominantRole(covered, required) : '';
  for (const [revision, perRole] of covered) weights.set(revision, mode === 'max-role' ? (perRole.get(role) ?? 0) : revisionSumWeight(perRole, required)!);
  let total = 0;
  for (const w of weights.values()) total += w;
  const revisions = [...weights.keys()].filter((r) => weights.get(r)! > 0).sort();
  const shares = Float64Array.from(revisions, (r) => weights.get(r)! / total);
  return { roleCounts, revisions, shares, index: new Map(revisions.map((r, i) => [r, i])) };
}

/** The share of `revision`, 0 when it is not covered. */
export function shareOf(d: RevisionDistribution, revision: string): number {
  const i = d.index.get(revision);
  return i === undefined ? 0 : d.shares[i]!;
}

/**
 * Upstream pickWeightedRevision over the revisions whose `present[i]` is 1 (sorted by name): the first whose
 * cumulative share exceeds draw x total; -1 when none is present.
 */
export function pickWeightedRevision(shares: Float64Array, present: Uint8Array, draw: number): number {
  let total = 0;
  let last = -1;
  for (let i = 0; i < shares.length; i++) {
    if (present[i] === 1) {
      total += shares[i]!;
      last = i;
    }
  }
  if (last < 0) return -1;
  const x = draw * total;
  let cumulative = 0;
  for (let i = 0; i < shares.length; i++) {
    if (present[i] !== 1) continue;
    cumulative += shares[i]!;
    if (x < cumulative) return i;
  }
  return last;
}
