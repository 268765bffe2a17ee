/**
 * Trace replay: a CSV of arrivals with token counts becomes a workload whose arrivals are the trace's own.
 * Formats: Azure LLM inference 2023 (`TIMESTAMP,ContextTokens,GeneratedTokens`, timestamps as
 * `2023-11-16 18:15:46.6805900`) and BurstGPT (`Timestamp,Model,Request tokens,Response tokens,...`, seconds).
 * Prompts are synthesised to the given token counts (prompt texts are not in the traces); `sharePrefix`
 * makes that share of requests start with one of `prefixGroups` common prefixes of `prefixShare` of their
 * tokens. `arrivals(qps, durationS)` rescales the trace's mean rate to `qps` (keeping its burstiness: every gap
 * is multiplied by the same factor) and cuts it at `durationS`; qps 0 keeps the trace's own rate.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../../sim/rng.ts';
import { randomText } from './text.ts';
import type { WorkItem, Workload } from './workload.ts';

export interface TraceRow {
  /** ms since the first request. */
  atMs: number;
  promptTokens: number;
  outputTokens: number;
}

export interface TraceOptions {
  /** Share of requests (0..1) whose prompt starts with a shared prefix. */
  sharePrefix: number;
  /** How many distinct shared prefixes. */
  prefixGroups: number;
  /** Share of such a prompt's tokens that are the prefix. */
  prefixShare: number;
  /** Longest prompt + output kept (longer rows are clipped, as a max_model_len would force). */
  maxTokens: number;
  seed: number;
}

export const DEFAULT_TRACE_OPTIONS: TraceOptions = { sharePrefix: 0, prefixGroups: 20, prefixShare: 0.5, maxTokens: 4096, seed: 1 };

function parseTime(s: string): number {
  const n = Number(s);
  if (Number.isFinite(n)) return n * 1000;
  // Azure: "2023-11-16 18:15:46.6805900" (UTC); Date keeps ms, the 4 extra digits are sub-ms.
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?$/.exec(s.trim());
  if (!m) throw new Error(`trace: unreadable timestamp "${s}"`);
  return Date.parse(`${m[1]}T${m[2]}Z`) + (m[3] ? Number(m[3]) * 1000 : 0);
}

/** Reads the rows of an Azure or BurstGPT CSV, sorted by time, times relative to the first. */
export function parseTrace(text: string): TraceRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (...names: string[]): number => {
    const i = header.findIndex((h) => names.includes(h));
    if (i < 0) throw new Error(`trace: no column ${names.join(' / ')} in header "${lines[0] ?? ''}"`);
    return i;
  };
  const iT = col('timestamp');
  const iP = col('contexttokens', 'request tokens');
  const iO = col('generatedtokens', 'response tokens');
  const rows: TraceRow[] = [];
  for (let k = 1; k < lines.length; k++) {
    const f = (lines[k] as string).split(',');
    const p = Number(f[iP]);
    const o = Number(f[iO]);
    if (!Number.isFinite(p) || !Number.isFinite(o)) throw new Error(`trace: bad token counts on line ${k + 1}`);
    rows.push({ atMs: parseTime(f[iT] as string), promptTokens: Math.max(1, Math.round(p)), outputTokens: Math.max(1, Math.round(o)) });
  }
  rows.sort((a, b) => a.atMs - b.atMs);
  const t0 = rows[0]?.atMs ?? 0;
  for (const r of rows) r.atMs -= t0;
  return rows;
}

export interface TraceWorkload extends Workload {
  /** Arrival offsets (ms) rescaled to mean rate `qps` (0 = as recorded), cut at `durationS` (0 = all). */
  arrivals(qps: number, durationS: number): Float64Array;
  /** Mean rate of the trace as recorded, req/s. */
  readonly traceQps: number;
}

export function traceWorkload(name: string, rows: readonly TraceRow[], opts: Partial<TraceOptions> = {}): TraceWorkload {
  if (rows.length === 0) throw new Error(`trace ${name} is empty`);
  const o = { ...DEFAULT_TRACE_OPTIONS, ...opts };
  const rng = new Rng(o.seed ^ 0x7ace);
  const prefixes: string[] = [];
  const items: WorkItem[] = rows.map((r) => {
    let prompt = r.promptTokens;
    let output = r.outputTokens;
    if (prompt + output > o.maxTokens) {
      output = Math.min(output, Math.max(1, o.maxTokens >> 3));
      prompt = Math.max(1, o.maxTokens - output);
    }
    let text = '';
    let group = -1;
    if (o.sharePrefix > 0 && rng.next() < o.sharePrefix) {
      group = rng.int(o.prefixGroups);
      const len = Math.floor(prompt * o.prefixShare);
      prefixes[group] ??= randomText(new Rng(o.seed * 7919 + group), o.maxTokens);
      text = (prefixes[group] as string).slice(0, len * 4);
    }
    text += randomText(rng, prompt - text.length / 4);
    return { api: 'completion', model: '', prompt: text, system: '', outputTokens: output, group };
  });
  const span = (rows[rows.length - 1] as TraceRow).atMs;
  const traceQps = rows.length > 1 && span > 0 ? ((rows.length - 1) / span) * 1000 : 1;
  let sumP = 0;
  let sumO = 0;
  for (const it of items) {
    sumP += it.prompt.length / 4;
    sumO += it.outputTokens;
  }
  return {
    name,
    size: items.length,
    item: (i) => items[i % items.length] as WorkItem,
    traceQps,
    describe: {
      trace: name,
      requests: rows.length,
      trace_qps: Math.round(traceQps * 1000) / 1000,
      mean_prompt_tokens: Math.round(sumP / items.length),
      mean_output_tokens: Math.round(sumO / items.length),
      ...o,
    },
    arrivals(qps, durationS) {
      const scale = qps > 0 ? traceQps / qps : 1;
      const out: number[] = [];
      for (const r of rows) {
        const t = r.atMs * scale;
        if (durationS > 0 && t > durationS * 1000) break;
        out.push(t);
      }
      return Float64Array.from(out);
    },
  };
}

export function loadTrace(path: string, opts: Partial<TraceOptions> = {}): TraceWorkload {
  return traceWorkload(path.split('/').pop() ?? path, parseTrace(readFileSync(path, 'utf8')), opts);
}
