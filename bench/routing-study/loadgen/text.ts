/** Deterministic filler text of an exact token length (4 characters per token, see bench/sim/tokens.ts). */
import type { Rng } from '../../sim/rng.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
let table: string[] | undefined;

/** All 17,576 " xyz" words, built on first use. */
function words(): string[] {
  if (table) return table;
  table = [];
  for (const a of LETTERS) for (const b of LETTERS) for (const c of LETTERS) table.push(` ${a}${b}${c}`);
  return table;
}

/** `tokens` random 4-character words: distinct texts share no 64-character block by chance. */
export function randomText(rng: Rng, tokens: number): string {
  const w = words();
  const parts = new Array<string>(tokens);
  for (let i = 0; i < tokens; i++) parts[i] = w[rng.int(w.length)] as string;
  return parts.join('');
}
