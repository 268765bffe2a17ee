/**
 * A Prometheus text-format (0.0.4) scanner that reads only the samples of a few wanted metric names.
 *
 * A model server's page is mostly histogram buckets we never use (a vLLM 0.30.0 page: 61,798 bytes, 645
 * lines, of which the picker needs 35). One multiline regex built from the wanted names finds those line
 * starts in native code; only those lines are parsed. On that page (node 24, 2-core VM): full vLLM
 * extraction 19 us against 350 us for a naive full parse (bench/overhead/scrape-parse.bench.ts); the regex walk
 * alone 8.5 us, where a JS loop over lines took 10 us and one indexOf("\n<name>") per name 80 us.
 * Names match exactly: the character after the name must be `{`, a space or a tab, so
 * `vllm:num_requests_waiting` never matches `vllm:num_requests_waiting_by_reason`.
 *
 * Labels are not materialised: a sample hands out the [start, end) range of its label text inside the
 * page, and `labelValue`/`labelEquals` read one label on demand.
 */

const LF = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const EQUALS = 61;
const DOT = 46;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const MINUS = 45;
const PLUS = 43;

/** Exact powers of ten (every 10^k with k <= 22 is exact in a double; 15 covers the fast path). */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export interface SampleSink {
  /**
   * One sample of a wanted metric. Its label text (without braces, possibly empty) is
   * page[labelsStart, labelsEnd); read labels with `labelValue`/`labelEquals`.
   */
  sample(nameIndex: number, page: string, labelsStart: number, labelsEnd: number, value: number): void;
}

/** A wanted sample line that does not follow the text format. */
export class PromParseError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'PromParseError';
    this.offset = offset;
  }
}

export class PromScanner {
  readonly names: readonly string[];
  /** Matches a line that starts with one of the names followed by `{`, a space or a tab. */
  readonly #lineStart: RegExp;

  constructor(names: readonly string[]) {
    this.names = names;
    const alternatives = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    this.#lineStart = new RegExp(`^(?:${alternatives})(?=[{ \\t])`, 'gm');
  }

  /**
   * Calls `sink.sample` for every sample whose name is exactly one of `names`, in page order.
   * Throws PromParseError on a malformed wanted line.
   */
  scan(page: string, sink: SampleSink): void {
    const re = this.#lineStart;
    re.lastIndex = 0;
    // test() rather than exec(): no match array per hit; lastIndex is the end of the name.
    while (re.test(page)) {
      const nameEnd = re.lastIndex;
      const i = this.#nameAt(page, nameEnd);
      if (i < 0) continue;
      const name = this.names[i]!;
      let lineEnd = readSample(page, nameEnd - name.length, name.length, i, sink);
      // A family's samples are consecutive: checking the next line directly saves a regex call per
      // sample (~200 ns each; the 31 LoRA series of the vLLM fixture cost 10 us through the regex).
      while (page.startsWith(name, lineEnd + 1) && isNameEnd(page.charCodeAt(lineEnd + 1 + name.length))) {
        lineEnd = readSample(page, lineEnd + 1, name.length, i, sink);
      }
      re.lastIndex = lineEnd;
    }
    re.lastIndex = 0;
  }

  /**
   * Which name ends at `nameEnd` at the start of a line (at most one can: names hold no newline); -1 when
   * the regex matched after a U+2028/U+2029 inside a label value, which multiline `^` also treats as a line start.
   */
  #nameAt(page: string, nameEnd: number): number {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      const start = nameEnd - names[i]!.length;
      if (start >= 0 && (start === 0 || page.charCodeAt(start - 1) === LF) && page.startsWith(names[i]!, start)) return i;
    }
    return -1;
  }
}

function isNameEnd(c: number): boolean {
  return c === OPEN_BRACE || c === SPACE || c === TAB;
}

/**
 * Parses the sample line at `lineStart`, reports it, and returns the index of its terminating "\n".
 * Labels are only delimited here (the last `}` of the line closes them: a value and a timestamp hold no
 * brace); their syntax is checked when a label is read. Walking every label of every hit with indexOf
 * cost ~290 ns per LoRA line, most of the scan time.
 */
function readSample(page: string, lineStart: number, nameLength: number, nameIndex: number, sink: SampleSink): number {
  let lineEnd = page.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = page.length;
  let p = lineStart + nameLength;
  let labelsStart = p;
  let labelsEnd = p;
  if (page.charCodeAt(p) === OPEN_BRACE) {
    labelsStart = p + 1;
    // A backward loop, not lastIndexOf: the brace is a value's length (~20 characters) from the line end,
    // and the runtime call cost ~40 ns per line.
    labelsEnd = lineEnd - 1;
    while (labelsEnd >= labelsStart && page.charCodeAt(labelsEnd) !== CLOSE_BRACE) labelsEnd--;
    if (labelsEnd < labelsStart) throw new PromParseError('unterminated label set', lineStart);
    p = labelsEnd + 1;
  }
  p = skipBlanks(page, p, lineEnd);
  let valueEnd = p;
  while (valueEnd < lineEnd) {
    const c = page.charCodeAt(valueEnd);
    if (c === SPACE || c === TAB || c === CR) break;
    valueEnd++;
  }
  if (valueEnd === p) throw new PromParseError('sample without a value', lineStart);
  sink.sample(nameIndex, page, labelsStart, labelsEnd, parseValue(page, p, valueEnd));
  return lineEnd;
}

