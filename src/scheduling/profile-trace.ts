/**
 * Records one profile run for decision explain (framework/explain.ts). Built only when a cycle is explained;
 * SchedulerProfile.run calls it at each step with its scratch arrays, and everything read is copied here
 * because the scratch is reused by the next run.
 */
import type { Endpoint } from '../framework/endpoint.ts';
import type { EndpointExplanation, ProfileExplanation } from '../framework/explain.ts';
import type { Filter, Picker, Scorer } from '../framework/scheduling.ts';

/** Totals closer than this count as a tie (floating-point sums of the same terms in another order). */
const TIE = 1e-9;

export class ProfileTrace {
  readonly #profile: string;
  readonly #filters: readonly Filter[];
  readonly #scorers: readonly Scorer[];
  readonly #weights: Float64Array;
  readonly #picker: Picker;
  /** Candidate key -> filter that removed it ('' = kept). Insertion order = candidate order. */
  readonly #removedBy = new Map<string, string>();
  readonly #kept: number[] = [];
  readonly #scores = new Map<string, number[]>();
  readonly #totals = new Map<string, number>();
  #picked: string[] = [];
  #failure = '';

  constructor(profile: string, filters: readonly Filter[], scorers: readonly Scorer[], weights: Float64Array, picker: Picker) {
    this.#profile = profile;
    this.#filters = filters;
    this.#scorers = scorers;
    this.#weights = weights;
    this.#picker = picker;
  }

  candidates(cands: readonly Endpoint[], n: number): void {
    for (let i = 0; i < n; i++) this.#removedBy.set(cands[i]!.key, '');
  }

  /** Filter `f` kept the first n of cands: every earlier survivor not among them was removed by it. */
  filtered(f: number, cands: readonly Endpoint[], n: number): void {
    const kept = new Set<string>();
    for (let i = 0; i < n; i++) kept.add(cands[i]!.key);
    const filter = this.#filters[f]!;
    for (const [key, by] of this.#removedBy) if (by === '' && !kept.has(key)) this.#removedBy.set(key, `${filter.name} (${filter.type})`);
    this.#kept.push(n);
  }

  /** Raw (clamped) scores per scorer and the weighted totals of the first n candidates. */
  scored(cands: readonly Endpoint[], n: number, raw: readonly Float64Array[], totals: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const key = cands[i]!.key;
      const row: number[] = [];
      for (let s = 0; s < raw.length; s++) row.push(raw[s]![i]!);
      this.#scores.set(key, row);
      this.#totals.set(key, totals[i]!);
    }
  }

  picked(out: readonly Endpoint[], count: number): void {
    this.#picked = [];
    for (let i = 0; i < count; i++) this.#picked.push(out[i]!.key);
  }

  failed(reason: string): void {
    this.#failure = reason;
  }

  finish(): ProfileExplanation {
    const primary = this.#picked[0];
    const pScores = primary === undefined ? undefined : this.#scores.get(primary);
    const pTotal = primary === undefined ? 0 : (this.#totals.get(primary) ?? 0);
    const endpoints: EndpointExplanation[] = [];
    for (const [key, removedBy] of this.#removedBy) {
      const scores = this.#scores.get(key) ?? [];
      const total = this.#totals.get(key) ?? 0;
      const rank = this.#picked.indexOf(key);
      endpoints.push({ endpoint: key, removedBy, scores, total, rank, why: rank === 0 ? '' : this.#why(removedBy, scores, total, rank, pScores, pTotal) });
    }
    return {
      profile: this.#profile,
      filters: this.#filters.map((f, i) => ({ name: f.name, type: f.type, kept: this.#kept[i] ?? 0 })),
      scorers: this.#scorers.map((s, i) => ({ name: s.name, type: s.type, weight: this.#weights[i]! })),
      picker: { name: this.#picker.name, type: this.#picker.type },
      picked: this.#picked,
      failure: this.#failure,
      endpoints,
    };
  }

  #why(removedBy: string, scores: readonly number[], total: number, rank: number, pScores: readonly number[] | undefined, pTotal: number): string {
    if (removedBy !== '') return `removed by filter ${removedBy}`;
    if (pScores === undefined) return this.#failure || 'no pick';
    const place = rank > 0 ? `fallback #${rank}; ` : '';
    if (this.#scorers.length === 0) return `${place}no scorers: picker ${this.#picker.type} chose another`;
    if (Math.abs(total - pTotal) <= TIE) return `${place}tied with the pick at ${fmt(total)}: picker ${this.#picker.type} broke the tie`;
    if (total > pTotal) return `${place}scored higher (${fmt(total)} > ${fmt(pTotal)}) but picker ${this.#picker.type} does not always take the top score`;
    // The scorer where it fell furthest behind the pick, weighted.
    let worst = 0;
    let gap = 0;
    for (let s = 0; s < scores.length; s++) {
      const d = this.#weights[s]! * (pScores[s]! - scores[s]!);
      if (d > gap) {
        gap = d;
        worst = s;
      }
    }
    return `${place}total ${fmt(total)} < ${fmt(pTotal)} of the pick; lost most on ${this.#scorers[worst]!.name} (-${fmt(gap)} weighted)`;
  }
}

function fmt(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}
