/**
 * Cuts the lines of a few wanted metric families out of a metrics page's raw bytes, so that the ~60 KB page
 * is neither decoded nor regex-scanned whole at every scrape: PromScanner then reads a small excerpt (a few
 * KB) holding exactly the wanted sample lines, in page order.
 *
 * Two facts make this safe and cheap:
 * - the text format keeps all lines of one metric together ("All lines for a given metric must be provided
 *   as one single group", exposition format 0.0.4), so one line of a family leads to all of them;
 * - a server's page keeps its layout from one scrape to the next (only values change length), so each
 *   locator (one per endpoint) remembers where each family started and looks there first: a few line checks.
 * A family not found near its hint is searched for in the whole page (Buffer.indexOf: native). A name
 * absent from the page is not searched for again until the next full pass, which runs on the first page,
 * every `fullPassEvery` pages and after invalidate() (the scraper calls it when a page fails extraction).
 * A full pass also checks the grouping rule; a page that breaks it (one name in two groups) turns the
 * locator off for good: every later page is decoded whole.
 *
 * bench/overhead/scrape-fleet.bench.ts: see bench/overhead/README.md ("scrape") for the before/after figures.
 */

const LF = 10;
const CR = 13;
const HASH = 35;
const SPACE = 32;
const TAB = 9;
const OPEN_BRACE = 123;
const ABSENT = -1;
/** Lines checked after (and before) the hinted one before falling back to a search. */
const NEAR_LINES = 4;
/**
 * Where the groups are joined before decoding, shared by every locator (excerpt() is synchronous and the
 * buffer is decoded before it returns); grows to the largest excerpt seen. One per endpoint was 6 KB each.
 */
let joined: Buffer = Buffer.alloc(0);

export class FamilyLocator {
  readonly #names: readonly Uint8Array[];
  /** "\n" + name: what a search looks for (a name at the very start of the page is checked apart). */
  readonly #patterns: readonly Buffer[];
  /** Per name: offset of its group's first line from the page start on the last page, or ABSENT. */
  readonly #hints: Int32Array;
  readonly #fullPassEvery: number;
  #sinceFullPass = 0;
  #fullPassDue = true;
  #whole = false;
  // Group ranges of the page in progress, reused: start and end (exclusive, before the final "\n").
  readonly #starts: Int32Array;
  readonly #ends: Int32Array;

  constructor(names: readonly string[], fullPassEvery = 40) {
    const encoded = encodedNames(names);
    this.#names = encoded.names;
    this.#patterns = encoded.patterns;
    this.#hints = new Int32Array(names.length).fill(ABSENT);
    this.#fullPassEvery = fullPassEvery;
    this.#starts = new Int32Array(names.length);
    this.#ends = new Int32Array(names.length);
  }

  /** True once a page broke the grouping rule: pages are decoded whole from then on. */
  get wholePages(): boolean {
    return this.#whole;
  }

  /** The next page gets a full pass (every name searched for, hints rebuilt). */
  invalidate(): void {
    this.#fullPassDue = true;
  }

