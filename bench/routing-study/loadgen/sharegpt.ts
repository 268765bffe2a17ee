/**
 * Reads the real ShareGPT file (`ShareGPT_V3_unfiltered_cleaned_split.json`: a JSON array of
 * `{id, conversations: [{from, value}, ...]}`) the way vLLM's benchmark samples it: entries with at least two
 * turns, prompt = turn 0, completion = turn 1 (roles not checked), token lengths from characters (4 per
 * token), kept when prompt >= 4, output >= 4, prompt <= 1024 and prompt + output <= 2048; then shuffled with
 * the seed. The file is ~670 MB, above V8's string limit, so it is scanned as bytes and each entry parsed
 * on its own. Entries whose `conversations` is a JSON string (seen in the wild) are parsed defensively.
 */
import { readFileSync } from 'node:fs';
import { tokenCount } from '../../sim/tokens.ts';
import { Rng } from '../../sim/rng.ts';
import { arrayWorkload, type Api, type WorkItem, type Workload } from './workload.ts';

export interface ShareGptFilter {
  minLen: number;
  maxPromptLen: number;
  maxTotalLen: number;
  /** Override every output length (vLLM --sharegpt-output-len); 0 = use the completion's length. */
  fixedOutputLen: number;
}

export const VLLM_FILTER: ShareGptFilter = { minLen: 4, maxPromptLen: 1024, maxTotalLen: 2048, fixedOutputLen: 0 };

export function loadShareGpt(path: string, seed: number, api: Api = 'completion', filter: ShareGptFilter = VLLM_FILTER): Workload {
  const items: WorkItem[] = [];
  let seen = 0;
  forEachEntry(readFileSync(path), (entry) => {
    seen++;
    const item = toItem(entry, api, filter);
    if (item) items.push(item);
  });
  new Rng(seed).shuffle(items);
  return arrayWorkload('sharegpt', items, { source: path, entries: seen, kept: items.length, filter, seed });
}

/** Applies vLLM's first-two-turns rule and length filter to one parsed entry; undefined when rejected. */
export function toItem(entry: unknown, api: Api, filter: ShareGptFilter): WorkItem | undefined {
  let conv = (entry as { conversations?: unknown } | null)?.conversations;
  if (typeof conv === 'string') {
    try {
      conv = JSON.parse(conv);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(conv) || conv.length < 2) return undefined;
  const prompt = (conv[0] as { value?: unknown })?.value;
  const completion = (conv[1] as { value?: unknown })?.value;
  if (typeof prompt !== 'string' || typeof completion !== 'string') return undefined;
  const promptLen = tokenCount(prompt);
  const outputLen = filter.fixedOutputLen > 0 ? filter.fixedOutputLen : tokenCount(completion);
  if (promptLen < filter.minLen || promptLen > filter.maxPromptLen) return undefined;
  if (filter.fixedOutputLen === 0 && outputLen < filter.minLen) return undefined;
  if (promptLen + outputLen > filter.maxTotalLen) return undefined;
  return { api, model: '', prompt, system: '', outputTokens: outputLen, group: -1 };
}

/** Calls `fn` with each element of a top-level JSON array held in `buf`, parsing one element at a time. */
export function forEachEntry(buf: Buffer, fn: (entry: unknown) => void): void {
  let i = buf.indexOf(0x5b); // '['
  if (i < 0) throw new Error('ShareGPT file is not a JSON array');
  let depth = 0;
  let start = -1;
  let inString = false;
  for (i = i + 1; i < buf.length; i++) {
    const c = buf[i] as number;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return; // closing ']' of the top-level array
      depth--;
      if (depth === 0 && start >= 0) {
        fn(JSON.parse(buf.toString('utf8', start, i + 1)));
        start = -1;
      }
    }
  }
}
