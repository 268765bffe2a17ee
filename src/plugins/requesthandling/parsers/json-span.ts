/**
 * Scans over JSON text without parsing it: the raw text of one top-level member, and the nesting depth.
 *
 * The raw text of one top-level member of a JSON object, as a slice of the body (no copy: V8 keeps a sliced
 * string). Chat requests hash their `messages` for prefix affinity; slicing the client's own bytes costs about
 * nothing where `JSON.stringify(messages)` took 8% of the picker's CPU on 32 KB bodies (bench/overhead/README.md).
 *
 * Only for text that JSON.parse has accepted: it does not validate. String contents are skipped with native
 * indexOf, so the cost follows the punctuation between strings, not the bytes. Allocates only the slice.
 * Returns null when the member is absent.
 */

/** Raw text of the last top-level member named `key` (JSON.parse keeps the last duplicate), or null. */
export function topLevelMemberText(text: string, key: string): string | null {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return null;
  i = skipWs(text, i + 1);
  let found: string | null = null;
  while (text.charCodeAt(i) === 0x22 /* " */) {
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return null;
    let rawKey = text.slice(i + 1, keyEnd - 1);
    if (rawKey.includes('\\')) rawKey = JSON.parse(text.slice(i, keyEnd)) as string; // rare: decode escapes
    i = skipWs(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a /* : */) return null;
    const start = skipWs(text, i + 1);
    const end = valueEnd(text, start);
    if (end < 0) return null;
    if (rawKey === key) found = text.slice(start, end);
    i = skipWs(text, end);
    if (text.charCodeAt(i) !== 0x2c /* , */) break;
    i = skipWs(text, i + 1);
  }
  return found;
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Index just past the closing quote of the string opening at `i`. */
function stringEnd(text: string, i: number): number {
  let q = text.indexOf('"', i + 1);
  while (q > 0) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === 0x5c /* \ */) slashes++;
    if ((slashes & 1) === 0) return q + 1;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

/** Index just past the value starting at `i`, or -1. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return stringEnd(text, i);
  if (c === 0x7b || c === 0x5b) {
    // Outside strings JSON is punctuation, numbers and literals: short. Strings are skipped with indexOf.
    let depth = 0;
    for (let j = i; ; ) {
      const ch = text.charCodeAt(j);
      if (ch !== ch) return -1; // NaN: end of text
      if (ch === 0x22) {
        j = stringEnd(text, j);
        if (j < 0) return -1;
        continue;
      }
      if (ch === 0x7b || ch === 0x5b) depth++;
      else if ((ch === 0x7d || ch === 0x5d) && --depth === 0) return j + 1;
      j++;
    }
  }
  // number, true, false, null: up to the next delimiter
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (d !== d /* NaN: end of text */ || d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) return j;
    j++;
  }
}

/**
 * JSON.parse is iterative but costs more the deeper the text nests (45 ms at 100,000 levels, 1.4 s at
 * 1,000,000, for bodies of 0.2 and 2 MB), and JSON.stringify (the model rewrite, the responses API's prompt)
 * is recursive: past about 4,400 levels it overflows the stack. upstream's Go decoder refuses text nested
 * deeper than 10,000 (encoding/json scanner.go `maxNestingDepth`, error "exceeded max depth"); the parsers
 * here refuse past MAX_JSON_DEPTH, a 4x margin under V8's stack (Jackson's default limit is the same).
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whether `text` nests objects and arrays deeper than `limit` (the top-level value is level 1, as Go counts).
 * Bounded cost: the opening brackets are counted with native indexOf first (depth never exceeds their number,
 * so a body with at most `limit` of them, nearly every body, is done after a few calls); otherwise one pass
 * over the characters, strings skipped, that stops at the first level past the limit. Text that is not JSON may
 * answer either way: JSON.parse rejects it after.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let opens = 0;
  for (let i = text.indexOf('['); i >= 0 && opens <= limit; i = text.indexOf('[', i + 1)) opens++;
  for (let i = text.indexOf('{'); i >= 0 && opens <= limit; i = text.indexOf('{', i + 1)) opens++;
  if (opens <= limit) return false;
  // A plain loop: strings in bodies with that many brackets are short, and indexOf per string cost 2x more.
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
