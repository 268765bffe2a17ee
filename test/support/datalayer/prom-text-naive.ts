/**
 * A straightforward full parser of the Prometheus text format: every line, every label, into objects.
 * Not used at runtime. It is the oracle the scanner is checked against (prom-text.test.ts) and the
 * baseline it is measured against (bench/overhead/scrape-parse.bench.ts).
 */

export interface NaiveSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+\S+)?[ \t]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

export function parseNaive(page: string): NaiveSample[] {
  const out: NaiveSample[] = [];
  for (const rawLine of page.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad line: ${line}`);
    const labels: Record<string, string> = {};
    const text = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < text.length) {
      const start = LABEL.lastIndex;
      const l = LABEL.exec(text);
      if (!l || LABEL.lastIndex === start) throw new Error(`bad labels: ${text}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1]!, labels, value: naiveValue(m[3]!) });
  }
  return out;
}

function naiveValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
