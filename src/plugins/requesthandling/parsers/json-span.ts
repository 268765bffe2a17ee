/**
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