function skipBlanks(page: string, p: number, end: number): number {
  while (p < end) {
    const c = page.charCodeAt(p);
    if (c !== SPACE && c !== TAB) break;
    p++;
  }
  return p;
}

/** Index of the `"` closing a label value whose text starts at `p` (skips escapes). */
function closingQuote(page: string, p: number, end: number): number {
  for (; p < end; p++) {
    const c = page.charCodeAt(p);
    if (c === BACKSLASH) p++;
    else if (c === QUOTE) return p;
  }
  throw new PromParseError('unterminated label value', p);
}

/**
 * Parses a Python-repr / Go float: `0.0`, `5463.0`, `1.394703e+06`, `+Inf`, `-Inf`, `NaN`.
 * Plain decimals with at most 15 significant digits take an exact fast path (an integer below 2^53
 * divided by an exact power of ten is correctly rounded, as `Number()` would be); the rest use `Number`.
 */
export function parseValue(page: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  const first = page.charCodeAt(i);
  if (first === MINUS) {
    negative = true;
    i++;
  } else if (first === PLUS) {
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = page.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (dot) fraction++;
    } else if (c === DOT && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (i === end && digits > 0 && digits <= 15) {
    const v = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
    return negative ? -v : v;
  }
  return parseValueSlow(page.slice(start, end));
}

function parseValueSlow(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  // Number() accepts forms the text format does not ('', '0x1f', 'Infinity'); none are worth a value.
  const c = text.charCodeAt(text.length - 1);
  if (!(c >= 48 && c <= 57) && c !== DOT) return NaN;
  return Number(text);
}

/**
 * Index of the opening quote of label `name`'s value within label text [start, end), or -1 when absent.
 * Char loops rather than indexOf: label names and values are short, and a runtime call costs more than
 * the ~20 characters it would skip. Throws PromParseError on malformed label text.
 */
export function findLabel(page: string, start: number, end: number, name: string): number {
  let p = start;
  while (p < end) {
    let c = page.charCodeAt(p);
    if (c === SPACE || c === TAB) {
      p++;
      continue;
    }
    const nameStart = p;
    while (p < end && (c = page.charCodeAt(p)) !== EQUALS && c !== SPACE && c !== TAB) p++;
    const nameEnd = p;
    p = skipBlanks(page, p, end);
    if (p >= end || page.charCodeAt(p) !== EQUALS || nameEnd === nameStart) throw new PromParseError('bad label', nameStart);
    p = skipBlanks(page, p + 1, end);
    if (p >= end || page.charCodeAt(p) !== QUOTE) throw new PromParseError('label value not quoted', p);
    if (nameEnd - nameStart === name.length && page.startsWith(name, nameStart)) return p;
    p = skipBlanks(page, closingQuote(page, p + 1, end) + 1, end);
    if (p < end) {
      if (page.charCodeAt(p) !== COMMA) throw new PromParseError('expected , between labels', p);
      p++;
    }
  }
  return -1;
}

/** The unescaped value of label `name`, or undefined when the sample lacks it. */
export function labelValue(page: string, start: number, end: number, name: string): string | undefined {
  const open = findLabel(page, start, end, name);
  if (open < 0) return undefined;
  return unescapeLabel(page, open + 1, closingQuote(page, open + 1, end));
}

/** True when label `name` is present with exactly `value` (compared in place when the value has no escapes). */
export function labelEquals(page: string, start: number, end: number, name: string, value: string): boolean {
  const open = findLabel(page, start, end, name);
  if (open < 0) return false;
  const close = closingQuote(page, open + 1, end);
  if (backslashAt(page, open + 1, close) < 0) return close - open - 1 === value.length && page.startsWith(value, open + 1);
  return unescapeLabel(page, open + 1, close) === value;
}

/** Label text [start, end) with `\\`, `\"` and `\n` resolved. */
export function unescapeLabel(page: string, start: number, end: number): string {
  let bs = backslashAt(page, start, end);
  if (bs < 0) return page.slice(start, end);
  let out = '';
  let from = start;
  while (bs >= 0 && bs < end - 1) {
    out += page.slice(from, bs);
    const c = page.charCodeAt(bs + 1);
    out += c === 110 /* n */ ? '\n' : c === BACKSLASH ? '\\' : c === QUOTE ? '"' : page.slice(bs, bs + 2);
    from = bs + 2;
    bs = backslashAt(page, from, end);
  }
  return out + page.slice(from, end);
}

/**
 * First backslash in [start, end), or -1. A bounded loop, not indexOf: indexOf would search on to the end
 * of the page when the value has none (~120 ns per label read on a 5 KB page, more on 60 KB).
 */
function backslashAt(page: string, start: number, end: number): number {
  for (let i = start; i < end; i++) if (page.charCodeAt(i) === BACKSLASH) return i;
  return -1;
}