  /**
   * Text holding every line of page[start, end) that starts with a wanted name (followed by `{`, a space or a
   * tab), in page order, with whatever comment lines lie inside a family's group. The whole page decoded when
   * the locator is off.
   */
  excerpt(page: Buffer, start: number, end: number): string {
    if (this.#whole) return page.toString('utf8', start, end);
    const full = this.#fullPassDue || ++this.#sinceFullPass >= this.#fullPassEvery;
    if (full) {
      this.#fullPassDue = false;
      this.#sinceFullPass = 0;
    }
    const hints = this.#hints;
    let groups = 0;
    for (let i = 0; i < hints.length; i++) {
      if (!full && hints[i] === ABSENT) continue;
      let line = full ? -1 : this.#near(page, start, end, i, start + hints[i]!);
      if (line < 0) line = this.#search(page, start, end, i, start);
      if (line < 0) {
        hints[i] = ABSENT;
        continue;
      }
      const first = this.#groupStart(page, start, end, line, i);
      const last = this.#groupEnd(page, end, line, i);
      hints[i] = first - start;
      if (full && this.#search(page, start, end, i, last) >= 0) {
        this.#whole = true; // the name has a second group: not a page this locator can cut
        return page.toString('utf8', start, end);
      }
      groups = insertSorted(this.#starts, this.#ends, groups, first, last);
    }
    return this.#join(page, groups);
  }

  /**
   * The groups, joined by "\n", decoded once: a flat string. Concatenating decoded pieces gave a cons string,
   * on which every charCodeAt of the scan took a slow path (the extraction ran 1.6x longer).
   */
  #join(page: Buffer, groups: number): string {
    if (groups === 1) return page.toString('utf8', this.#starts[0]!, this.#ends[0]!);
    let length = groups - 1;
    for (let g = 0; g < groups; g++) length += this.#ends[g]! - this.#starts[g]!;
    if (joined.length < length) joined = Buffer.allocUnsafe(Math.max(length, 2 * joined.length));
    let at = 0;
    for (let g = 0; g < groups; g++) {
      if (g > 0) joined[at++] = LF;
      at += page.copy(joined, at, this.#starts[g]!, this.#ends[g]!);
    }
    return joined.toString('utf8', 0, at);
  }

  /** A line of name `i` at or near `at` (a few lines either way), or -1. */
  #near(page: Buffer, start: number, end: number, i: number, at: number): number {
    if (at >= end) return -1;
    const line = lineStart(page, start, at);
    let p = line;
    for (let k = 0; k < NEAR_LINES && p < end; k++) {
      if (this.#isLineOf(page, p, end, i)) return p;
      p = lineEnd(page, p, end) + 1;
    }
    p = line;
    for (let k = 0; k < NEAR_LINES && p > start; k++) {
      p = lineStart(page, start, p - 1);
      if (this.#isLineOf(page, p, end, i)) return p;
    }
    return -1;
  }

  /** Start of the first line of name `i` at or after `from`, or -1. */
  #search(page: Buffer, start: number, end: number, i: number, from: number): number {
    if (from === start && this.#isLineOf(page, start, end, i)) return start;
    const pattern = this.#patterns[i]!;
    // A view of the page alone: the shared read buffer goes on past `end` (256 KB of older bytes), and
    // indexOf on the whole buffer scanned all of it for every absent name (8% of the fleet's CPU).
    const view = page.subarray(start, end);
    for (let at = from - start; ; ) {
      const nl = view.indexOf(pattern, at);
      if (nl < 0) return -1;
      if (this.#isLineOf(page, start + nl + 1, end, i)) return start + nl + 1;
      at = nl + 1;
    }
  }

  /** First line of the group holding the line at `line`: earlier lines of the name, across comment lines. */
  #groupStart(page: Buffer, start: number, end: number, line: number, i: number): number {
    let first = line;
    for (let p = line; p > start; ) {
      p = lineStart(page, start, p - 1);
      if (this.#isLineOf(page, p, end, i)) first = p;
      else if (!isCommentOrBlank(page, p)) break;
    }
    return first;
  }

  /** End (the "\n" or page end) of the group's last line, across comment lines. */
  #groupEnd(page: Buffer, end: number, line: number, i: number): number {
    let last = lineEnd(page, line, end);
    for (let p = last + 1; p < end; ) {
      const e = lineEnd(page, p, end);
      if (this.#isLineOf(page, p, end, i)) last = e;
      else if (!isCommentOrBlank(page, p)) break;
      p = e + 1;
    }
    return last;
  }

  /** Whether the line at `p` starts with name `i` followed by `{`, a space or a tab. */
  #isLineOf(page: Buffer, p: number, end: number, i: number): boolean {
    const name = this.#names[i]!;
    const n = name.length;
    if (p + n >= end) return false;
    for (let k = 0; k < n; k++) if (page[p + k] !== name[k]) return false;
    const c = page[p + n];
    return c === OPEN_BRACE || c === SPACE || c === TAB;
  }
}

/** The names' bytes, shared by every locator of the same names (one per endpoint, the names per engine). */
const encodings = new Map<string, { names: readonly Uint8Array[]; patterns: readonly Buffer[] }>();
function encodedNames(names: readonly string[]): { names: readonly Uint8Array[]; patterns: readonly Buffer[] } {
  const key = names.join('\n');
  let e = encodings.get(key);
  if (!e) {
    e = { names: names.map((n) => Buffer.from(n, 'latin1')), patterns: names.map((n) => Buffer.from(`\n${n}`, 'latin1')) };
    encodings.set(key, e);
  }
  return e;
}

/** Start of the line holding byte `at` (not before `start`). */
function lineStart(page: Buffer, start: number, at: number): number {
  let p = at;
  while (p > start && page[p - 1] !== LF) p--;
  return p;
}

/** Index of the "\n" ending the line that starts at `p`, or `end`. */
function lineEnd(page: Buffer, p: number, end: number): number {
  const nl = page.indexOf(LF, p);
  return nl < 0 || nl > end ? end : nl;
}

function isCommentOrBlank(page: Buffer, p: number): boolean {
  const c = page[p];
  return c === HASH || c === LF || c === CR;
}

/** Inserts [s, e) into the sorted ranges, merging overlaps; returns the new count. */
function insertSorted(starts: Int32Array, ends: Int32Array, count: number, s: number, e: number): number {
  let k = count;
  while (k > 0 && starts[k - 1]! > s) {
    starts[k] = starts[k - 1]!;
    ends[k] = ends[k - 1]!;
    k--;
  }
  starts[k] = s;
  ends[k] = e;
  count++;
  // Merge neighbours that overlap (two names' groups interleaved: a page this locator still reads right).
  let w = 0;
  for (let r = 1; r < count; r++) {
    if (starts[r]! <= ends[w]!) ends[w] = Math.max(ends[w]!, ends[r]!);
    else {
      w++;
      starts[w] = starts[r]!;
      ends[w] = ends[r]!;
    }
  }
  return w + 1;
}
